import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomData, runOn, setupWasm } from './conv_grad_helpers';
import { isLeanReduceGrad, tiledReduceGrad } from '../../../src/engine/kernels/wasm/reduce_grad';
import { withBackend } from '../../helpers/wasm';
import { expectNoLeak } from '../../helpers/leak';

beforeAll(setupWasm);

const CASES: { shape: number[]; axis: number | number[] | undefined; keepDims: boolean }[] = [
  { shape: [4, 3, 3, 5], axis: [0, 1, 2], keepDims: false }, // BatchNorm moments
  { shape: [4, 3, 3, 5], axis: [0, 1, 2], keepDims: true },
  { shape: [2, 3, 4], axis: -1, keepDims: false },
  { shape: [2, 3, 4], axis: 1, keepDims: true },
  { shape: [6, 5], axis: undefined, keepDims: false }, // all axes (a loss)
  { shape: [2, 3, 4, 2], axis: [3, 1], keepDims: false },
];

describe('lean Mean / Sum gradients', () => {
  it('are installed', () => {
    expect(isLeanReduceGrad(tf.getGradient('Mean'))).toBe(true);
    expect(isLeanReduceGrad(tf.getGradient('Sum'))).toBe(true);
  });

  it('give exactly the cpu (tfjs) gradients for several axes, with and without keepDims', async () => {
    for (const { shape, axis, keepDims } of CASES) {
      const size = shape.reduce((a, b) => a * b, 1);
      const data = [{ values: randomData(size, 11), shape }];
      for (const op of ['mean', 'sum'] as const) {
        // Weight the output so dy is not constant.
        const fn = (ts: tf.Tensor[]): tf.Tensor[] => {
          const f = (x: tf.Tensor): tf.Tensor => {
            const y = tf[op](x, axis, keepDims);
            return tf.sum(tf.mul(y, tf.range(1, y.size + 1).reshape(y.shape)));
          };
          return [tf.grad(f)(ts[0]!)];
        };
        const w = await runOn('wasm', data, fn);
        const c = await runOn('cpu', data, fn);
        expect(Array.from(w[0]!), `${op} [${shape}] axis ${String(axis)} keepDims ${keepDims}`).toEqual(Array.from(c[0]!));
      }
    }
  });

  it('tiledReduceGrad divides by the reduced size for Mean only', async () => {
    await withBackend('wasm', () =>
      expectNoLeak(() =>
        tf.tidy(() => {
          const x = tf.zeros([2, 2, 3]);
          const dy = tf.tensor([3, 6, 9], [3]);
          expect(Array.from(tiledReduceGrad('Mean', dy, x, { axis: [0, 1] }).dataSync())).toEqual([0.75, 1.5, 2.25, 0.75, 1.5, 2.25, 0.75, 1.5, 2.25, 0.75, 1.5, 2.25]);
          expect(Array.from(tiledReduceGrad('Sum', dy, x, { axis: [0, 1] }).dataSync())).toEqual([3, 6, 9, 3, 6, 9, 3, 6, 9, 3, 6, 9]);
        }),
      ),
    );
  });
});
