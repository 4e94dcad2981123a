import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { naiveDepthwiseGrads, randomData, relError, runOn, setupWasm } from './conv_grad_helpers';
import type { Shape4 } from './conv_grad_helpers';

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

interface Case {
  x: Shape4;
  k: [number, number];
}

const SHAPES: Case[] = [
  { x: [1, 6, 5, 3], k: [3, 3] },
  { x: [2, 8, 8, 4], k: [3, 3] },
  { x: [3, 5, 7, 2], k: [1, 1] },
  { x: [2, 7, 6, 3], k: [2, 3] },
];
const PADS: Pad[] = ['same', 'valid', 1, [[0, 0], [1, 0], [0, 2], [0, 0]]];
/** [strides, dilations]: tfjs allows dilation > 1 only with stride 1. */
const STEPS: [[number, number], [number, number]][] = [
  [[1, 1], [1, 1]],
  [[2, 2], [1, 1]],
  [[2, 1], [1, 1]],
  [[1, 1], [2, 2]],
  [[1, 1], [1, 2]],
];

beforeAll(setupWasm);

describe('DepthwiseConv2dNative backprop kernels on wasm vs cpu', () => {
  it('match tf.grads of depthwiseConv2d on cpu (dilation 1) and a float64 reference (dilation 2, direct kernel calls)', async () => {
    let checked = 0;
    let seed = 1000;
    for (const c of SHAPES) {
      for (const mult of [1, 2]) {
        for (const [s, d] of STEPS) {
          for (const p of PADS) {
            // Numeric pads: tfjs sizes the output with the filter/stride height for both axes (the
            // wasm forward kernel then overruns its output), so only square filter and steps.
            if (typeof p === 'number' && (p >= c.k[0] || c.k[0] !== c.k[1] || s[0] !== s[1] || d[0] !== d[1])) continue;
            const wShape = [c.k[0], c.k[1], c.x[3], mult];
            const info = tf.backend_util.computeConv2DInfo(c.x, wShape as Shape4, s, d, p, undefined, true);
            if (info.outHeight <= 0 || info.outWidth <= 0) continue;
            const dyShape = [c.x[0], info.outHeight, info.outWidth, c.x[3] * mult];
            const data = [
              { values: randomData(tf.util.sizeFromShape(c.x), seed++), shape: c.x },
              { values: randomData(tf.util.sizeFromShape(wShape), seed++), shape: wShape },
              { values: randomData(tf.util.sizeFromShape(dyShape), seed++), shape: dyShape },
            ];
            const dilated = d[0] !== 1 || d[1] !== 1;
            const fn = ([x, w, dy]: tf.Tensor[]): tf.Tensor[] => {
              if (!dilated) {
                return tf.grads((a: tf.Tensor, b: tf.Tensor) =>
                  tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, p),
                )([x!, w!], dy);
              }
              // tfjs' gradient refuses dilations > 1, but the kernels take them.
              const attrs = { strides: s, pad: p, dilations: d };
              return [
                tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dy!, filter: w! }, { ...attrs, inputShape: c.x }) as tf.Tensor,
                tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: x!, dy: dy! }, { ...attrs, filterShape: wShape }) as tf.Tensor,
              ];
            };
            const [dxW, dwW] = await runOn('wasm', data, fn);
            // The cpu kernels size dilated outputs right but ignore dilation in their loops,
            // so dilated cases are checked against a float64 reference instead.
            const [dxC, dwC] = dilated
              ? (() => {
                  const r = naiveDepthwiseGrads(c.x, wShape as Shape4, s, d, p, data[0]!.values, data[1]!.values, data[2]!.values);
                  return [r.dx, r.dw];
                })()
              : await runOn('cpu', data, fn);
            const lbl = `x=[${c.x}] k=[${c.k}] mult=${mult} s=[${s}] d=[${d}] pad=${JSON.stringify(p)}`;
            expect(relError(dxW!, dxC!), `dx ${lbl}`).toBeLessThanOrEqual(1e-4);
            expect(relError(dwW!, dwC!), `dw ${lbl}`).toBeLessThanOrEqual(1e-4);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(80);
  });
});
