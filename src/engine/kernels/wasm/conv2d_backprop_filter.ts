/**
 * Conv2DBackpropFilter for the wasm backend (tfjs-backend-wasm 4.22 has none).
 *
 * dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw, ci] · dy[n,oh,ow,co]
 *                 = (im2col(x)ᵀ · dy)[(kh,kw,ci), co]
 * The transposed patch matrix colsT[K, M] is written by JS straight into a wasm
 * heap tensor and one XNNPACK GEMM [K,M]x[M,Cout] (the backend's BatchMatMul)
 * produces dW, whose row-major layout already is [KH,KW,Cin,Cout].
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { im2colTransposed } from './im2col';
import { convGeometry, f32, gemm } from './wasm_backend';
import type { WasmKernelArgs } from './wasm_backend';

export const CONV2D_BACKPROP_FILTER = 'Conv2DBackpropFilter';

export function conv2dBackpropFilter({ inputs, backend, attrs }: WasmKernelArgs): TensorInfo {
  const x = inputs['x'];
  const dy = inputs['dy'];
  const filterShape = attrs['filterShape'] as number[];
  const g = convGeometry(x.shape, filterShape, attrs, false, CONV2D_BACKPROP_FILTER);
  const K = g.kH * g.kW * g.inC;
  const M = g.batch * g.outH * g.outW;
  const colsT = backend.makeOutput([1, K, M], 'float32');
  const dyCopy = backend.makeOutput([1, M, g.outC], 'float32');
  // Views only after every allocation: heap growth detaches older views.
  im2colTransposed(f32(backend, x), g, f32(backend, colsT));
  f32(backend, dyCopy).set(f32(backend, dy));
  const out = gemm(backend, colsT, dyCopy);
  backend.disposeData(colsT.dataId);
  backend.disposeData(dyCopy.dataId);
  return { dataId: out.dataId, shape: [...filterShape], dtype: 'float32' };
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: CONV2D_BACKPROP_FILTER,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as KernelFunc,
};
