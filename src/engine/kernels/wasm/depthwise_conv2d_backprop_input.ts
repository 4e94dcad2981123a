/**
 * DepthwiseConv2dNativeBackpropInput for the wasm backend (missing in 4.22).
 *
 * With filter [KH,KW,C,mult]:
 * dx[n,ih,iw,c] = Σ_{kh,kw,q} dy[n,oh,ow,c*mult+q] · W[kh,kw,c,q]
 *   over the (oh,ow) with oh*sh - pt + kh*dh = ih and ow*sw - pl + kw*dw = iw.
 * Computed as a scatter from each dy pixel into dx, a direct loop over wasm-heap
 * views (N·OH·OW·KH·KW·C·mult MACs, like the forward depthwise conv).
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { convGeometry, f32 } from './wasm_backend';
import type { WasmKernelArgs } from './wasm_backend';

export const DEPTHWISE_BACKPROP_INPUT = 'DepthwiseConv2dNativeBackpropInput';

export function depthwiseConv2dBackpropInput({ inputs, backend, attrs }: WasmKernelArgs): TensorInfo {
  const dy = inputs['dy'];
  const filter = inputs['filter'];
  const inputShape = attrs['inputShape'] as number[];
  const g = convGeometry(inputShape, filter.shape, attrs, true, DEPTHWISE_BACKPROP_INPUT);
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
