/**
 * Batch-normalisation folding, pure arithmetic on Float32Arrays (no tensors, no tfjs): an inference-mode
 * BatchNormalization y = γ (x − μ) / √(σ² + ε) + β is the per-channel affine map y = s·x + t with
 * s = γ / √(σ² + ε) and t = β − s·μ. When x is the output of a conv or dense layer, s scales that layer's
 * kernel along its output channels and the layer's bias becomes s·b + t (b = 0 when it had none).
 * Sums are formed in float64 and rounded once to float32.
 */
import { StudioError } from '../errors';

export interface BnStatistics {
  /** γ; absent when the layer has `scale: false` (γ = 1). */
  gamma?: Float32Array;
  /** β; absent when the layer has `center: false` (β = 0). */
  beta?: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  epsilon: number;
}

/** How the kernel's last axes map to output channels. */
export type KernelLayout =
  /** Conv2D [kh, kw, cin, cout], Dense [in, units]: the last axis is the output channel. */
  | 'last'
  /** DepthwiseConv2D [kh, kw, cin, multiplier]: output channel = c·multiplier + m over the last two axes. */
  | 'depthwise';

/** Per-channel scale s and shift t of an inference-mode BatchNormalization. */
export function bnAffine(bn: BnStatistics): { scale: Float64Array; shift: Float64Array } {
  const n = bn.mean.length;
  for (const [k, v] of [['variance', bn.variance], ['gamma', bn.gamma], ['beta', bn.beta]] as const)
    if (v && v.length !== n) throw new StudioError('shape-mismatch', `BatchNormalization ${k} has ${v.length} channels, moving mean ${n}.`);
  if (!(bn.epsilon >= 0)) throw new StudioError('bad-input', `BatchNormalization epsilon must be ≥ 0 (got ${bn.epsilon}).`);
  const scale = new Float64Array(n);
  const shift = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    const s = (bn.gamma ? bn.gamma[c]! : 1) / Math.sqrt(bn.variance[c]! + bn.epsilon);
    scale[c] = s;
    shift[c] = (bn.beta ? bn.beta[c]! : 0) - s * bn.mean[c]!;
  }
  return { scale, shift };
}

/** The kernel scaled per output channel (a new array; `kernel` is not modified). */
export function scaleKernel(kernel: Float32Array, shape: readonly number[], layout: KernelLayout, scale: ArrayLike<number>): Float32Array {
  const size = shape.reduce((a, d) => a * d, 1);
  if (size !== kernel.length) throw new StudioError('shape-mismatch', `Kernel of ${kernel.length} values does not have shape [${shape.join(', ')}].`);
  const channels = layout === 'last' ? shape[shape.length - 1]! : shape[shape.length - 2]! * shape[shape.length - 1]!;
  if (channels !== scale.length) throw new StudioError('shape-mismatch', `Kernel [${shape.join(', ')}] has ${channels} output channels, the BatchNormalization ${scale.length}.`);
  const out = new Float32Array(kernel.length);
  // In both layouts the output channel index is the flat index modulo `channels` (row-major, channels innermost).
  for (let i = 0; i < kernel.length; i++) out[i] = kernel[i]! * scale[i % channels]!;
  return out;
}

/** The folded bias s·b + t (b = the layer's bias, or zeros when it had none). */
export function foldBias(bias: Float32Array | null, scale: ArrayLike<number>, shift: ArrayLike<number>): Float32Array {
  if (bias && bias.length !== scale.length) throw new StudioError('shape-mismatch', `Bias has ${bias.length} channels, the BatchNormalization ${scale.length}.`);
  const out = new Float32Array(scale.length);
  for (let c = 0; c < out.length; c++) out[c] = (bias ? bias[c]! : 0) * scale[c]! + shift[c]!;
  return out;
}

/** Folds `bn` into a kernel (+ optional bias): returns the new kernel and bias. */
export function foldBatchNorm(
  kernel: Float32Array,
  shape: readonly number[],
  layout: KernelLayout,
  bias: Float32Array | null,
  bn: BnStatistics,
): { kernel: Float32Array; bias: Float32Array } {
  const { scale, shift } = bnAffine(bn);
  return { kernel: scaleKernel(kernel, shape, layout, scale), bias: foldBias(bias, scale, shift) };
}
