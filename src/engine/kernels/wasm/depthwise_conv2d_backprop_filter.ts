/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend (missing in 4.22).
 *
 * With filter [KH,KW,C,mult] and output channel o = c*mult + q:
 * dW[kh,kw,c,q] = Σ_{n,oh,ow} x[n, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw, c] · dy[n,oh,ow,c*mult+q]
 * A direct loop over wasm-heap views with a float64 accumulator; its cost is
 * N·OH·OW·KH·KW·C·mult MACs (a 1/Cout share of a dense conv's), so it is not
 * the bottleneck of a training step.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { convGeometry, f32 } from './wasm_backend';
import type { WasmKernelArgs } from './wasm_backend';

export const DEPTHWISE_BACKPROP_FILTER = 'DepthwiseConv2dNativeBackpropFilter';

export function depthwiseConv2dBackpropFilter({ inputs, backend, attrs }: WasmKernelArgs): TensorInfo {
  const x = inputs['x'];
  const dy = inputs['dy'];
  const filterShape = attrs['filterShape'] as number[];
  const g = convGeometry(x.shape, filterShape, attrs, true, DEPTHWISE_BACKPROP_FILTER);
  const { batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, dilH, dilW, padTop, padLeft } = g;
  const mult = outC / inC;
  const acc = new Float64Array(kH * kW * outC);
  const out = backend.makeOutput([...filterShape], 'float32');
  const xv = f32(backend, x);
  const dyv = f32(backend, dy);
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let kh = 0; kh < kH; kh++) {
        const ih = oh * strideH - padTop + kh * dilH;
        if (ih < 0 || ih >= inH) continue;
        const xRow = (n * inH + ih) * inW;
        for (let ow = 0; ow < outW; ow++) {
          const dyBase = ((n * outH + oh) * outW + ow) * outC;
          for (let kw = 0; kw < kW; kw++) {
            const iw = ow * strideW - padLeft + kw * dilW;
            if (iw < 0 || iw >= inW) continue;
            const xBase = (xRow + iw) * inC;
            const wBase = (kh * kW + kw) * outC;
            if (mult === 1) {
              for (let c = 0; c < inC; c++) acc[wBase + c] += xv[xBase + c] * dyv[dyBase + c];
            } else {
              for (let c = 0; c < inC; c++) {
                const xc = xv[xBase + c];
                const o = c * mult;
                for (let q = 0; q < mult; q++) acc[wBase + o + q] += xc * dyv[dyBase + o + q];
              }
            }
          }
        }
      }
    }
  }
  f32(backend, out).set(acc);
  return out;
}

export const depthwiseConv2dBackpropFilterConfig: KernelConfig = {
  kernelName: DEPTHWISE_BACKPROP_FILTER,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dBackpropFilter as unknown as KernelFunc,
};
