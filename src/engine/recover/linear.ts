/**
 * The linear layers reconstruction solves for (Conv2D, Dense, SeparableConv2D's pointwise part), seen as
 * "features × matrix": sampled input patches (one row per sampled output position, im2col order dy, dx, c) times
 * the kernel flattened to [unknowns, outputs]. Only the rows that are sampled are ever built.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../errors';
import { layerConfig } from '../graph/rules';
import { shortWeightName } from '../graph/groups';

export interface LinearSpec {
  kind: 'conv' | 'dense' | 'separable';
  /** Spatial window (the depthwise window for SeparableConv2D, whose pointwise part then reads 1 × 1 patches; 1 × 1 for dense). */
  kh: number;
  kw: number;
  strides: [number, number];
  dilation: [number, number];
  padding: 'same' | 'valid';
  useBias: boolean;
  activation: string;
  /** Shape of the weight reconstruction writes ('kernel' or 'pointwise_kernel'). */
  kernelShape: number[];
}

const pair = (v: unknown, name: string): [number, number] => {
  const a = Array.isArray(v) ? v : [v ?? 1, v ?? 1];
  const r = [Number(a[0]), Number(a[1] ?? a[0])] as [number, number];
  if (!r.every((x) => Number.isInteger(x) && x >= 1)) throw new StudioError('unsupported-layer', `Unexpected ${name} ${JSON.stringify(v)}.`);
  return r;
};

export function weightOf(layer: tf.layers.Layer, name: string): tf.LayerVariable | undefined {
  return layer.weights.find((w) => shortWeightName(w) === name);
}

/** The linear view of a layer reconstruction can solve for, or null for any other layer. */
export function linearSpec(layer: tf.layers.Layer): LinearSpec | null {
  const cls = layer.getClassName();
  if (cls !== 'Conv2D' && cls !== 'Dense' && cls !== 'SeparableConv2D') return null;
  const cfg = layerConfig(layer);
  const kernel = weightOf(layer, cls === 'SeparableConv2D' ? 'pointwise_kernel' : 'kernel');
  if (!kernel) return null;
  const activation = String(cfg.activation ?? 'linear');
  if (cls === 'Dense') {
    return { kind: 'dense', kh: 1, kw: 1, strides: [1, 1], dilation: [1, 1], padding: 'valid', useBias: cfg.useBias !== false, activation, kernelShape: kernel.shape as number[] };
  }
  if (cfg.dataFormat === 'channelsFirst') throw new StudioError('unsupported-layer', `Layer ${layer.name} is channels-first; recovery works on NHWC layers.`);
  const [kh, kw] = pair(cfg.kernelSize, 'kernel size');
  return {
    kind: cls === 'Conv2D' ? 'conv' : 'separable',
    kh,
    kw,
    strides: pair(cfg.strides, 'strides'),
    dilation: pair(cfg.dilationRate, 'dilation rate'),
    padding: cfg.padding === 'same' ? 'same' : 'valid',
    useBias: cfg.useBias !== false,
    activation,
    kernelShape: kernel.shape as number[],
  };
}

/** Sampled output positions of one chunk: (image, y, x) triples. */
export interface Positions {
  idx: Int32Array;
  count: number;
}

/** Output size and leading padding of a conv along one axis, tf/Keras convention. */
function axis(size: number, k: number, s: number, d: number, padding: 'same' | 'valid'): { out: number; before: number; total: number } {
  const span = (k - 1) * d + 1;
  if (padding === 'valid') return { out: Math.floor((size - span) / s) + 1, before: 0, total: 0 };
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + span - size, 0);
  return { out, before: Math.floor(total / 2), total };
}

