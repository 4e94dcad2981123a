/**
 * CHIP channel independence (Sui et al., "CHIP: CHannel Independence-based Pruning for Compact
 * Neural Networks", NeurIPS 2021): per image, A is the C×HW matrix of the layer's maps,
 *   CI_j = ‖A‖_* − ‖A with row j zeroed‖_*,
 * averaged over images. Nuclear norms come from the eigenvalues of the C×C Gram matrix AAᵀ
 * (float64); zeroing row j leaves the principal submatrix without j (plus a zero eigenvalue).
 * Unlike the reference code, the maps are not rounded to 4 decimals first.
 */
import { symmetricEigenvalues } from '../linalg';
import { sumSqrt } from '../rank';
import type { MapBatch, MapStatistic } from './types';

/** CI of every row of one C×P matrix given as its row-major Gram matrix (C×C). */
export function channelIndependence(gram: Float64Array, c: number): Float64Array {
  const full = sumSqrt(symmetricEigenvalues(gram.slice(), c));
  const out = new Float64Array(c);
  const sub = new Float64Array((c - 1) * (c - 1));
  for (let j = 0; j < c; j++) {
    let t = 0;
    for (let p = 0; p < c; p++) {
      if (p === j) continue;
      for (let q = 0; q < c; q++) if (q !== j) sub[t++] = gram[p * c + q]!;
    }
    out[j] = c === 1 ? full : full - sumSqrt(symmetricEigenvalues(sub, c - 1));
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
  };
}
