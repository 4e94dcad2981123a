/**
 * Registers the project's training kernels for the 'wasm' backend of
 * @tensorflow/tfjs-backend-wasm 4.22: the three backprop kernels it lacks, and
 * faster Conv2DBackpropInput and Tile kernels replacing the backend's plain C++
 * loops (they dominated a ResNet training step, see docs/wasm-kernels.md), and
 * zero-copy wrappers around its Identity and same-dtype Cast, a faster Slice; plus a lean
 * FusedBatchNorm gradient and Mean/Sum gradients without a full-size `ones`
 * (global, but they fall back to tfjs' own gradients on other backends, see
 * batchnorm_grad.ts and reduce_grad.ts).
 * Safe to call any number of times, before or after the wasm backend is set.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig } from '@tensorflow/tfjs';
import { conv2dBackpropFilterConfig } from './conv2d_backprop_filter';
import { conv2dBackpropInputConfig } from './conv2d_backprop_input';
import { depthwiseConv2dBackpropFilterConfig } from './depthwise_conv2d_backprop_filter';
import { depthwiseConv2dBackpropInputConfig } from './depthwise_conv2d_backprop_input';
import { tileConfig } from './tile';
import { batchNormGradSumsConfig, installLeanBatchNormGrad } from './batchnorm_grad';
import { installLeanReduceGrads } from './reduce_grad';
import { SLICE, fastSlice, isFastSlice } from './slice';
import { SHARING_KERNELS, isSharingKernel, sharingKernel } from './identity';

/** Kernels that wasm 4.22 does not have: registered only when absent. */
const MISSING: readonly KernelConfig[] = [
  conv2dBackpropFilterConfig,
  depthwiseConv2dBackpropFilterConfig,
  depthwiseConv2dBackpropInputConfig,
];

/** Kernels that wasm has but slowly: ours replace them (unregister + register). */
const REPLACEMENTS: readonly KernelConfig[] = [conv2dBackpropInputConfig, tileConfig];

function install(config: KernelConfig, replace: boolean): boolean {
  const existing = tf.getKernel(config.kernelName, 'wasm');
  if (existing != null) {
    if (existing.kernelFunc === config.kernelFunc) return true; // already ours
    if (!replace) return false; // a newer tfjs-backend-wasm ships its own: keep it
    tf.unregisterKernel(config.kernelName, 'wasm');
  }
  tf.registerKernel(config);
  return true;
}

/** Wraps wasm's own Identity/Cast so that they share data instead of copying it. */
function wrapSharing(name: string): boolean {
  const existing = tf.getKernel(name, 'wasm');
  if (existing == null) return false; // wasm backend not loaded: nothing to wrap
  if (isSharingKernel(existing.kernelFunc)) return true;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...existing, kernelFunc: sharingKernel(name, existing.kernelFunc) });
  return true;
}

/** Wraps wasm's own Slice with ours (strings still go to the original). */
function wrapSlice(): boolean {
  const existing = tf.getKernel(SLICE, 'wasm');
  if (existing == null) return false;
  if (isFastSlice(existing.kernelFunc)) return true;
  tf.unregisterKernel(SLICE, 'wasm');
  tf.registerKernel({ ...existing, kernelFunc: fastSlice(existing.kernelFunc) });
  return true;
}

/**
 * Registers the wasm training kernels; returns the names of the kernels of ours
 * that are now registered for 'wasm'. Idempotent.
 */
export function registerWasmTrainingKernels(): string[] {
  const names: string[] = [];
  for (const config of MISSING) if (install(config, false)) names.push(config.kernelName);
  for (const config of REPLACEMENTS) if (install(config, true)) names.push(config.kernelName);
  for (const name of SHARING_KERNELS) if (wrapSharing(name)) names.push(name);
  if (wrapSlice()) names.push(SLICE);
  if (install(batchNormGradSumsConfig, false) && installLeanBatchNormGrad()) names.push(batchNormGradSumsConfig.kernelName);
  installLeanReduceGrads();
  return names;
}
