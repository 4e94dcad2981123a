/**
 * Conv2DBackpropInput for the wasm backend, replacing 4.22's plain C++ loop.
 *
 * dx[n,ih,iw,ci] = Σ_{kh,kw,co} dy[n,oh,ow,co] · W[kh,kw,ci,co]  over oh*sh - pt + kh*dh = ih, ow*sw - pl + kw*dw = iw.
 * - stride 1, dilation 1: a "full" correlation, i.e. the backend's XNNPACK Conv2D on dy
 *   with the rotated, in/out-swapped filter R[kh,kw,co,ci] = W[KH-1-kh, KW-1-kw, ci, co]
 *   and explicit padding (KH-1-pt, KH-1-pb) x (KW-1-pl, KW-1-pr).
 * - otherwise: dcols[M,K] = dy[M,Cout] · Wᵀ[Cout,K] by one XNNPACK GEMM, then col2im
 *   (scatter-add each patch row back into dx) in JS.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { convGeometry, f32, gemm, runWasmKernel } from './wasm_backend';
import type { ConvGeometry, WasmBackendLike, WasmKernelArgs } from './wasm_backend';

export const CONV2D_BACKPROP_INPUT = 'Conv2DBackpropInput';

function viaConv2D(backend: WasmBackendLike, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry, padBottom: number, padRight: number): TensorInfo {
  const { kH, kW, inC, outC } = g;
  const rot = backend.makeOutput([kH, kW, outC, inC], 'float32');
  const w = f32(backend, filter);
  const r = f32(backend, rot);
  for (let kh = 0; kh < kH; kh++) {
    for (let kw = 0; kw < kW; kw++) {
      const src = ((kH - 1 - kh) * kW + (kW - 1 - kw)) * inC * outC;
      const dst = (kh * kW + kw) * outC * inC;
      for (let ci = 0; ci < inC; ci++) {
        for (let co = 0; co < outC; co++) r[dst + co * inC + ci] = w[src + ci * outC + co];
      }
    }
  }
  const pad = [[0, 0], [kH - 1 - g.padTop, kH - 1 - padBottom], [kW - 1 - g.padLeft, kW - 1 - padRight], [0, 0]];
  const out = runWasmKernel('Conv2D', backend, { x: dy, filter: rot }, {
    strides: [1, 1],
    dilations: [1, 1],
    pad,
    dataFormat: 'NHWC',
  });
  backend.disposeData(rot.dataId);
  return out;
}

function viaCol2im(backend: WasmBackendLike, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry, inputShape: number[]): TensorInfo {
  const { batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, dilH, dilW, padTop, padLeft } = g;
  const K = kH * kW * inC;
  const M = batch * outH * outW;
  const wT = backend.makeOutput([1, outC, K], 'float32');
  {
    const w = f32(backend, filter);
    const t = f32(backend, wT);
    for (let k = 0; k < K; k++) for (let co = 0; co < outC; co++) t[co * K + k] = w[k * outC + co];
  }
  const dcols = gemm(backend, { dataId: dy.dataId, shape: [1, M, outC], dtype: 'float32' }, wT);
  backend.disposeData(wT.dataId);
  const out = backend.makeOutput([...inputShape], 'float32');
  const dx = f32(backend, out);
  const cols = f32(backend, { dataId: dcols.dataId, shape: [M * K], dtype: 'float32' });
  dx.fill(0);
  let m = 0;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++, m++) {
        const rowBase = m * K;
        for (let kh = 0; kh < kH; kh++) {
          const ih = oh * strideH - padTop + kh * dilH;
          if (ih < 0 || ih >= inH) continue;
          for (let kw = 0; kw < kW; kw++) {
            const iw = ow * strideW - padLeft + kw * dilW;
            if (iw < 0 || iw >= inW) continue;
            const d = ((n * inH + ih) * inW + iw) * inC;
            const s = rowBase + (kh * kW + kw) * inC;
            for (let c = 0; c < inC; c++) dx[d + c] += cols[s + c];
          }
        }
      }
    }
  }
  backend.disposeData(dcols.dataId);
  return out;
}

export function conv2dBackpropInput({ inputs, backend, attrs }: WasmKernelArgs): TensorInfo {
  const dy = inputs['dy']!;
  const filter = inputs['filter']!;
  const inputShape = attrs['inputShape'] as number[];
  const g = convGeometry(inputShape, filter.shape, attrs, false, CONV2D_BACKPROP_INPUT);
  if (g.strideH === 1 && g.strideW === 1 && g.dilH === 1 && g.dilW === 1) {
    // Bottom/right forward padding implied by the output size (stride 1).
    const padBottom = g.outH - 1 + g.kH - g.inH - g.padTop;
    const padRight = g.outW - 1 + g.kW - g.inW - g.padLeft;
    if (padBottom <= g.kH - 1 && padRight <= g.kW - 1 && g.padTop <= g.kH - 1 && g.padLeft <= g.kW - 1) {
      const out = viaConv2D(backend, dy, filter, g, padBottom, padRight);
      return { dataId: out.dataId, shape: [...inputShape], dtype: 'float32' };
    }
  }
  return viaCol2im(backend, dy, filter, g, inputShape);
}

export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: CONV2D_BACKPROP_INPUT,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInput as unknown as KernelFunc,
};
