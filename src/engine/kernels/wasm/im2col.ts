/**
 * Transposed im2col for NHWC convolutions: writes the patch matrix as
 * colsT[K, M] with K = (kh*KW + kw)*C + c (the row-major order of a [KH,KW,C,*]
 * filter) and M = (n*OH + oh)*OW + ow (the row order of an NHWC output). Padded
 * taps are written as zeros, so the destination may be uninitialised heap.
 */
import type { ConvGeometry } from './wasm_backend';

export function im2colTransposed(x: Float32Array, g: ConvGeometry, out: Float32Array): void {
  const { batch, inH, inW, inC, outH, outW, kH, kW, strideH, strideW, dilH, dilW, padTop, padLeft } = g;
  const M = batch * outH * outW;
  const rowStride = inW * inC;
  // Valid ow range for each kw: iw = ow*strideW - padLeft + kw*dilW must be in [0, inW).
  const owLo = new Int32Array(kW);
  const owHi = new Int32Array(kW);
  for (let kw = 0; kw < kW; kw++) {
    const off = kw * dilW - padLeft;
    let lo = 0;
    while (lo < outW && lo * strideW + off < 0) lo++;
    let hi = outW;
    while (hi > lo && (hi - 1) * strideW + off >= inW) hi--;
    owLo[kw] = lo;
    owHi[kw] = hi;
  }
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      const m0 = (n * outH + oh) * outW;
      for (let kh = 0; kh < kH; kh++) {
        const ih = oh * strideH - padTop + kh * dilH;
        const rowValid = ih >= 0 && ih < inH;
        const xRow = (n * inH + ih) * rowStride;
        for (let kw = 0; kw < kW; kw++) {
          const lo = rowValid ? owLo[kw] : outW;
          const hi = rowValid ? owHi[kw] : outW;
          const iwOff = kw * dilW - padLeft;
          const kBase = (kh * kW + kw) * inC;
          for (let c = 0; c < inC; c++) {
            const dst = (kBase + c) * M + m0;
            for (let ow = 0; ow < lo; ow++) out[dst + ow] = 0;
            let src = xRow + (lo * strideW + iwOff) * inC + c;
            const step = strideW * inC;
            for (let ow = lo; ow < hi; ow++) {
              out[dst + ow] = x[src];
              src += step;
            }
            for (let ow = hi; ow < outW; ow++) out[dst + ow] = 0;
          }
        }
      }
    }
  }
}
