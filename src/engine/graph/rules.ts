/**
 * Channel rule table: one entry per layer class, saying how channels flow from the layer's
 * inputs to its outputs (the last axis; channels-last only) and how each weight axis follows
 * input or output channels. Layouts are arrays of channel identities, one per position of
 * the last axis; a rule maps input layouts to output layouts and may couple (union) identities.
 *
 * Classes missing from the table are "unsupported": their inputs and outputs become
 * non-prunable, the rest of the model still prunes.
 */
import type { AxisRole } from './types';
import type { GraphNode, Shape } from './model-graph';

export interface FlowContext {
  node: GraphNode;
  config: Record<string, unknown>;
  inShapes: Shape[];
  outShapes: Shape[];
  /** Identity layouts of the inputs (one per input tensor). */
  inputs: Int32Array[];
  /** New channel identities owned by this layer (the same ones for every application of a shared layer). */
  fresh(size: number): Int32Array;
  /** Couples two layouts position by position (lengths must match). */
  union(a: Int32Array, b: Int32Array): void;
  /** Marks identities as not prunable. */
  block(ids: Int32Array, reason: string): void;
}

/**
 * layer.getConfig(), patched for tfjs 4.22 omissions: SeparableConv2D drops `depthMultiplier`
 * from its config (so it would be rebuilt and reloaded with multiplier 1).
 */
export function layerConfig(layer: { getConfig(): object; getClassName(): string }): Record<string, unknown> {
  const config = layer.getConfig() as Record<string, unknown>;
  if (layer.getClassName() === 'SeparableConv2D' && config.depthMultiplier === undefined) {
    config.depthMultiplier = (layer as unknown as { depthMultiplier?: number }).depthMultiplier ?? 1;
  }
  return config;
}

/** Thrown by a rule when this particular configuration cannot be handled. */
export class Unsupported extends Error {}

export interface WeightAxes {
  axes: AxisRole[];
  /** Block size of 'inBlock' axes. */
  block?: number;
}

export interface ChannelRule {
  /** producer: reads its inputs through a kernel and owns new output channels; passthrough: per-channel. */
  kind: 'producer' | 'passthrough';
  flow(ctx: FlowContext): Int32Array[];
  /** Slicing axes of a weight, by its short name ('kernel', 'bias', 'gamma'...). */
  weights?(name: string, shape: number[], config: Record<string, unknown>): WeightAxes;
  /** Config key holding the output channel count. */
  sizeKey?: 'filters' | 'units';
  /** Weights counted as MACs, multiplied by the spatial size of the output (or input) shape. */
  macs?: { weights: string[]; spatialOf: 'out' | 'in' };
}

const last = (s: Shape): number => s[s.length - 1] ?? 0;

function channelsLast(ctx: FlowContext): void {
  const df = ctx.config.dataFormat;
  if (df !== undefined && df !== 'channelsLast') throw new Unsupported(`data format ${String(df)}`);
}

function softmaxCheck(ctx: FlowContext, out: Int32Array): void {
  if (ctx.config.activation === 'softmax') ctx.block(out, `softmax over the channels of ${ctx.node.name}`);
}

function identity(ctx: FlowContext): Int32Array[] {
  if (ctx.inputs.length !== 1) throw new Unsupported('expects one input');
  if (ctx.outShapes.length !== 1 || last(ctx.outShapes[0]) !== ctx.inputs[0].length) {
    throw new Unsupported('changes the channel axis');
  }
  return [ctx.inputs[0]];
}

function perChannel(ctx: FlowContext): Int32Array[] {
  channelsLast(ctx);
  const out = identity(ctx);
  softmaxCheck(ctx, out[0]);
  return out;
}

const vector = (): WeightAxes => ({ axes: ['in'] });

/** Producer: kernel [...spatial, in, out], bias [out]. */
function conv(spatialDims: number, transpose = false): ChannelRule {
  return {
    kind: 'producer',
    flow(ctx) {
      channelsLast(ctx);
      if (ctx.inputs.length !== 1) throw new Unsupported('expects one input');
      const out = ctx.fresh(Number(ctx.config.filters));
      softmaxCheck(ctx, out);
      return [out];
    },
    weights(name) {
      const sp: AxisRole[] = new Array<AxisRole>(spatialDims).fill('fixed');
      if (name === 'kernel') return { axes: transpose ? [...sp, 'out', 'in'] : [...sp, 'in', 'out'] };
      if (name === 'bias') return { axes: ['out'] };
      throw new Unsupported(`unknown weight ${name}`);
    },
    sizeKey: 'filters',
    macs: { weights: ['kernel'], spatialOf: transpose ? 'in' : 'out' },
  };
}

