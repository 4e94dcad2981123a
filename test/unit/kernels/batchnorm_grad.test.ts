import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { withBackend } from '../../helpers/wasm';
import { expectNoLeak } from '../../helpers/leak';
import { randomData, relError, runOn, setupWasm } from './conv_grad_helpers';
import { BATCH_NORM_GRAD_SUMS, isLeanBatchNormGrad } from '../../../src/engine/kernels/wasm/batchnorm_grad';

beforeAll(setupWasm);

/**
 * Gradients of Σ batchNorm(x, mean, variance, offset, scale)·w w.r.t. x, mean,
 * variance, offset, scale (w weights dy). tfjs 4.22 cannot record a batchNorm
 * without scale on the tape on any backend (it clones the undefined saved input),
 * so scale and offset are always given.
 */
function bnGrads(ts: tf.Tensor[]): tf.Tensor[] {
  const [x, w, mean, variance, offset, scale] = ts as [tf.Tensor4D, tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
  const f = (xx: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor): tf.Scalar =>
    tf.sum(tf.mul(tf.batchNorm(xx as tf.Tensor4D, m as tf.Tensor1D, v as tf.Tensor1D, o as tf.Tensor1D, s as tf.Tensor1D, 1e-3), w));
  return tf.grads(f)([x, mean, variance, offset, scale]);
}

function bnData(shape: number[]): { values: Float32Array; shape: number[] }[] {
  const C = shape[3]!;
  const size = shape.reduce((a, b) => a * b, 1);
  return [
    { values: randomData(size, 1).map((v) => v * 3 + 1), shape },
    { values: randomData(size, 2), shape },
    { values: randomData(C, 3), shape: [C] },
    { values: randomData(C, 5).map((v) => v * v + 0.2), shape: [C] },
    { values: randomData(C, 6), shape: [C] },
    { values: randomData(C, 7).map((v) => v + 1.5), shape: [C] },
  ];
}

describe('lean FusedBatchNorm gradient', () => {
  it('is installed and used on wasm', async () => {
    expect(isLeanBatchNormGrad(tf.getGradient('FusedBatchNorm'))).toBe(true);
    const data = bnData([2, 3, 3, 4]);
    const names = await withBackend('wasm', () =>
      expectNoLeak(async () => {
        const ts = data.map((d) => tf.tensor(d.values, d.shape));
        const prof = await tf.profile(() => tf.dispose(bnGrads(ts)));
        tf.dispose(ts);
        return prof.kernels.map((k) => k.name);
      }),
    );
    expect(names).toContain(BATCH_NORM_GRAD_SUMS);
  });

  it('matches the cpu backend (tfjs gradient) for dx, dmean, dvariance, doffset, dscale', async () => {
    for (const shape of [[2, 3, 4, 5], [3, 5, 2, 8], [1, 4, 4, 3], [4, 1, 1, 16]]) {
      const data = bnData(shape);
      const w = await runOn('wasm', data, bnGrads);
      const c = await runOn('cpu', data, bnGrads);
      expect(w.length).toBe(5);
      w.forEach((g, i) => expect(relError(g, c[i]!), `[${shape}] grad ${i}`).toBeLessThan(1e-5));
    }
  });
});
