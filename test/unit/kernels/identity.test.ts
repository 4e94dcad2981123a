import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { withBackend } from '../../helpers/wasm';
import { expectNoLeak } from '../../helpers/leak';
import { setupWasm } from './conv_grad_helpers';
import { isSharingKernel } from '../../../src/engine/kernels/wasm/identity';

beforeAll(setupWasm);

describe('zero-copy Identity and Cast on wasm', () => {
  it('are registered as sharing wrappers', () => {
    expect(isSharingKernel(tf.getKernel('Identity', 'wasm')!.kernelFunc)).toBe(true);
    expect(isSharingKernel(tf.getKernel('Cast', 'wasm')!.kernelFunc)).toBe(true);
    expect(isSharingKernel(tf.getKernel('Identity', 'cpu')!.kernelFunc)).toBe(false);
  });

  it('clone shares data and survives disposal of its source', async () => {
    await withBackend('wasm', () =>
      expectNoLeak(() => {
        const x = tf.tensor([1.5, -2, 3, 4], [2, 2]);
        const y = tf.clone(x);
        expect(y.dataId).toBe(x.dataId);
        x.dispose();
        expect(Array.from(y.dataSync())).toEqual([1.5, -2, 3, 4]);
        expect(y.shape).toEqual([2, 2]);
        y.dispose();
      }),
    );
  });

  it('same-dtype Cast shares data; real casts still convert', async () => {
    await withBackend('wasm', () =>
      expectNoLeak(() => {
        const x = tf.tensor([1.5, -2.7, 3, 0]);
        const same = tf.cast(x, 'float32');
        const i = tf.cast(x, 'int32');
        const xi = tf.tensor([3, 0, -1], [3], 'int32');
        const f = tf.cast(xi, 'float32');
        const sameI = tf.cast(xi, 'int32');
        expect(same.dataId).toBe(x.dataId);
        expect(sameI.dataId).toBe(xi.dataId);
        expect(i.dtype).toBe('int32');
        expect(Array.from(i.dataSync())).toEqual([1, -2, 3, 0]);
        expect(f.dtype).toBe('float32');
        expect(Array.from(f.dataSync())).toEqual([3, 0, -1]);
        // Gradient through cast/identity (ReLU) still right after the sharing.
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.relu(t)))(x);
        expect(Array.from(g.dataSync())).toEqual([1, 0, 1, 0]);
        tf.dispose([x, same, i, xi, f, sameI, g]);
      }),
    );
  });
});