const dense: ChannelRule = {
  kind: 'producer',
  flow(ctx) {
    if (ctx.inputs.length !== 1) throw new Unsupported('expects one input');
    const out = ctx.fresh(Number(ctx.config.units));
    softmaxCheck(ctx, out);
    return [out];
  },
  weights(name) {
    if (name === 'kernel') return { axes: ['in', 'out'] };
    if (name === 'bias') return { axes: ['out'] };
    throw new Unsupported(`unknown weight ${name}`);
  },
  sizeKey: 'units',
  macs: { weights: ['kernel'], spatialOf: 'out' },
};

/** Depthwise: output channel c*m+j comes from input channel c (m = depth multiplier). */
const depthwise: ChannelRule = {
  kind: 'passthrough',
  flow(ctx) {
    channelsLast(ctx);
    if (ctx.inputs.length !== 1) throw new Unsupported('expects one input');
    const m = Number(ctx.config.depthMultiplier ?? 1);
    const inp = ctx.inputs[0];
    const out = new Int32Array(inp.length * m);
    for (let c = 0; c < inp.length; c++) for (let j = 0; j < m; j++) out[c * m + j] = inp[c];
    softmaxCheck(ctx, out);
    return [out];
  },
  weights(name) {
    if (name === 'depthwise_kernel') return { axes: ['fixed', 'fixed', 'in', 'fixed'] };
    if (name === 'bias') return { axes: ['out'] };
    throw new Unsupported(`unknown weight ${name}`);
  },
  macs: { weights: ['depthwise_kernel'], spatialOf: 'out' },
};

const separable: ChannelRule = {
  kind: 'producer',
  flow(ctx) {
    channelsLast(ctx);
    if (ctx.inputs.length !== 1) throw new Unsupported('expects one input');
    const out = ctx.fresh(Number(ctx.config.filters));
    softmaxCheck(ctx, out);
    return [out];
  },
  weights(name, _shape, config) {
    const m = Number(config.depthMultiplier ?? 1);
    if (name === 'depthwise_kernel') return { axes: ['fixed', 'fixed', 'in', 'fixed'] };
    if (name === 'pointwise_kernel') return { axes: ['fixed', 'fixed', 'inBlock', 'out'], block: m };
    if (name === 'bias') return { axes: ['out'] };
    throw new Unsupported(`unknown weight ${name}`);
  },
  sizeKey: 'filters',
  macs: { weights: ['depthwise_kernel', 'pointwise_kernel'], spatialOf: 'out' },
};

const passthrough: ChannelRule = { kind: 'passthrough', flow: perChannel };

const batchNorm: ChannelRule = {
  kind: 'passthrough',
  flow(ctx) {
    const axis = Number(ctx.config.axis ?? -1);
    const rank = ctx.inShapes[0]?.length ?? 0;
    if (axis !== -1 && axis !== rank - 1) throw new Unsupported(`normalises axis ${axis}, not the channel axis`);
    return identity(ctx);
  },
  weights: vector,
};

const layerNorm: ChannelRule = {
  kind: 'passthrough',
  flow(ctx) {
    const rank = ctx.inShapes[0]?.length ?? 0;
    const raw = ctx.config.axis;
    const axes = (Array.isArray(raw) ? raw : [raw ?? -1]).map((a) => (Number(a) < 0 ? rank + Number(a) : Number(a)));
    if (axes.length !== 1 || axes[0] !== rank - 1) throw new Unsupported(`normalises axes ${JSON.stringify(raw)}`);
    return identity(ctx);
  },
  weights: vector,
};

const prelu: ChannelRule = {
  kind: 'passthrough',
  flow: perChannel,
  weights(_name, shape) {
    // alpha has the input shape without batch; shared axes are 1. Slice its channel axis unless shared.
    const axes: AxisRole[] = shape.map(() => 'fixed');
    if (shape.length > 0 && shape[shape.length - 1] > 1) axes[axes.length - 1] = 'in';
    return { axes };
  },
};

