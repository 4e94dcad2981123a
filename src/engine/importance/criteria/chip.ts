/**
 * CHIP channel independence (Sui et al., "CHIP: CHannel Independence-based Pruning for Compact
 * Neural Networks", NeurIPS 2021): per image, A is the C×HW matrix of the layer's maps,
 *   CI_j = ‖A‖_* − ‖A with row j zeroed‖_*,
 * averaged over images. Nuclear norms come from the eigenvalues of the C×C Gram matrix AAᵀ
 * (float64); zeroing row j leaves the principal submatrix without j (plus a zero eigenvalue),
 * whose eigenvalues come from one decomposition of AAᵀ and a secular equation per row.
 * Unlike the reference code, the maps are not rounded to 4 decimals first.
 */
import { symmetricEigen, symmetricEigenvalues } from '../linalg';
import { sumOverDeletedRow } from '../deleted-row';
import type { MapBatch, MapStatistic, StatPartial } from './types';

/**
 * CI of every row of one C×P matrix given as its row-major Gram matrix (C×C): one
 * eigen-decomposition, then each deleted row's spectrum from the secular equation (../deleted-row.ts).
 */
export function channelIndependence(gram: Float64Array, c: number): Float64Array {
  const { values, vectors } = symmetricEigen(gram, c);
  const root = sqrtAboveNoise(c, values[c - 1] ?? 0);
  const full = sumRoots(values, root);
  const out = new Float64Array(c);
  for (let j = 0; j < c; j++) out[j] = c === 1 ? full : full - sumOverDeletedRow(values, vectors, c, j, root);
  return out;
}

/**
 * √λ, with eigenvalues below the float64 rounding floor of a c×c eigen-solve (4·c·eps64·λ_max)
 * counted as 0: they are noise of exact zeros (dead channels, rank deficiency), and √noise
 * would add ≈ 1e-7·σ_max per zero to the nuclear norm.
 */
function sqrtAboveNoise(c: number, lambdaMax: number): (l: number) => number {
  const floor = 4 * c * 2 ** -52 * Math.max(lambdaMax, 0);
  return (l) => (l > floor ? Math.sqrt(l) : 0);
}

function sumRoots(eig: Float64Array, root: (l: number) => number): number {
  let s = 0;
  for (const l of eig) s += root(l);
  return s;
}

/** The same by brute force: C + 1 eigenvalue problems (the test oracle). */
export function channelIndependenceReference(gram: Float64Array, c: number): Float64Array {
  const all = symmetricEigenvalues(gram.slice(), c);
  const root = sqrtAboveNoise(c, Math.max(...all));
  const full = sumRoots(all, root);
  const out = new Float64Array(c);
  const sub = new Float64Array((c - 1) * (c - 1));
  for (let j = 0; j < c; j++) {
    let t = 0;
    for (let p = 0; p < c; p++) {
      if (p === j) continue;
      for (let q = 0; q < c; q++) if (q !== j) sub[t++] = gram[p * c + q]!;
    }
    out[j] = c === 1 ? full : full - sumRoots(symmetricEigenvalues(sub, c - 1), root);
  }
  return out;
}

export function chipStatistic(channels: number): MapStatistic {
  const sum = new Float64Array(channels);
  let images = 0;
  const g = new Float64Array(channels * channels);
  return {
    add(b: MapBatch): void {
      const pos = b.h * b.w;
      const plane = pos * b.c;
      const rows = new Float64Array(channels * pos);
      for (let i = 0; i < b.n; i++) {
        const base = i * plane + b.offset;
        for (let p = 0; p < pos; p++) for (let j = 0; j < channels; j++) rows[j * pos + p] = b.data[base + p * b.c + j]!;
        for (let p = 0; p < channels; p++) {
          for (let q = 0; q <= p; q++) {
            let s = 0;
            const op = p * pos;
            const oq = q * pos;
            for (let t = 0; t < pos; t++) s += rows[op + t]! * rows[oq + t]!;
            g[p * channels + q] = s;
            g[q * channels + p] = s;
          }
        }
        const ci = channelIndependence(g, channels);
        for (let j = 0; j < channels; j++) sum[j] = sum[j]! + ci[j]!;
      }
      images += b.n;
    },
    result: () => sum.map((s) => (images ? s / images : 0)),
    partial: () => ({ sum: sum.slice(), images }),
    merge(p: StatPartial): void {
      for (let j = 0; j < channels; j++) sum[j] = sum[j]! + p.sum[j]!;
      images += p.images;
    },
  };
}
