/**
 * BN scale (Liu et al., "Learning Efficient Convolutional Networks through Network Slimming",
 * ICCV 2017): score_c = |γ_c| of the BatchNormalization layer over the channel.
 */
export function bnScores(gamma: Float32Array, offset: number, channels: number): Float64Array {
  const out = new Float64Array(channels);
  for (let j = 0; j < channels; j++) out[j] = Math.abs(gamma[offset + j]!);
  return out;
}