const softmaxLayer: ChannelRule = {
  kind: 'passthrough',
  flow(ctx) {
    const out = identity(ctx);
    const rank = ctx.inShapes[0]?.length ?? 0;
    const raw = ctx.config.axis ?? -1;
    const axes = (Array.isArray(raw) ? raw : [raw]).map((a) => (Number(a) < 0 ? rank + Number(a) : Number(a)));
    if (axes.includes(rank - 1)) ctx.block(out[0], `softmax over the channels of ${ctx.node.name}`);
    return out;
  },
};

/** Elementwise merges: all inputs share channels position by position. */
const merge: ChannelRule = {
  kind: 'passthrough',
  flow(ctx) {
    const [first, ...rest] = ctx.inputs;
    for (const r of rest) {
      if (r.length !== first.length) throw new Unsupported('broadcasts its inputs over channels');
      ctx.union(first, r);
    }
    return [first];
  },
};

const concatenate: ChannelRule = {
  kind: 'passthrough',
  flow(ctx) {
    const rank = ctx.inShapes[0]?.length ?? 0;
    const axis = Number(ctx.config.axis ?? -1);
    if (axis === -1 || axis === rank - 1) {
      const total = ctx.inputs.reduce((s, a) => s + a.length, 0);
      const out = new Int32Array(total);
      let o = 0;
      for (const a of ctx.inputs) {
        out.set(a, o);
        o += a.length;
      }
      return [out];
    }
    return merge.flow(ctx);
  },
};

/** NHWC flatten is channel-fastest: position p*C + c holds channel c. */
function tile(inp: Int32Array, times: number): Int32Array {
  const out = new Int32Array(inp.length * times);
  for (let t = 0; t < times; t++) out.set(inp, t * inp.length);
  return out;
}

const flatten: ChannelRule = {
  kind: 'passthrough',
  flow(ctx) {
    if (ctx.inputs.length !== 1) throw new Unsupported('expects one input');
    const s = ctx.inShapes[0];
    let spatial = 1;
    for (let i = 1; i < s.length - 1; i++) {
      const d = s[i];
      if (d === null) throw new Unsupported('unknown spatial size');
      spatial *= d;
    }
    return [tile(ctx.inputs[0], spatial)];
  },
};

const reshape: ChannelRule = {
  kind: 'passthrough',
  flow(ctx) {
    if (ctx.inputs.length !== 1) throw new Unsupported('expects one input');
    const inp = ctx.inputs[0];
    const out = ctx.outShapes[0];
    const target = (ctx.config.targetShape as number[] | undefined) ?? [];
    if (last(out) === inp.length && target[target.length - 1] !== -1) return [inp];
    if (out.length === 2) return flatten.flow(ctx);
    throw new Unsupported('moves the channel axis');
  },
};

const permute: ChannelRule = {
  kind: 'passthrough',
  flow(ctx) {
    const dims = (ctx.config.dims as number[] | undefined) ?? [];
    if (dims[dims.length - 1] !== dims.length) throw new Unsupported('moves the channel axis');
    return identity(ctx);
  },
};

const PASSTHROUGH_CLASSES = [
  'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU',
  'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'AlphaDropout', 'GaussianNoise', 'GaussianDropout',
  'ZeroPadding2D', 'Cropping2D', 'UpSampling2D',
  'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'AveragePooling1D', 'AveragePooling2D', 'AveragePooling3D',
  'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'GlobalAveragePooling1D', 'GlobalAveragePooling2D',
  'Masking', 'RepeatVector',
];

export const RULES: Record<string, ChannelRule> = {
  Conv1D: conv(1),
  Conv2D: conv(2),
  Conv3D: conv(3),
  Conv2DTranspose: conv(2, true),
  SeparableConv2D: separable,
  DepthwiseConv2D: depthwise,
  Dense: dense,
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
  PReLU: prelu,
  Softmax: softmaxLayer,
  Add: merge,
  Subtract: merge,
  Multiply: merge,
  Average: merge,
  Maximum: merge,
  Minimum: merge,
  Concatenate: concatenate,
  Flatten: flatten,
  Reshape: reshape,
  Permute: permute,
  ...Object.fromEntries(PASSTHROUGH_CLASSES.map((c) => [c, passthrough])),
};

/** Classes whose output a capture walk may follow (same channels, same spatial grid, per-channel math). */
export const CAPTURE_WALKABLE = new Set([
  'Concatenate',
  'BatchNormalization', 'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU', 'PReLU',
  'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'AlphaDropout', 'GaussianNoise', 'GaussianDropout',
  'Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum',
]);
