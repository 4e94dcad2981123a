/**
 * FPGM (He et al., "Filter Pruning via Geometric Median for Deep Convolutional Neural Networks
 * Acceleration", CVPR 2019): score_f = Σ_g ‖W_f − W_g‖_2 over the other filters of the layer.
 * Filters near the geometric median (small sum) are replaceable by the others: least important.
 */
import type { Filters } from './types';

export function fpgmScores(f: Filters): Float64Array {
  const n = f.count;
  // gather filters row-major (filter × size) in float64
  const w = new Float64Array(n * f.size);
  for (let i = 0; i < f.size; i++) {
    const o = i * f.stride + f.offset;
    for (let j = 0; j < n; j++) w[j * f.size + i] = f.data[o + j]!;
  }
  const out = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      let s = 0;
      const oa = a * f.size;
      const ob = b * f.size;
      for (let i = 0; i < f.size; i++) {
        const d = w[oa + i]! - w[ob + i]!;
        s += d * d;
      }
      const dist = Math.sqrt(s);
      out[a] = out[a]! + dist;
      out[b] = out[b]! + dist;
    }
  }
  return out;
}
