/**
 * Weight slicing helpers: keep the given positions of a weight along its input/output
 * channel axes (see WeightPlan axes), leaving fixed axes alone.
 */
import * as tf from '@tensorflow/tfjs';
import type { WeightPlan } from '../graph/types';

/** Positions (of a layout) whose atom is kept; null when every position is kept. */
export function keptPositions(layout: Int32Array, removedAtom: Uint8Array): Int32Array | null {
  let kept = 0;
  for (const a of layout) if (!removedAtom[a]) kept++;
  if (kept === layout.length) return null;
  const out = new Int32Array(kept);
  let k = 0;
  for (let p = 0; p < layout.length; p++) if (!removedAtom[layout[p]]) out[k++] = p;
  return out;
}

/** Expands kept positions p into blocks p*block .. p*block+block-1 (separable pointwise rows). */
export function expandBlocks(keep: Int32Array, block: number): Int32Array {
  if (block === 1) return keep;
  const out = new Int32Array(keep.length * block);
  for (let i = 0; i < keep.length; i++) for (let j = 0; j < block; j++) out[i * block + j] = keep[i] * block + j;
  return out;
}

/** Copies the kept entries of a row-major array: `picks[axis]` lists kept indices (null = all). */
export function gatherAxes(src: ArrayLike<number>, shape: number[], picks: (Int32Array | null)[], dst: Float32Array): void {
  const rank = shape.length;
  const srcStride = new Array<number>(rank).fill(1);
  for (let a = rank - 2; a >= 0; a--) srcStride[a] = srcStride[a + 1] * shape[a + 1];
  const outShape = shape.map((d, a) => picks[a]?.length ?? d);
  const dstStride = new Array<number>(rank).fill(1);
  for (let a = rank - 2; a >= 0; a--) dstStride[a] = dstStride[a + 1] * outShape[a + 1];
  const copy = (axis: number, so: number, d: number): void => {
    const pick = picks[axis];
    const n = outShape[axis];
    if (axis === rank - 1) {
      if (pick) for (let i = 0; i < n; i++) dst[d + i] = src[so + pick[i]];
      else for (let i = 0; i < n; i++) dst[d + i] = src[so + i];
      return;
    }
    for (let i = 0; i < n; i++) copy(axis + 1, so + (pick ? pick[i] : i) * srcStride[axis], d + i * dstStride[axis]);
  };
  if (rank === 0) dst[0] = src[0];
  else copy(0, 0, 0);
}

/**
 * Returns a new tensor holding the kept part of `value` (the caller owns it), or null when
 * nothing is removed from any axis. Copies on the CPU into fresh storage (tf.gather on the
 * wasm backend returns reshaped storage that its fused conv kernels reject as a bias).
 */
export function sliceWeight(value: tf.Tensor, plan: WeightPlan, keepIn: Int32Array | null, keepOut: Int32Array | null): tf.Tensor | null {
  const picks: (Int32Array | null)[] = plan.axes.map((a) =>
    a === 'in' ? keepIn : a === 'out' ? keepOut : a === 'inBlock' ? (keepIn ? expandBlocks(keepIn, plan.block) : null) : null,
  );
  if (picks.every((p) => p === null)) return null;
  const shape = value.shape;
  const outShape = shape.map((d, a) => picks[a]?.length ?? d);
  const dst = new Float32Array(outShape.reduce((x, y) => x * y, 1));
  gatherAxes(value.dataSync() as Float32Array, shape, picks, dst);
  return tf.tensor(dst, outShape, 'float32');
}
