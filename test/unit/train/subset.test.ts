import { describe, expect, it } from 'vitest';
import { balancedSubset, balancedSubsetIndices } from '../../../src/engine/train/subset';
import type { SplitData } from '../../../src/engine/data/types';

/** Unbalanced labels: class c has 10 + 5c images, interleaved; image i's first byte is i (identifiable). */
function unbalanced(): SplitData {
  const labels: number[] = [];
  for (let c = 0; c < 4; c++) for (let k = 0; k < 10 + 5 * c; k++) labels.push(c);
  labels.sort((a, b) => ((a * 7919) % 13) - ((b * 7919) % 13));
  const count = labels.length;
  const images = new Uint8Array(count * 3);
  for (let i = 0; i < count; i++) images[i * 3] = i;
  return { count, images, labels: Uint16Array.from(labels) };
}

const counts = (s: SplitData) => Array.from({ length: 4 }, (_, c) => s.labels.filter((l) => l === c).length);

describe('balancedSubset', () => {
  const split = unbalanced();

  it('takes an equal share of every class (±1), pixels following their labels', () => {
    const sub = balancedSubset(split, 22, 1);
    expect(sub.count).toBe(22);
    const n = counts(sub);
    expect(Math.max(...n) - Math.min(...n)).toBeLessThanOrEqual(1);
    for (let k = 0; k < sub.count; k++) expect(split.labels[sub.images[k * 3]!]).toBe(sub.labels[k]);
  });

  it('fills from the larger classes once a small class runs out', () => {
    const sub = balancedSubset(split, 60, 2);
    expect(counts(sub)).toEqual([10, 15, 18, 17]); // classes of 10 and 15 exhausted, the rest split ±1
  });

  it('is deterministic per seed, differs across seeds, and a larger budget contains a smaller one', () => {
    const a = balancedSubsetIndices(split.labels, split.count, 20, 7);
    expect(Array.from(balancedSubsetIndices(split.labels, split.count, 20, 7))).toEqual(Array.from(a));
    expect(Array.from(balancedSubsetIndices(split.labels, split.count, 20, 8))).not.toEqual(Array.from(a));
    const big = new Set(balancedSubsetIndices(split.labels, split.count, 40, 7));
    expect([...a].every((i) => big.has(i))).toBe(true);
    expect([...a]).toEqual([...a].sort((x, y) => x - y));
  });

  it('returns the split itself for a budget ≥ its size and rejects a bad budget', () => {
    expect(balancedSubset(split, split.count, 0)).toBe(split);
    expect(balancedSubset(split, 10_000, 0)).toBe(split);
    expect(() => balancedSubset(split, 0, 0)).toThrow(/whole number ≥ 1/);
    expect(() => balancedSubset(split, 2.5, 0)).toThrow(/whole number ≥ 1/);
  });
});
