/**
 * Tile for the wasm backend, replacing 4.22's per-element C++ loop (which made
 * the BatchNorm gradient's tile of a [1,1,1,C] vector to [N,H,W,C] about a
 * quarter of a ResNet training step). Row-major recursive block copy: the
 * innermost source run is copied once, then every level is replicated with
 * doubling copyWithin calls, i.e. memcpy speed on the wasm heap.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { WasmKernelArgs } from './wasm_backend';

export const TILE = 'Tile';

type Heap = Float32Array | Int32Array | Uint8Array;

/** Copies dst[start, start+len) to fill dst[start, start+total), doubling each time. */
function replicate(dst: Heap, start: number, len: number, total: number): void {
  let filled = len;
  while (filled < total) {
    const n = Math.min(filled, total - filled);
    dst.copyWithin(start + filled, start, start + n);
    filled += n;
  }
}

export function tileInto(src: Heap, shape: readonly number[], reps: readonly number[], dst: Heap): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[0] = src[0]!;
    return;
  }
  const outShape = shape.map((s, i) => s * reps[i]!);
  const srcStride = new Array<number>(rank).fill(1);
  const outStride = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) {
    srcStride[d] = srcStride[d + 1]! * shape[d + 1]!;
    outStride[d] = outStride[d + 1]! * outShape[d + 1]!;
  }
  const fill = (d: number, s: number, o: number): void => {
    const n = shape[d]!;
    if (d === rank - 1) {
      dst.set(src.subarray(s, s + n), o);
    } else {
      for (let i = 0; i < n; i++) fill(d + 1, s + i * srcStride[d]!, o + i * outStride[d]!);
    }
    replicate(dst, o, n * outStride[d]!, outShape[d]! * outStride[d]!);
  };
  fill(0, 0, 0);
}

export function tile({ inputs, backend, attrs }: WasmKernelArgs): TensorInfo {
  const x = inputs['x']!;
  const reps = attrs['reps'] as number[];
  if (reps.length !== x.shape.length) {
    throw new Error(`Tile on wasm: reps [${reps}] must have one entry per dimension of [${x.shape}]`);
  }
  const outShape = x.shape.map((s, i) => s * reps[i]!);
  const out = backend.makeOutput(outShape, x.dtype);
  if (outShape.some((s) => s === 0)) return out;
  // Views only after the allocation: heap growth detaches older views.
  tileInto(backend.typedArrayFromHeap(x), x.shape, reps, backend.typedArrayFromHeap(out));
  return out;
}

export const tileConfig: KernelConfig = {
  kernelName: TILE,
  backendName: 'wasm',
  kernelFunc: tile as unknown as KernelFunc,
};
