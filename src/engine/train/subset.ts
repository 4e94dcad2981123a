/**
 * Training budgets by image count: a class-balanced, seeded subset of a split. Each class's images are
 * shuffled by (seed, class); the subset takes them round-robin over the classes, so counts differ by at most
 * one between classes that have enough images, a larger budget contains every image of a smaller one (same
 * seed), and the result depends only on (split, count, seed). The chosen images keep their original order.
 */
import { StudioError } from '../errors';
import type { SplitData } from '../data/types';
import { seededPermutation } from '../random';

/** Indices (ascending) of a class-balanced subset of `count` images of `labels[0..n)`. */
export function balancedSubsetIndices(labels: ArrayLike<number>, n: number, count: number, seed: number): Uint32Array {
  if (!Number.isInteger(count) || count < 1) throw new StudioError('bad-input', `The image budget must be a whole number ≥ 1 (got ${count}).`);
  if (count >= n) return Uint32Array.from({ length: n }, (_, i) => i);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = labels[i]!;
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(i);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const shuffled = classes.map((c) => {
    const list = byClass.get(c)!;
    const perm = seededPermutation(list.length, ((seed | 0) * 0x9e3779b1 + c * 0x85ebca77 + 0x27d4eb2f) >>> 0);
    return Array.from(perm, (p) => list[p]!);
  });
  const out: number[] = [];
  for (let round = 0; out.length < count; round++) {
    for (const list of shuffled) {
      if (round < list.length) out.push(list[round]!);
      if (out.length === count) break;
    }
  }
  return Uint32Array.from(out).sort();
}

/** A copy of `count` class-balanced, seeded images of `split` (the split itself when count ≥ its size). */
export function balancedSubset(split: SplitData, count: number, seed: number): SplitData {
  const idx = balancedSubsetIndices(split.labels, split.count, count, seed);
  if (idx.length === split.count) return split;
  const px = split.count > 0 ? split.images.length / split.count : 0;
  const images = new Uint8Array(idx.length * px);
  const labels = new Uint16Array(idx.length);
  idx.forEach((j, k) => {
    images.set(split.images.subarray(j * px, (j + 1) * px), k * px);
    labels[k] = split.labels[j]!;
  });
  return { count: idx.length, images, labels };
}
