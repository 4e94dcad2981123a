/**
 * First-order Taylor importance (Molchanov et al., "Pruning Convolutional Neural Networks for
 * Resource Efficient Inference", ICLR 2017): for image n and channel c,
 *   Θ_{n,c} = | (1/M) Σ_positions a · ∂L/∂a |,
 * averaged over images. The per-image sums Σ a·∂L/∂a are obtained in one backward pass as the
 * gradient of the loss with respect to a per-image, per-channel multiplicative gate (= 1)
 * inserted at the captured layer output (see ../taylor-grads.ts); this statistic takes those
 * gate gradients (N×C, positions already summed) and M.
 */

export interface TaylorStatistic {
  add(gateGrads: Float32Array, n: number, c: number, offset: number, positions: number): void;
  result(): Float64Array;
}

export function taylorStatistic(channels: number): TaylorStatistic {
  const sum = new Float64Array(channels);
  let images = 0;
  return {
    add(gateGrads, n, c, offset, positions): void {
      for (let i = 0; i < n; i++)
        for (let j = 0; j < channels; j++) sum[j] = sum[j]! + Math.abs(gateGrads[i * c + offset + j]!) / positions;
      images += n;
    },
    result: () => sum.map((s) => (images ? s / images : 0)),
  };
}
