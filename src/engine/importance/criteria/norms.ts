/**
 * Filter-norm baselines (Li et al., "Pruning Filters for Efficient ConvNets", ICLR 2017):
 * score_f = ‖W_f‖_1 (L1) or ‖W_f‖_2 (L2) of each producer filter along the kernel's output axis.
 */
import type { Filters } from './types';

export function l1Scores(f: Filters): Float64Array {
  const out = new Float64Array(f.count);
  for (let i = 0; i < f.size; i++) {
    const o = i * f.stride + f.offset;
    for (let j = 0; j < f.count; j++) out[j] = out[j]! + Math.abs(f.data[o + j]!);
  }
  return out;
}

export function l2Scores(f: Filters): Float64Array {
  const out = new Float64Array(f.count);
  for (let i = 0; i < f.size; i++) {
    const o = i * f.stride + f.offset;
    for (let j = 0; j < f.count; j++) out[j] = out[j]! + f.data[o + j]! * f.data[o + j]!;
  }
  return out.map(Math.sqrt);
}
