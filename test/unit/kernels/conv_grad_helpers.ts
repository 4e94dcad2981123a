/**
 * Test helpers for the wasm training kernels: deterministic data, running the
 * same gradient computation on two backends, relative error, naive references.
 */
import * as tf from '@tensorflow/tfjs';
import { initWasmForNode, withBackend } from '../../helpers/wasm';
import { expectNoLeak } from '../../helpers/leak';
import { mulberry32 } from '../../../src/engine/random';
import { registerWasmTrainingKernels } from '../../../src/engine/kernels/wasm/register';

export async function setupWasm(): Promise<void> {
  await initWasmForNode();
  registerWasmTrainingKernels();
}

export function randomData(size: number, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rnd() * 2 - 1;
  return out;
}

export type Shape4 = [number, number, number, number];

/** Runs fn (given fresh tensors made from `data`) on a backend; returns every output as a Float32Array. No leaks allowed. */
export async function runOn(
  backend: string,
  data: { values: Float32Array; shape: number[] }[],
  fn: (ts: tf.Tensor[]) => tf.Tensor[],
): Promise<Float32Array[]> {
  return withBackend(backend, () =>
    expectNoLeak(() =>
      tf.tidy(() => {
        const ts = data.map((d) => tf.tensor(d.values, d.shape, 'float32'));
        return fn(ts).map((t) => t.dataSync() as Float32Array).map((a) => Float32Array.from(a));
      }),
    ),
  );
}

/**
 * max|a-b| / max(max|b|, floor): norm-wise relative error. The floor keeps tensors that
 * are mathematically ~0 (e.g. the bias of a conv followed by BatchNorm) from turning
 * float noise into a huge ratio.
 */
export function relError(a: Float32Array, b: Float32Array, floor = 0): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= diff)) diff = d; // NaN-propagating max
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  scale = Math.max(scale, floor);
  return scale === 0 ? diff : diff / scale;
}

export interface NaiveConv {
  x: Shape4;
  k: [number, number];
  outC: number;
  strides: [number, number];
  dilations: [number, number];
  pad: 'same' | 'valid';
}

/** Output size and top/left padding the way tfjs computes them. */
export function convOut(c: NaiveConv): { outH: number; outW: number; pt: number; pl: number } {
  const info = tf.backend_util.computeConv2DInfo(c.x, [c.k[0], c.k[1], c.x[3], c.outC], c.strides, c.dilations, c.pad);
  return { outH: info.outHeight, outW: info.outWidth, pt: info.padInfo.top, pl: info.padInfo.left };
}

/** Naive dense conv2d gradients (float64) for dilated cases the cpu backend cannot check. */
export function naiveConvGrads(c: NaiveConv, x: Float32Array, w: Float32Array, dy: Float32Array): { dx: Float64Array; dw: Float64Array } {
  const [N, H, W, C] = c.x;
  const [KH, KW] = c.k;
  const O = c.outC;
  const { outH, outW, pt, pl } = convOut(c);
  const dx = new Float64Array(N * H * W * C);
  const dw = new Float64Array(KH * KW * C * O);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < outH; oh++)
      for (let ow = 0; ow < outW; ow++)
        for (let kh = 0; kh < KH; kh++)
          for (let kw = 0; kw < KW; kw++) {
            const ih = oh * c.strides[0] - pt + kh * c.dilations[0];
            const iw = ow * c.strides[1] - pl + kw * c.dilations[1];
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            for (let ci = 0; ci < C; ci++)
              for (let o = 0; o < O; o++) {
                const g = dy[((n * outH + oh) * outW + ow) * O + o]!;
                dx[((n * H + ih) * W + iw) * C + ci]! += g * w[((kh * KW + kw) * C + ci) * O + o]!;
                dw[((kh * KW + kw) * C + ci) * O + o]! += g * x[((n * H + ih) * W + iw) * C + ci]!;
              }
          }
  return { dx, dw };
}

/** Naive depthwise conv2d gradients (float64), filter [KH,KW,C,mult]; pad may be any tfjs padding. */
export function naiveDepthwiseGrads(
  xShape: Shape4,
  wShape: Shape4,
  strides: [number, number],
  dilations: [number, number],
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding,
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
): { dx: Float32Array; dw: Float32Array } {
  const [N, H, W, C] = xShape;
  const [KH, KW, , mult] = wShape;
  const info = tf.backend_util.computeConv2DInfo(xShape, wShape, strides, dilations, pad, undefined, true);
  const { outHeight: OH, outWidth: OW } = info;
  const { top: pt, left: pl } = info.padInfo;
  const O = C * mult;
  const dx = new Float64Array(N * H * W * C);
  const dw = new Float64Array(KH * KW * O);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let kh = 0; kh < KH; kh++)
          for (let kw = 0; kw < KW; kw++) {
            const ih = oh * strides[0] - pt + kh * dilations[0];
            const iw = ow * strides[1] - pl + kw * dilations[1];
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            for (let c = 0; c < C; c++)
              for (let q = 0; q < mult; q++) {
                const g = dy[((n * OH + oh) * OW + ow) * O + c * mult + q]!;
                dx[((n * H + ih) * W + iw) * C + c]! += g * w[(kh * KW + kw) * O + c * mult + q]!;
                dw[(kh * KW + kw) * O + c * mult + q]! += g * x[((n * H + ih) * W + iw) * C + c]!;
              }
          }
  return { dx: Float32Array.from(dx), dw: Float32Array.from(dw) };
}
