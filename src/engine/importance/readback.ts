/**
 * Reads a float32 tensor into a fresh Float32Array the caller owns (it may be transferred to a worker).
 *
 * `dataSync()` on the wasm backend copies with `HEAPU8.slice`, which in V8 runs at a few hundred MB/s for
 * multi-megabyte ranges; allocating the destination and copying with `set` runs at GB/s. Capturing
 * ResNet-56's 55 feature maps reads about 2 MB per image, so this is the difference between seconds and
 * a fraction of one for a 640-image analysis. The wasm path reads the tensor's bytes straight from the
 * module's heap (the same fields the backend's own readSync uses); any other backend, or a wasm
 * backend that does not look as expected, goes through dataSync.
 */
import * as tf from '@tensorflow/tfjs';

interface WasmBackendView {
  wasm?: { HEAPU8?: Uint8Array };
  dataIdMap?: { get(id: object): { memoryOffset?: number } | undefined };
}

export function readFloat32Owned(t: tf.Tensor): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`readFloat32Owned: ${t.dtype} tensor`);
  const name = tf.getBackend();
  if (name === 'wasm') {
    const b = tf.backend() as unknown as WasmBackendView;
    const heap = b.wasm?.HEAPU8;
    const offset = b.dataIdMap?.get(t.dataId)?.memoryOffset;
    if (heap && typeof offset === 'number' && offset % 4 === 0 && offset + t.size * 4 <= heap.byteLength) {
      const out = new Float32Array(t.size);
      out.set(new Float32Array(heap.buffer, heap.byteOffset + offset, t.size));
      return out;
    }
  }
  const d = t.dataSync() as Float32Array;
  // the cpu backend hands back its own storage: copy it; webgl/webgpu (and wasm's fallback) return a fresh array
  if (name !== 'cpu') return d;
  const out = new Float32Array(d.length);
  out.set(d);
  return out;
}
