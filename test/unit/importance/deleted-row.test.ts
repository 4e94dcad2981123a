import { describe, expect, it } from 'vitest';
import { channelIndependence, channelIndependenceReference } from '../../../src/engine/importance/criteria/chip';
import { sumOverDeletedRow } from '../../../src/engine/importance/deleted-row';
import { symmetricEigen, symmetricEigenvalues } from '../../../src/engine/importance/linalg';
import { mulberry32 } from '../../../src/engine/random';

/** Row-major C×C Gram matrix of a C×P matrix whose rows come from `row(i, rnd)`. */
function gramOf(c: number, row: (i: number, rnd: () => number) => number[], seed = 1): Float64Array {
  const rnd = mulberry32(seed);
  const rows = Array.from({ length: c }, (_, i) => row(i, rnd));
  const g = new Float64Array(c * c);
  for (let i = 0; i < c; i++) for (let j = 0; j < c; j++) g[i * c + j] = rows[i]!.reduce((s, v, t) => s + v * rows[j]![t]!, 0);
  return g;
}

const dense = (p: number) => (_: number, rnd: () => number) => Array.from({ length: p }, () => Math.max(0, rnd() * 2 - 0.7));

function expectClose(got: Float64Array, want: Float64Array, scale: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-7 * scale + 1e-12);
}

describe('symmetricEigen', () => {
  it('decomposes G = V Λ Vᵀ with orthonormal V and ascending Λ', () => {
    const n = 12;
    const g = gramOf(n, dense(20), 3);
    const { values, vectors } = symmetricEigen(g, n);
    for (let i = 1; i < n; i++) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
    const ref = Array.from(symmetricEigenvalues(g.slice(), n)).sort((x, y) => x - y);
    ref.forEach((v, i) => expect(values[i]!).toBeCloseTo(v, 9));
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        let rec = 0;
        let orth = 0;
        for (let k = 0; k < n; k++) {
          rec += vectors[r * n + k]! * values[k]! * vectors[c * n + k]!;
          orth += vectors[k * n + r]! * vectors[k * n + c]!;
        }
        expect(rec).toBeCloseTo(g[r * n + c]!, 9);
        expect(orth).toBeCloseTo(r === c ? 1 : 0, 12);
      }
    }
  });

  it('handles 1×1, diagonal and zero matrices', () => {
    expect(Array.from(symmetricEigen(new Float64Array([5]), 1).values)).toEqual([5]);
    const d = symmetricEigen(new Float64Array([3, 0, 0, 0, 1, 0, 0, 0, 2]), 3);
    expect(Array.from(d.values)).toEqual([1, 2, 3]);
    expect(Array.from(symmetricEigen(new Float64Array(9), 3).values)).toEqual([0, 0, 0]);
  });
});

describe('sumOverDeletedRow (secular equation) against brute force', () => {
  it('matches the spectrum of the principal submatrix for g(μ) = μ and g(μ) = μ²', () => {
    const n = 9;
    const g = gramOf(n, dense(30), 5);
    const { values, vectors } = symmetricEigen(g, n);
    for (let j = 0; j < n; j++) {
      const sub: number[] = [];
      for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) if (p !== j && q !== j) sub.push(g[p * n + q]!);
      const mus = symmetricEigenvalues(new Float64Array(sub), n - 1);
      const trace = mus.reduce((s, v) => s + v, 0);
      const sq = mus.reduce((s, v) => s + v * v, 0);
      expect(sumOverDeletedRow(values, vectors, n, j, (m) => m)).toBeCloseTo(trace, 8);
      expect(sumOverDeletedRow(values, vectors, n, j, (m) => m * m) / sq).toBeCloseTo(1, 10);
    }
  });

  const cases: [string, Float64Array, number][] = [
    ['random post-ReLU rows, C < P', gramOf(16, dense(64), 7), 16],
    ['C = P = 64 (an 8×8 layer with 64 channels)', gramOf(64, dense(64), 8), 64],
    ['C > P: rank-deficient Gram (zero eigenvalue cluster)', gramOf(24, dense(10), 9), 24],
    ['dead channels (zero rows) and a duplicated channel', gramOf(12, (i, rnd) => (i % 4 === 0 ? new Array(40).fill(0) : i === 5 ? Array.from({ length: 40 }, (_, t) => (t % 3) + 1) : i === 6 ? Array.from({ length: 40 }, (_, t) => (t % 3) + 1) : dense(40)(i, rnd)), 10), 12],
    ['orthogonal rows (repeated eigenvalues)', gramOf(8, (i) => Array.from({ length: 8 }, (_, t) => (t === i ? 2 : 0)), 11), 8],
    ['scaled rows spanning 1e-6 … 1e3', gramOf(10, (i, rnd) => dense(50)(i, rnd).map((v) => v * 10 ** (i - 6)), 12), 10],
  ];
  for (const [name, g, c] of cases) {
    it(`CHIP channel independence: ${name}`, () => {
      const fast = channelIndependence(g, c);
      const ref = channelIndependenceReference(g, c);
      const scale = Math.max(...Array.from(ref).map(Math.abs), 1e-30);
      expectClose(fast, ref, scale);
    });
  }

  it('an orthogonal row keeps exactly its own norm as its independence', () => {
    // rows 0 and 1 are orthogonal to everything: CI = their norm
    const g = gramOf(5, (i, rnd) => (i === 0 ? [3, 0, 0, 0, 0, 0] : i === 1 ? [0, 4, 0, 0, 0, 0] : [0, 0, rnd(), rnd(), rnd(), rnd()]), 13);
    const ci = channelIndependence(g, 5);
    expect(ci[0]).toBeCloseTo(3, 10);
    expect(ci[1]).toBeCloseTo(4, 10);
  });
});
