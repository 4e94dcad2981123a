import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { countModel } from '../../../src/engine/metrics/count';
import { getStudioMeta } from '../../../src/engine/models/metadata';
import { createZooModel, ZOO } from '../../../src/engine/models/zoo';
import type { ZooArch } from '../../../src/engine/models/zoo';
import { expectNoLeak } from '../../helpers/leak';
import { loadAkamaster } from './akamaster';

/** Exact figures this implementation gives at 32x32, 10 classes (documented in docs/models.md). */
const EXPECTED: Record<ZooArch, { params: number; trainable: number; macs: number; paperParams: number; paperMacs: number }> = {
  vgg16: { params: 15_001_424, trainable: 14_991_946, macs: 313_463_808, paperParams: 14.98e6, paperMacs: 313.73e6 },
  resnet20: { params: 273_664, trainable: 269_722, macs: 40_551_040, paperParams: 0.27e6, paperMacs: 40.55e6 },
  resnet32: { params: 468_992, trainable: 464_154, macs: 68_862_592, paperParams: 0.464e6, paperMacs: 68.86e6 },
  resnet44: { params: 664_320, trainable: 658_586, macs: 97_174_144, paperParams: 0.658e6, paperMacs: 97.17e6 },
  resnet56: { params: 859_648, trainable: 853_018, macs: 125_485_696, paperParams: 0.85e6, paperMacs: 125.49e6 },
  resnet110: { params: 1_738_624, trainable: 1_727_962, macs: 252_887_680, paperParams: 1.72e6, paperMacs: 252.89e6 },
  // HRank's 1.04M counts conv + FC weights only (no BN): checked separately below.
  densenet40: { params: 1_078_024, trainable: 1_059_298, macs: 282_917_328, paperParams: 1.059e6, paperMacs: 282.0e6 },
  mobilenetv2: { params: 2_270_800, trainable: 2_236_682, macs: 87_976_448, paperParams: 2.24e6, paperMacs: 87.98e6 },
};

const near = (a: number, b: number, tol = 0.01) => Math.abs(a - b) / b <= tol;

