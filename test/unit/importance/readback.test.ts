import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { readFloat32Owned } from '../../../src/engine/importance/readback';
import { expectNoLeak } from '../../helpers/leak';
import { withBackend } from '../../helpers/wasm';

describe('readFloat32Owned', () => {
  for (const backend of ['wasm', 'cpu']) {
    it(`${backend}: the tensor's values, in an array the caller owns`, async () => {
      await withBackend(backend, () => expectNoLeak(() => {
        // a computed tensor (not an upload) next to others in memory, then a slice view of a bigger one
        const a = tf.tidy(() => tf.range(0, 3000, 1, 'float32').reshape([10, 300]).mul(0.5));
        const b = tf.tidy(() => tf.relu(a.sub(300)));
        const s = a.slice([3, 0], [2, 300]);
        for (const t of [a, b, s]) {
          const got = readFloat32Owned(t);
          expect(Array.from(got)).toEqual(Array.from(t.dataSync()));
          got.fill(-1); // owned: writing to it leaves the tensor alone
          expect(t.dataSync()[1]).not.toBe(-1);
          if (t !== s) expect(got.buffer.byteLength).toBe(t.size * 4);
        }
        if (backend === 'wasm') {
          // the fast path reads these backend fields: if tfjs renames them, this fails (the fallback would hide it)
          const wb = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array }; dataIdMap: { get(id: object): { memoryOffset: number } } };
          expect(wb.wasm.HEAPU8).toBeInstanceOf(Uint8Array);
          expect(typeof wb.dataIdMap.get(a.dataId).memoryOffset).toBe('number');
        }
        tf.dispose([a, b, s]);
      }));
    });
  }

  it('refuses non-float32 tensors', () => {
    const t = tf.tensor1d([1, 2], 'int32');
    expect(() => readFloat32Owned(t)).toThrow(/int32/);
    t.dispose();
  });
});
