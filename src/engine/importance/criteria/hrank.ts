/**
 * HRank (Lin et al., "HRank: Filter Pruning using High-Rank Feature Map", CVPR 2020):
 * score_c = mean over images of rank(A_c), A_c the H×W feature map of channel c,
 * rank with the numpy tolerance (see ../rank.ts). Low-rank maps carry less information.
 */
import { matrixRank } from '../rank';
import type { MapBatch, MapStatistic, StatPartial } from './types';

export function hrankStatistic(channels: number): MapStatistic {
  const sum = new Float64Array(channels);
  let images = 0;
  let allFull = true;
  return {
    add(b: MapBatch): void {
      const full = Math.min(b.h, b.w);
      const plane = b.h * b.w * b.c;
      for (let i = 0; i < b.n; i++) {
        for (let j = 0; j < b.channels; j++) {
          const r = matrixRank(b.data, b.h, b.w, { offset: i * plane + b.offset + j, rowStride: b.w * b.c, colStride: b.c });
          if (r !== full) allFull = false;
          sum[j] = sum[j]! + r;
        }
      }
      images += b.n;
    },
    result: () => sum.map((s) => (images ? s / images : 0)),
    notes: () => ({ allFullRank: images > 0 && allFull }),
    partial: () => ({ sum: sum.slice(), images, allFullRank: allFull }),
    merge(p: StatPartial): void {
      for (let j = 0; j < channels; j++) sum[j] = sum[j]! + p.sum[j]!;
      images += p.images;
      if (p.allFullRank === false) allFull = false;
    },
  };
}
