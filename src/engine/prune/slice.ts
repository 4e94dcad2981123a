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

/**
 * Returns a new tensor holding the kept part of `value` (the caller owns it), or null when
 * nothing is removed from any axis.
 */
export function sliceWeight(value: tf.Tensor, plan: WeightPlan, keepIn: Int32Array | null, keepOut: Int32Array | null): tf.Tensor | null {
  const picks: (Int32Array | null)[] = plan.axes.map((a) =>
    a === 'in' ? keepIn : a === 'out' ? keepOut : a === 'inBlock' ? (keepIn ? expandBlocks(keepIn, plan.block) : null) : null,
  );
  if (picks.every((p) => p === null)) return null;
  return tf.tidy(() => {
    let t = value;
    picks.forEach((p, axis) => {
      if (p) t = tf.gather(t, tf.tensor1d(p, 'int32'), axis);
    });
    return t;
  });
}
