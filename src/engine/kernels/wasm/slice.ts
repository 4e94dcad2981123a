/**
 * Slice for the wasm backend, wrapping 4.22's. Its strided path copies every
 * innermost row with `set(subarray(...))` after reading a full copy of the input
 * (`readSync`); with NHWC rows of 16–64 channels that is tens of thousands of tiny
 * copies (45 ms for one [64,34,34,16] → [64,32,32,16] slice, the ZeroPadding2D
 * gradient of a ResNet option-A shortcut). Ours reads the heap in place, merges
 * every trailing full dimension into one contiguous run, and copies short runs
 * with a plain loop. Strings go to the backend's own kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { WasmKernelArgs } from './wasm_backend';

export const SLICE = 'Slice';

type Heap = Float32Array | Int32Array | Uint8Array;

/** Copies the block [begin, begin+size) of a row-major `shape` array into `dst`. */
export function sliceInto(src: Heap, shape: readonly number[], begin: readonly number[], size: readonly number[], dst: Heap): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[0] = src[0]!;
    return;
  }
  const stride = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) stride[d] = stride[d + 1]! * shape[d + 1]!;
  // j: outermost dim of the contiguous run (all dims after j are taken whole).
  let j = rank - 1;
  while (j > 0 && begin[j] === 0 && size[j] === shape[j]) j--;
  const len = size[j]! * stride[j]!;
  const base = begin[j]! * stride[j]!;
  const idx = new Array<number>(j).fill(0);
  let o = 0;
  const total = dst.length;
  while (o < total) {
    let s = base;
    for (let d = 0; d < j; d++) s += (begin[d]! + idx[d]!) * stride[d]!;
    if (len >= 64) dst.set(src.subarray(s, s + len), o);
    else for (let i = 0; i < len; i++) dst[o + i] = src[s + i]!;
    o += len;
    for (let d = j - 1; d >= 0; d--) {
      if (++idx[d]! < size[d]!) break;
      idx[d] = 0;
    }
  }
}

const wrappers = new WeakSet<KernelFunc>();

/** True if `fn` is our Slice wrapper. */
export function isFastSlice(fn: KernelFunc): boolean {
  return wrappers.has(fn);
}

/** Wraps the backend's own Slice (`original`, used for strings). */
export function fastSlice(original: KernelFunc): KernelFunc {
  const fn = ((args: WasmKernelArgs) => {
    const { inputs, backend, attrs } = args;
    const x = inputs['x']!;
    if (x.dtype === 'string') return original(args as unknown as Parameters<KernelFunc>[0]);
    const [begin, size] = tf.slice_util.parseSliceParams(
      x as unknown as tf.Tensor, attrs['begin'] as number | number[], attrs['size'] as number | number[] | undefined,
    );
    const out: TensorInfo = backend.makeOutput(size, x.dtype);
    if (size.some((s) => s === 0)) return out;
    // Views only after the allocation: heap growth detaches older views.
    sliceInto(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
    return out;
  }) as unknown as KernelFunc;
  wrappers.add(fn);
  return fn;
}