describe('zoo', () => {
  for (const arch of Object.keys(ZOO) as ZooArch[]) {
    it(`${arch}: counts and one forward pass`, async () => {
      const model = createZooModel(arch, { numClasses: 10, inputSize: 32, seed: 7 });
      const c = countModel(model);
      const e = EXPECTED[arch];
      expect({ params: c.params, trainable: c.trainableParams, macs: c.macs }).toEqual({
        params: e.params,
        trainable: e.trainable,
        macs: e.macs,
      });
      expect(near(c.trainableParams, e.paperParams), `params ${c.trainableParams} vs ${e.paperParams}`).toBe(true);
      expect(near(c.macs, e.paperMacs), `macs ${c.macs} vs ${e.paperMacs}`).toBe(true);
      expect(model.layers[1].name).toBe('normalize');
      expect(model.layers[1].trainable).toBe(false);
      expect(model.getLayer('logits').getClassName()).toBe('Dense');
      const meta = getStudioMeta(model);
      expect(meta.arch).toBe(arch);
      expect(meta.classes).toHaveLength(10);
      expect(meta.input.normalizeOutside).toBe(false);
      expect(meta.seed).toBe(7);
      await expectNoLeak(() => {
        const y = tf.tidy(() => model.predict(tf.fill([1, 32, 32, 3], 128)) as tf.Tensor);
        expect(y.shape).toEqual([1, 10]);
        const v = y.dataSync();
        y.dispose();
        expect(Array.from(v).every(Number.isFinite)).toBe(true);
      });
      model.dispose();
    });
  }

  it('densenet40 conv + FC weights match HRank 1.04M', () => {
    const model = createZooModel('densenet40', { numClasses: 10, inputSize: 32, seed: 1 });
    const convFc = countModel(model)
      .layers.filter((l) => (l.className === 'Conv2D' || l.className === 'Dense') && !l.fixed)
      .reduce((s, l) => s + l.params, 0);
    expect(convFc).toBe(1_040_578);
    model.dispose();
  });

  it('zoo resnet20 has the same layers, classes and weight shapes as akamaster resnet20', async () => {
    const zoo = createZooModel('resnet20', { numClasses: 10, inputSize: 32, seed: 1 });
    const aka = await loadAkamaster(20);
    const sig = (m: tf.LayersModel) =>
      m.layers.map((l) => `${l.name}:${l.getClassName()}:${l.trainable}:${l.weights.map((w) => w.shape.join('x')).join(',')}`);
    expect(sig(zoo)).toEqual(sig(aka));
    // option-A shortcut kernels are identical 0/1 routing matrices
    for (const name of ['stage2_block0_shortcut', 'stage3_block0_shortcut']) {
      const a = aka.getLayer(name).getWeights()[0].dataSync();
      const z = zoo.getLayer(name).getWeights()[0].dataSync();
      expect(Array.from(z)).toEqual(Array.from(a));
    }
    zoo.dispose();
    aka.dispose();
  });

  it('normalize computes (x/255 - mean)/std with CIFAR statistics', async () => {
    const model = createZooModel('resnet20', { numClasses: 10, inputSize: 32, seed: 1 });
    const sub = tf.model({ inputs: model.inputs, outputs: model.getLayer('normalize').output as tf.SymbolicTensor });
    await expectNoLeak(() => {
      const v = tf.tidy(() => (sub.predict(tf.fill([1, 32, 32, 3], 255)) as tf.Tensor).slice([0, 0, 0, 0], [1, 1, 1, 3]).dataSync());
      const mean = [0.4914, 0.4822, 0.4465];
      const std = [0.247, 0.2435, 0.2616];
      for (let c = 0; c < 3; c++) expect(v[c]).toBeCloseTo((1 - mean[c]) / std[c], 4);
    });
    model.dispose();
  });

  it('a seed reproduces the weights; another seed does not', () => {
    const a = createZooModel('resnet20', { numClasses: 10, inputSize: 32, seed: 42 });
    const b = createZooModel('resnet20', { numClasses: 10, inputSize: 32, seed: 42 });
    const c = createZooModel('resnet20', { numClasses: 10, inputSize: 32, seed: 43 });
    const w = (m: tf.LayersModel, n: string) => Array.from(m.getLayer(n).getWeights()[0].dataSync());
    expect(w(a, 'stage3_block2_conv2')).toEqual(w(b, 'stage3_block2_conv2'));
    expect(w(a, 'logits')).toEqual(w(b, 'logits'));
    expect(w(a, 'stage3_block2_conv2')).not.toEqual(w(c, 'stage3_block2_conv2'));
    // different layers of the same shape get different weights
    expect(w(a, 'stage1_block0_conv1')).not.toEqual(w(a, 'stage1_block0_conv2'));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('variable input size and class count', async () => {
    for (const [arch, size] of [['resnet20', 64], ['mobilenetv2', 40]] as const) {
      const classes = Array.from({ length: 100 }, (_, i) => `c${i}`);
      const model = createZooModel(arch, { numClasses: 100, inputSize: size, classes, seed: 3 });
      expect(model.inputs[0].shape).toEqual([null, size, size, 3]);
      expect(getStudioMeta(model).classes).toEqual(classes);
      await expectNoLeak(() => {
        const shape = tf.tidy(() => (model.predict(tf.zeros([1, size, size, 3])) as tf.Tensor).shape);
        expect(shape).toEqual([1, 100]);
      });
      // resnet MACs scale with the pixel count (4x) except the FC layer
      if (arch === 'resnet20') expect(countModel(model).macs).toBe((40_551_040 - 640) * 4 + 6400);
      model.dispose();
    }
  });

  it('rejects bad options with specific errors', () => {
    expect(() => createZooModel('resnet20', { numClasses: 1, inputSize: 32 })).toThrow(/numClasses/);
    expect(() => createZooModel('vgg16', { numClasses: 10, inputSize: 16 })).toThrow(/inputSize/);
    expect(() => createZooModel('resnet20', { numClasses: 10, inputSize: 32, classes: ['a'] })).toThrow(/class names/);
    expect(() => createZooModel('nope' as ZooArch, { numClasses: 10, inputSize: 32 })).toThrow(/Unknown zoo/);
  });
});
