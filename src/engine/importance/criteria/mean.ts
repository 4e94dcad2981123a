/**
 * Mean activation (Hu et al. 2016 / Molchanov et al. 2017 baseline): score_c = mean of channel c's
 * activations over positions and images. After a ReLU this is a mean magnitude.
 */
import type { MapBatch, MapStatistic } from './types';

export function meanStatistic(channels: number): MapStatistic {
  const sum = new Float64Array(channels);
  let total = 0;
  return {
    add(b: MapBatch): void {
      const rows = b.n * b.h * b.w;
      for (let r = 0; r < rows; r++) {
        const o = r * b.c + b.offset;
        for (let j = 0; j < b.channels; j++) sum[j] = sum[j]! + b.data[o + j]!;
      }
      total += rows;
    },
    result: () => sum.map((s) => (total ? s / total : 0)),
  };
}
