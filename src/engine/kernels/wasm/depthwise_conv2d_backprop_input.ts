/**
 * DepthwiseConv2dNativeBackpropInput for the wasm backend (missing in 4.22).
 *
 * With filter [KH,KW,C,mult]:
 * dx[n,ih,iw,c] = Σ_{kh,kw,q} dy[n,oh,ow,c*mult+q] · W[kh,kw,c,q]
 *   over the (oh,ow) with oh*sh - pt + kh*dh = ih and ow*sw - pl + kw*dw = iw.
 * - stride 1, multiplier 1: a "full" correlation, i.e. the backend's XNNPACK
 *   DepthwiseConv2dNative on dy with the rotated filter R[kh,kw,c] = W[KH-1-kh, KW-1-kw, c],
 *   the same dilation and pads ((KH-1)·dh - pt, (KH-1)·dh - pb) x ((KW-1)·dw - pl, (KW-1)·dw - pr).
 * - otherwise: a scatter from each dy pixel into dx, a direct loop over wasm-heap views
 *   (N·OH·OW·KH·KW·C·mult MACs).
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { convGeometry, f32, runWasmKernel } from './wasm_backend';
import type { ConvGeometry, WasmBackendLike, WasmKernelArgs } from './wasm_backend';

export const DEPTHWISE_BACKPROP_INPUT = 'DepthwiseConv2dNativeBackpropInput';

function viaDepthwiseConv(backend: WasmBackendLike, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry, padBottom: number, padRight: number): TensorInfo {
  const { kH, kW, inC, dilH, dilW } = g;
  const rot = backend.makeOutput([kH, kW, inC, 1], 'float32');
  const w = f32(backend, filter);
  const r = f32(backend, rot);
  for (let kh = 0; kh < kH; kh++) {
    for (let kw = 0; kw < kW; kw++) {
      const src = ((kH - 1 - kh) * kW + (kW - 1 - kw)) * inC;
      r.set(w.subarray(src, src + inC), (kh * kW + kw) * inC);
    }
  }
  const pad = [
    [0, 0],
    [(kH - 1) * dilH - g.padTop, (kH - 1) * dilH - padBottom],
    [(kW - 1) * dilW - g.padLeft, (kW - 1) * dilW - padRight],
    [0, 0],
  ];
  const out = runWasmKernel('DepthwiseConv2dNative', backend, { x: dy, filter: rot }, { strides: [1, 1], dilations: [dilH, dilW], pad });
  backend.disposeData(rot.dataId);
  return out;
}

export function depthwiseConv2dBackpropInput({ inputs, backend, attrs }: WasmKernelArgs): TensorInfo {
  const dy = inputs['dy']!;
  const filter = inputs['filter']!;
  const inputShape = attrs['inputShape'] as number[];
  const g = convGeometry(inputShape, filter.shape, attrs, true, DEPTHWISE_BACKPROP_INPUT);
  if (g.strideH === 1 && g.strideW === 1 && g.outC === g.inC) {
    // Bottom/right forward padding implied by the output size (stride 1).
    const padBottom = g.outH - 1 + (g.kH - 1) * g.dilH + 1 - g.inH - g.padTop;
    const padRight = g.outW - 1 + (g.kW - 1) * g.dilW + 1 - g.inW - g.padLeft;
    const maxH = (g.kH - 1) * g.dilH;
    const maxW = (g.kW - 1) * g.dilW;
    if (g.padTop <= maxH && padBottom <= maxH && g.padLeft <= maxW && padRight <= maxW) {
      const out = viaDepthwiseConv(backend, dy, filter, g, padBottom, padRight);
      return { dataId: out.dataId, shape: [...inputShape], dtype: 'float32' };
    }
  }
  const { batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, dilH, dilW, padTop, padLeft } = g;
  const mult = outC / inC;
  const out = backend.makeOutput([...inputShape], 'float32');
  const dx = f32(backend, out);
  const dyv = f32(backend, dy);
  const w = f32(backend, filter);
  dx.fill(0);
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let kh = 0; kh < kH; kh++) {
        const ih = oh * strideH - padTop + kh * dilH;
        if (ih < 0 || ih >= inH) continue;
        const dxRow = (n * inH + ih) * inW;
        for (let ow = 0; ow < outW; ow++) {
          const dyBase = ((n * outH + oh) * outW + ow) * outC;
          for (let kw = 0; kw < kW; kw++) {
            const iw = ow * strideW - padLeft + kw * dilW;
            if (iw < 0 || iw >= inW) continue;
            const dxBase = (dxRow + iw) * inC;
            const wBase = (kh * kW + kw) * outC;
            if (mult === 1) {
              for (let c = 0; c < inC; c++) dx[dxBase + c] += dyv[dyBase + c] * w[wBase + c];
            } else {
              for (let c = 0; c < inC; c++) {
                const o = c * mult;
                let s = 0;
                for (let q = 0; q < mult; q++) s += dyv[dyBase + o + q] * w[wBase + o + q];
                dx[dxBase + c] += s;
              }
            }
          }
        }
      }
    }
  }
  return out;
}

export const depthwiseConv2dBackpropInputConfig: KernelConfig = {
  kernelName: DEPTHWISE_BACKPROP_INPUT,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dBackpropInput as unknown as KernelFunc,
};
