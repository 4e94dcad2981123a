import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { countModel } from '../../../src/engine/metrics/count';
import { expectNoLeak } from '../../helpers/leak';
import { loadAkamaster } from './akamaster';

describe('countModel', () => {
  it('matches the akamaster resnet20 figures', async () => {
    const model = await loadAkamaster(20);
    const c = await expectNoLeak(() => countModel(model));
    expect(c.params).toBe(model.countParams());
    expect(c.params).toBe(273_664);
    expect(c.trainableParams).toBe(269_722);
    expect(c.macs).toBe(40_551_040);
    expect(c.macs + c.fixedMacs).toBe(40_816_256);
    expect(c.flops).toBe(2 * c.macs);
    expect(c.bytes).toBe(273_664 * 4);
    const norm = c.layers.find((l) => l.name === 'normalize')!;
    expect(norm).toMatchObject({ macs: 3072, fixed: true, outShape: [-1, 32, 32, 3] });
    const sc = c.layers.find((l) => l.name === 'stage2_block0_shortcut')!;
    expect(sc).toMatchObject({ macs: 16 * 16 * 16 * 32, fixed: true });
    expect(c.layers.find((l) => l.name === 'logits')!.macs).toBe(640);
    model.dispose();
  });

  it('counts depthwise, separable, transpose, rank-3 dense and nested models', async () => {
    const inner = tf.sequential({
      name: 'inner',
      layers: [tf.layers.conv2d({ inputShape: [8, 8, 4], filters: 6, kernelSize: 3, padding: 'same', name: 'c' })],
    });
    const inp = tf.input({ shape: [8, 8, 4] });
    let x = inner.apply(inp) as tf.SymbolicTensor;
    x = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', name: 'dw' }).apply(x) as tf.SymbolicTensor; // 4x4x12
    x = tf.layers.separableConv2d({ filters: 5, kernelSize: 3, padding: 'same', name: 'sep' }).apply(x) as tf.SymbolicTensor; // 4x4x5
    x = tf.layers.conv2dTranspose({ filters: 7, kernelSize: 2, strides: 2, name: 'tr' }).apply(x) as tf.SymbolicTensor; // 8x8x7
    x = tf.layers.dense({ units: 3, name: 'd' }).apply(x) as tf.SymbolicTensor; // 8x8x3
    const model = tf.model({ inputs: inp, outputs: x });
    const c = countModel(model);
    const by = Object.fromEntries(c.layers.map((l) => [l.name, l]));
    expect(by['inner/c'].macs).toBe(8 * 8 * 9 * 4 * 6);
    expect(by['dw'].macs).toBe(4 * 4 * 9 * 6 * 2);
    expect(by['sep'].macs).toBe(4 * 4 * (9 * 12) + 4 * 4 * 12 * 5);
    expect(by['tr'].macs).toBe(4 * 4 * 2 * 2 * 5 * 7);
    expect(by['d'].macs).toBe(8 * 8 * 7 * 3);
    expect(c.params).toBe(model.countParams());
    expect(c.macs).toBe(c.layers.reduce((s, l) => s + l.macs, 0));
    model.layers[1].trainable = false;
    expect(countModel(model).trainableParams).toBe(c.trainableParams - (9 * 4 * 6 + 6));
    model.dispose();
  });
});
