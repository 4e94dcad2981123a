import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { withBackend } from '../../helpers/wasm';
import { expectNoLeak } from '../../helpers/leak';
import { setupWasm } from './conv_grad_helpers';
import { tileConfig } from '../../../src/engine/kernels/wasm/tile';

beforeAll(setupWasm);

const CASES: { shape: number[]; reps: number[] }[] = [
  { shape: [1, 1, 1, 5], reps: [3, 4, 2, 1] },
  { shape: [2, 3], reps: [3, 2] },
  { shape: [4], reps: [5] },
  { shape: [2, 1, 3], reps: [1, 4, 1] },
  { shape: [3, 2, 2, 2], reps: [2, 1, 3, 2] },
  { shape: [2, 3], reps: [0, 2] },
  { shape: [1, 2, 1, 2, 1], reps: [2, 1, 3, 1, 2] },
];

async function tileOn(backend: string, shape: number[], reps: number[], dtype: 'float32' | 'int32' | 'bool'): Promise<number[]> {
  return withBackend(backend, () =>
    expectNoLeak(() =>
      tf.tidy(() => {
        const n = tf.util.sizeFromShape(shape);
        const values = Array.from({ length: n }, (_, i) => (dtype === 'bool' ? i % 3 === 0 ? 1 : 0 : i * 1.5 - 3));
        const x = tf.tensor(values, shape, dtype);
        return Array.from(tf.tile(x, reps).dataSync());
      }),
    ),
  );
}

describe('Tile on wasm (project replacement) vs cpu', () => {
  it('matches for float32, int32 and bool over several shapes and reps', async () => {
    for (const { shape, reps } of CASES) {
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        const w = await tileOn('wasm', shape, reps, dtype);
        const c = await tileOn('cpu', shape, reps, dtype);
        expect(w, `${dtype} [${shape}] x [${reps}]`).toEqual(c);
      }
    }
  });

  it('is what the wasm backend uses for Tile after registration', () => {
    expect(tf.getKernel('Tile', 'wasm')!.kernelFunc).toBe(tileConfig.kernelFunc);
  });
});
