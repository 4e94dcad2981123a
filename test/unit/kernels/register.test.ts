import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmForNode } from '../../helpers/wasm';
import { registerWasmTrainingKernels } from '../../../src/engine/kernels/wasm/register';
import { conv2dBackpropFilterConfig } from '../../../src/engine/kernels/wasm/conv2d_backprop_filter';
import { conv2dBackpropInputConfig } from '../../../src/engine/kernels/wasm/conv2d_backprop_input';

beforeAll(initWasmForNode);

describe('registerWasmTrainingKernels', () => {
  it('registers the missing backprop kernels, replaces Conv2DBackpropInput and Tile, wraps Identity and Cast, idempotently', () => {
    const expected = [
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
      'Conv2DBackpropInput',
      'Tile',
      'Identity',
      'Cast',
      'Slice',
      'StudioBatchNormGradSums',
    ];
    expect(registerWasmTrainingKernels()).toEqual(expected);
    expect(registerWasmTrainingKernels()).toEqual(expected);
    for (const name of expected) expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')!.kernelFunc).toBe(conv2dBackpropFilterConfig.kernelFunc);
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')!.kernelFunc).toBe(conv2dBackpropInputConfig.kernelFunc);
    // Other backends are untouched.
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')!.kernelFunc).not.toBe(conv2dBackpropFilterConfig.kernelFunc);
  });
});
