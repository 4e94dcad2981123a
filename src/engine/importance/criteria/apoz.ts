/**
 * APoZ (Hu et al., "Network Trimming: A Data-Driven Neuron Pruning Approach towards Efficient
 * Deep Architectures", 2016): APoZ_c = fraction of zero activations of channel c (over positions
 * and images) after the ReLU. Score = 1 − APoZ_c, so a channel that is always zero scores 0.
 */
import type { MapBatch, MapStatistic } from './types';

export function apozStatistic(channels: number): MapStatistic {
  const zeros = new Float64Array(channels);
  let total = 0;
  let values = 0;
  return {
    add(b: MapBatch): void {
      const rows = b.n * b.h * b.w;
      for (let r = 0; r < rows; r++) {
        const o = r * b.c + b.offset;
        for (let j = 0; j < b.channels; j++) if (b.data[o + j] === 0) zeros[j] = zeros[j]! + 1;
      }
      total += rows;
      values += rows * b.channels;
    },
    result: () => zeros.map((z) => (total ? 1 - z / total : 0)),
    notes: () => {
      let z = 0;
      for (const x of zeros) z += x;
      return { zeroFraction: values ? z / values : 0 };
    },
  };
}
