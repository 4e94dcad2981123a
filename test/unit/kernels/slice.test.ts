import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { withBackend } from '../../helpers/wasm';
import { expectNoLeak } from '../../helpers/leak';
import { setupWasm } from './conv_grad_helpers';
import { isFastSlice } from '../../../src/engine/kernels/wasm/slice';

beforeAll(setupWasm);

const CASES: { shape: number[]; begin: number[]; size: number[] }[] = [
  { shape: [2, 5, 5, 3], begin: [0, 1, 1, 0], size: [2, 3, 3, 3] }, // ZeroPadding2D gradient
  { shape: [2, 4, 4, 70], begin: [1, 0, 2, 0], size: [1, 4, 2, 70] }, // long runs (set path)
  { shape: [3, 4, 6], begin: [0, 0, 2], size: [3, 4, 3] }, // channel slice (Concatenate gradient)
  { shape: [3, 4, 6], begin: [1, 0, 0], size: [2, 4, 6] }, // contiguous
  { shape: [10], begin: [3], size: [-1] },
  { shape: [2, 3, 2, 2, 3], begin: [1, 1, 0, 1, 1], size: [1, 2, 2, 1, 2] }, // rank 5
  { shape: [4, 3], begin: [1, 0], size: [0, 3] }, // empty
];

async function sliceOn(backend: string, c: (typeof CASES)[number], dtype: 'float32' | 'int32' | 'bool'): Promise<{ v: number[]; s: number[] }> {
  return withBackend(backend, () =>
    expectNoLeak(() =>
      tf.tidy(() => {
        const n = tf.util.sizeFromShape(c.shape);
        const values = Array.from({ length: n }, (_, i) => (dtype === 'bool' ? (i % 3 === 0 ? 1 : 0) : i * 1.5 - 7));
        const y = tf.slice(tf.tensor(values, c.shape, dtype), c.begin, c.size);
        return { v: Array.from(y.dataSync()), s: y.shape };
      }),
    ),
  );
}

describe('Slice on wasm (project wrapper) vs cpu', () => {
  it('is registered', () => {
    expect(isFastSlice(tf.getKernel('Slice', 'wasm')!.kernelFunc)).toBe(true);
  });

  it('matches for float32, int32 and bool, ranks 1-5, strided, contiguous and empty slices', async () => {
    for (const c of CASES) {
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        const w = await sliceOn('wasm', c, dtype);
        const r = await sliceOn('cpu', c, dtype);
        expect(w, `${dtype} [${c.shape}] begin [${c.begin}] size [${c.size}]`).toEqual(r);
      }
    }
  });
});
