import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { naiveConvGrads, randomData, relError, runOn, setupWasm } from './conv_grad_helpers';
import type { NaiveConv, Shape4 } from './conv_grad_helpers';

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

interface Case {
  x: Shape4;
  k: [number, number];
  outC: number;
}

const SHAPES: Case[] = [
  { x: [1, 5, 6, 3], k: [3, 3], outC: 4 },
  { x: [2, 8, 7, 4], k: [3, 3], outC: 5 },
  { x: [3, 6, 6, 2], k: [1, 1], outC: 3 },
  { x: [2, 7, 6, 3], k: [2, 2], outC: 2 },
  { x: [1, 9, 8, 5], k: [3, 2], outC: 6 },
];
const STRIDES: [number, number][] = [[1, 1], [2, 2], [1, 2]];
const PADS: Pad[] = ['same', 'valid', 1, [[0, 0], [1, 0], [0, 2], [0, 0]], [[0, 0], [3, 0], [0, 3], [0, 0]]];

function label(c: Case, s: [number, number], p: Pad): string {
  return `x=[${c.x}] k=[${c.k}] out=${c.outC} s=[${s}] pad=${JSON.stringify(p)}`;
}

beforeAll(setupWasm);

describe('Conv2DBackpropFilter / Conv2DBackpropInput on wasm vs cpu', () => {
  it('matches tf.grads of conv2d over a grid of shapes, strides and paddings', async () => {
    let checked = 0;
    let seed = 1;
    for (const c of SHAPES) {
      for (const s of STRIDES) {
        for (const p of PADS) {
          // Numeric pads: tfjs sizes the output with the filter height / stride height for both
          // axes, so the wasm forward Conv2D (XNNPACK) overruns its output unless both are square.
          if (typeof p === 'number' && (p >= c.k[0] || c.k[0] !== c.k[1] || s[0] !== s[1])) continue;
          const info = tf.backend_util.computeConv2DInfo(c.x, [c.k[0], c.k[1], c.x[3], c.outC], s, 1, p);
          if (info.outHeight <= 0 || info.outWidth <= 0) continue;
          const dyShape = [c.x[0], info.outHeight, info.outWidth, c.outC];
          const data = [
            { values: randomData(tf.util.sizeFromShape(c.x), seed++), shape: c.x },
            { values: randomData(c.k[0] * c.k[1] * c.x[3] * c.outC, seed++), shape: [c.k[0], c.k[1], c.x[3], c.outC] },
            { values: randomData(tf.util.sizeFromShape(dyShape), seed++), shape: dyShape },
          ];
          const fn = ([x, w, dy]: tf.Tensor[]) =>
            tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, p))([x!, w!], dy);
          const [dxW, dwW] = await runOn('wasm', data, fn);
          const [dxC, dwC] = await runOn('cpu', data, fn);
          expect(relError(dxW!, dxC!), `dx ${label(c, s, p)}`).toBeLessThanOrEqual(1e-4);
          expect(relError(dwW!, dwC!), `dw ${label(c, s, p)}`).toBeLessThanOrEqual(1e-4);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('honours dilations when the kernels are called directly (vs a float64 reference)', async () => {
    const cases: NaiveConv[] = [
      { x: [2, 9, 8, 3], k: [3, 3], outC: 4, strides: [1, 1], dilations: [2, 2], pad: 'same' },
      { x: [1, 10, 9, 2], k: [3, 2], outC: 3, strides: [1, 1], dilations: [2, 3], pad: 'valid' },
      { x: [2, 11, 11, 3], k: [3, 3], outC: 2, strides: [2, 2], dilations: [2, 2], pad: 'same' },
    ];
    let seed = 500;
    for (const c of cases) {
      const info = tf.backend_util.computeConv2DInfo(c.x, [c.k[0], c.k[1], c.x[3], c.outC], c.strides, c.dilations, c.pad);
      const wShape = [c.k[0], c.k[1], c.x[3], c.outC];
      const dyShape = [c.x[0], info.outHeight, info.outWidth, c.outC];
      const x = randomData(tf.util.sizeFromShape(c.x), seed++);
      const w = randomData(tf.util.sizeFromShape(wShape), seed++);
      const dy = randomData(tf.util.sizeFromShape(dyShape), seed++);
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: c.dilations };
      const [dx, dw] = await runOn(
        'wasm',
        [
          { values: x, shape: c.x },
          { values: w, shape: wShape },
          { values: dy, shape: dyShape },
        ],
        ([xt, wt, dyt]) => [
          tf.engine().runKernel('Conv2DBackpropInput', { dy: dyt!, filter: wt! }, { ...attrs, inputShape: c.x }) as tf.Tensor,
          tf.engine().runKernel('Conv2DBackpropFilter', { x: xt!, dy: dyt! }, { ...attrs, filterShape: wShape }) as tf.Tensor,
        ],
      );
      const ref = naiveConvGrads(c, x, w, dy);
      expect(relError(dx!, Float32Array.from(ref.dx)), `dx ${JSON.stringify(c)}`).toBeLessThanOrEqual(1e-4);
      expect(relError(dw!, Float32Array.from(ref.dw)), `dw ${JSON.stringify(c)}`).toBeLessThanOrEqual(1e-4);
    }
  });
});