/** `k` distinct output positions per image (all of them when k ≥ Ho·Wo), from a seeded generator. */
export function samplePositions(n: number, ho: number, wo: number, k: number, rnd: () => number): Positions {
  const per = Math.min(k, ho * wo);
  const idx = new Int32Array(n * per * 3);
  const cells = new Int32Array(ho * wo);
  let o = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < cells.length; c++) cells[c] = c;
    for (let j = 0; j < per; j++) {
      // partial Fisher-Yates: the first `per` cells become a uniform sample without replacement
      const r = j + Math.floor(rnd() * (cells.length - j));
      const t = cells[j]!;
      cells[j] = cells[r]!;
      cells[r] = t;
      idx[o++] = i;
      idx[o++] = Math.floor(cells[j]! / wo);
      idx[o++] = cells[j]! % wo;
    }
  }
  return { idx, count: n * per };
}

/** Output spatial size of the layer for an NHWC input. */
export function outputSize(spec: LinearSpec, h: number, w: number): [number, number] {
  return [axis(h, spec.kh, spec.strides[0], spec.dilation[0], spec.padding).out, axis(w, spec.kw, spec.strides[1], spec.dilation[1], spec.padding).out];
}

/** Values of an NHWC tensor at the sampled positions: [count, C]; a rank-2 tensor is returned as a copy. */
export function atPositions(t: tf.Tensor, pos: Positions): tf.Tensor2D {
  return tf.tidy(() => {
    if (t.rank === 2) return t.clone() as tf.Tensor2D;
    if (t.rank !== 4) throw new StudioError('unsupported-layer', `Recovery expects NHWC or N×C values, got rank ${t.rank}.`);
    return tf.gatherND(t, tf.tensor2d(pos.idx, [pos.count, 3], 'int32')) as tf.Tensor2D;
  });
}

/**
 * The layer's input features at the sampled positions: [count, unknowns] with columns in kernel-row order, so that
 * features · kernel.reshape([unknowns, outputs]) is the layer's pre-activation output there (bias excluded).
 * For SeparableConv2D the depthwise part is applied first (with the layer's current depthwise kernel).
 */
export function features(layer: tf.layers.Layer, spec: LinearSpec, x: tf.Tensor, pos: Positions): tf.Tensor2D {
  return tf.tidy(() => {
    if (spec.kind === 'dense') {
      if (x.rank === 2) return x.clone() as tf.Tensor2D;
      return atPositions(x, pos);
    }
    let input = x as tf.Tensor4D;
    if (spec.kind === 'separable') {
      const dw = weightOf(layer, 'depthwise_kernel');
      if (!dw) throw new StudioError('unsupported-layer', `Layer ${layer.name} has no depthwise kernel.`);
      input = tf.depthwiseConv2d(input, dw.read() as tf.Tensor4D, spec.strides, spec.padding, 'NHWC', spec.dilation);
      return atPositions(input, pos);
    }
    const [, h, w] = input.shape;
    const ay = axis(h, spec.kh, spec.strides[0], spec.dilation[0], spec.padding);
    const ax = axis(w, spec.kw, spec.strides[1], spec.dilation[1], spec.padding);
    const padded = ay.total > 0 || ax.total > 0 ? tf.pad(input, [[0, 0], [ay.before, ay.total - ay.before], [ax.before, ax.total - ax.before], [0, 0]]) : input;
    const cols: tf.Tensor2D[] = [];
    const idx = new Int32Array(pos.count * 3);
    for (let dy = 0; dy < spec.kh; dy++) {
      for (let dx = 0; dx < spec.kw; dx++) {
        for (let r = 0; r < pos.count; r++) {
          idx[r * 3] = pos.idx[r * 3]!;
          idx[r * 3 + 1] = pos.idx[r * 3 + 1]! * spec.strides[0] + dy * spec.dilation[0];
          idx[r * 3 + 2] = pos.idx[r * 3 + 2]! * spec.strides[1] + dx * spec.dilation[1];
        }
        cols.push(tf.gatherND(padded, tf.tensor2d(idx, [pos.count, 3], 'int32')) as tf.Tensor2D);
      }
    }
    return cols.length === 1 ? cols[0]! : tf.concat(cols, 1);
  });
}
