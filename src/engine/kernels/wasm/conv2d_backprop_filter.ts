/**
 * Conv2DBackpropFilter for the wasm backend (tfjs-backend-wasm 4.22 has none).
 *
 * dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw, ci] · dy[n,oh,ow,co]
 *
 * Fast path (XNNPACK convolution, no patch matrix): read the sum as a convolution
 * in which the batch is the channel axis and dy is the filter:
 *   X'[ci,h,w,n] = x[n,h,w,ci]  (Transpose),   F[oh,ow,n,co] = dy[n,oh,ow,co]  (Transpose)
 *   D[ci,kh,kw,co] = conv2d(X', F, strides = (dh,dw), dilations = (sh,sw), pads (pt,pb'),(pl,pr'))
 *   dW = transpose(D, [1,2,0,3])
 * with the bottom/right pads chosen so the output is exactly KH x KW.
 * Fallback (when that would need a negative pad, i.e. 'valid' convs that ignore trailing
 * input rows): JS writes the transposed patch matrix colsT[K,M] (K = KH·KW·Cin,
 * M = N·OH·OW) into a wasm-heap tensor and one XNNPACK GEMM [K,M]·[M,Cout] gives dW.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { im2colTransposed } from './im2col';
import { convGeometry, f32, gemm, runWasmKernel } from './wasm_backend';
import type { ConvGeometry, WasmBackendLike, WasmKernelArgs } from './wasm_backend';

export const CONV2D_BACKPROP_FILTER = 'Conv2DBackpropFilter';

function transpose(backend: WasmBackendLike, x: TensorInfo, perm: number[]): TensorInfo {
  return runWasmKernel('Transpose', backend, { x }, { perm });
}

function viaConv2D(backend: WasmBackendLike, x: TensorInfo, dy: TensorInfo, g: ConvGeometry, padBottom: number, padRight: number): TensorInfo {
  const xT = transpose(backend, x, [3, 1, 2, 0]);
  const dyT = transpose(backend, dy, [1, 2, 0, 3]);
  const d = runWasmKernel('Conv2D', backend, { x: xT, filter: dyT }, {
    strides: [g.dilH, g.dilW],
    dilations: [g.strideH, g.strideW],
    pad: [[0, 0], [g.padTop, padBottom], [g.padLeft, padRight], [0, 0]],
    dataFormat: 'NHWC',
  });
  backend.disposeData(xT.dataId);
  backend.disposeData(dyT.dataId);
  const out = transpose(backend, d, [1, 2, 0, 3]);
  backend.disposeData(d.dataId);
  return out;
}

function viaIm2col(backend: WasmBackendLike, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  const K = g.kH * g.kW * g.inC;
  const M = g.batch * g.outH * g.outW;
  const colsT = backend.makeOutput([1, K, M], 'float32');
  // A fresh copy of dy: XNNPACK caches the packed right operand by tensor id.
  const dyCopy = backend.makeOutput([1, M, g.outC], 'float32');
  // Views only after every allocation: heap growth detaches older views.
  im2colTransposed(f32(backend, x), g, f32(backend, colsT));
  f32(backend, dyCopy).set(f32(backend, dy));
  const out = gemm(backend, colsT, dyCopy);
  backend.disposeData(colsT.dataId);
  backend.disposeData(dyCopy.dataId);
  return out;
}

export function conv2dBackpropFilter({ inputs, backend, attrs }: WasmKernelArgs): TensorInfo {
  const x = inputs['x']!;
  const dy = inputs['dy']!;
  const filterShape = attrs['filterShape'] as number[];
  const g = convGeometry(x.shape, filterShape, attrs, false, CONV2D_BACKPROP_FILTER);
  // Pads that make the swapped convolution's output exactly KH x KW.
  const padBottom = (g.kH - 1) * g.dilH + (g.outH - 1) * g.strideH + 1 - g.inH - g.padTop;
  const padRight = (g.kW - 1) * g.dilW + (g.outW - 1) * g.strideW + 1 - g.inW - g.padLeft;
  const out =
    padBottom >= 0 && padRight >= 0 && g.padTop >= 0 && g.padLeft >= 0
      ? viaConv2D(backend, x, dy, g, padBottom, padRight)
      : viaIm2col(backend, x, dy, g);
  return { dataId: out.dataId, shape: [...filterShape], dtype: 'float32' };
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: CONV2D_BACKPROP_FILTER,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as KernelFunc,
};
