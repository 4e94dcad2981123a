/** MAC counting says what it could not count instead of guessing: unknown weighted layers, unresolved shapes. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { countModel } from '../../../src/engine/metrics/count';

describe('countModel warnings', () => {
  it('a complete count has no warnings', () => {
    const inp = tf.input({ shape: [8, 8, 3] });
    const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(inp) as tf.SymbolicTensor;
    const b = tf.layers.batchNormalization({}).apply(c) as tf.SymbolicTensor;
    const f = tf.layers.flatten().apply(b) as tf.SymbolicTensor;
    const m = tf.model({ inputs: inp, outputs: tf.layers.dense({ units: 2 }).apply(f) as tf.SymbolicTensor });
    const r = countModel(m);
    expect(r.warnings).toEqual([]);
    expect(r.macs).toBe(8 * 8 * 3 * 3 * 3 * 4 + 8 * 8 * 4 * 2);
    m.dispose();
  });

  it('an unknown weighted layer and a conv without a fixed input size are reported, not counted as 0 or 1 position', () => {
    const seq = tf.input({ shape: [5, 3] });
    const l = tf.layers.lstm({ units: 4, name: 'rnn' }).apply(seq) as tf.SymbolicTensor;
    const rnn = tf.model({ inputs: seq, outputs: tf.layers.dense({ units: 2 }).apply(l) as tf.SymbolicTensor });
    const r1 = countModel(rnn);
    expect(r1.warnings).toHaveLength(1);
    expect(r1.warnings[0]).toMatch(/"rnn" \(LSTM\) has weights but no MAC formula/);
    const any = tf.input({ shape: [null, null, 3] });
    const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'conv' }).apply(any) as tf.SymbolicTensor;
    const g = tf.layers.globalAveragePooling2d({}).apply(c) as tf.SymbolicTensor;
    const fcn = tf.model({ inputs: any, outputs: g });
    const r2 = countModel(fcn);
    expect(r2.warnings.join(' ')).toMatch(/"conv" \(Conv2D\).*no concrete spatial size/);
    expect(r2.macs).toBe(0);
    rnn.dispose();
    fcn.dispose();
  });
});
