/**
 * Lowers a tfjs LayersModel (Keras-style, channels-last, batch 1) to the export IR. Each layer becomes zero or more
 * IR ops; weights are read once and re-laid out for TFLite (conv OHWI, depthwise [1,kh,kw,c·m], dense [out,in]).
 * BatchNormalization becomes a per-channel scale/shift that `fuse.ts` folds into the conv/dense before it.
 * The pipeline's input convention (InputSpec: raw 0–255 RGB → model input) is put in front of the graph as a
 * scale/shift when it is not the identity, so every exported file takes raw 0–255 RGB NHWC pixels.
 * A layer that cannot be written gets an `unsupported-layer` StudioError naming it.
 */
import type * as tf from '@tensorflow/tfjs';
import { StudioError } from '../errors';
import type { InputSpec } from '../models/types';
import type { Activation, IrGraph, IrOp, IrTensor, Padding } from './ir';
import { bnAffine as foldAffine } from '../deploy/fold';

type Sym = tf.SymbolicTensor;
type Config = Record<string, unknown>;

/** Layers that are the identity at inference time. */
const IDENTITY = new Set(['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ActivityRegularization', 'Masking']);

class Lowering {
  readonly tensors: IrTensor[] = [];
  readonly ops: IrOp[] = [];
  private readonly bySym = new Map<number, number>();
  private readonly format: string;

  constructor(format: string) {
    this.format = format;
  }

  tensor(name: string, shape: number[]): number {
    const id = this.tensors.length;
    this.tensors.push({ id, name, shape: [...shape] });
    return id;
  }

  bind(sym: Sym, id: number): void {
    this.bySym.set(sym.id, id);
  }

  of(sym: Sym, layer: tf.layers.Layer): number {
    const id = this.bySym.get(sym.id);
    if (id === undefined) throw this.refuse(layer, 'its input is not produced by a layer of this model (nested models are not supported)');
    return id;
  }

  shapeOf(id: number): number[] {
    return this.tensors[id]!.shape;
  }

  refuse(layer: tf.layers.Layer, why: string): StudioError {
    return new StudioError('unsupported-layer', `Layer "${layer.name}" (${layer.getClassName()}) cannot be written to ${this.format}: ${why}.`, { layer: layer.name, className: layer.getClassName() });
  }
}

function num2(v: unknown, fallback: number): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0] as number, v[1] as number];
  return [fallback, fallback];
}

function outShape(layer: tf.layers.Layer): number[] {
  const s = layer.outputShape;
  if (Array.isArray(s[0]) || s.length === 0) throw new StudioError('unsupported-layer', `Layer "${layer.name}" (${layer.getClassName()}) has several outputs.`);
  return (s as (number | null)[]).map((d) => (d === null ? 1 : d));
}

function padding(layer: tf.layers.Layer, cfg: Config, low: Lowering): Padding {
  const p = cfg.padding ?? 'valid';
  if (p === 'same' || p === 'valid') return p;
  throw low.refuse(layer, `padding '${String(p)}' (only 'same' and 'valid')`);
}

function channelsLast(layer: tf.layers.Layer, cfg: Config, low: Lowering): void {
  if (cfg.dataFormat !== undefined && cfg.dataFormat !== 'channelsLast') throw low.refuse(layer, `data format '${String(cfg.dataFormat)}' (only channels-last)`);
}

/** The layer's activation split into a fusable part and an op to append (sigmoid/tanh/softmax). */
function activationOf(layer: tf.layers.Layer, name: unknown, low: Lowering): { fused: Activation; after?: 'sigmoid' | 'tanh' | 'softmax' } {
  const a = typeof name === 'string' ? name : 'linear';
  switch (a) {
    case 'linear':
      return { fused: 'none' };
    case 'relu':
      return { fused: 'relu' };
    case 'relu6':
      return { fused: 'relu6' };
    case 'sigmoid':
    case 'tanh':
    case 'softmax':
      return { fused: 'none', after: a };
    default:
      throw low.refuse(layer, `activation '${a}' (supported: linear, relu, relu6, sigmoid, tanh, softmax)`);
  }
}

function values(t: tf.Tensor): Float32Array {
  return Float32Array.from(t.dataSync() as Float32Array);
}

/** Named weights of a layer (by the variable's short name: kernel, bias, gamma, moving_mean, …). */
function weightsByName(layer: tf.layers.Layer): Map<string, tf.Tensor> {
  const vars = layer.weights;
  const vals = layer.getWeights();
  const m = new Map<string, tf.Tensor>();
  vars.forEach((v, i) => {
    const full = v.originalName ?? v.name;
    const short = full.split('/').pop()!.replace(/_\d+$/, '');
    m.set(short, vals[i]!);
  });
  return m;
}

/** tfjs conv kernel [kh, kw, cin, cout] → OHWI [cout, kh, kw, cin]. */
export function kernelToOhwi(k: Float32Array, kh: number, kw: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++) {
        const src = ((y * kw + x) * cin + i) * cout;
        for (let o = 0; o < cout; o++) out[((o * kh + y) * kw + x) * cin + i] = k[src + o]!;
      }
  return out;
}

/** Dense kernel [in, out] → [out, in]. */
export function transpose2d(k: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = k[r * cols + c]!;
  return out;
}

/** Per-channel affine of the pipeline (raw 0..255 → model input), or null when it is the identity. */
export function inputAffine(spec: InputSpec): { scale: Float32Array; shift: Float32Array } | null {
  const a = (spec.range[1] - spec.range[0]) / 255;
  const scale = new Float32Array(3);
  const shift = new Float32Array(3);
  for (let c = 0; c < 3; c++) {
    const sd = spec.normalizeOutside ? spec.std[c]! : 1;
    const m = spec.normalizeOutside ? spec.mean[c]! : 0;
    scale[c] = a / sd;
    shift[c] = (spec.range[0] - m) / sd;
  }
  const identity = scale.every((s) => s === 1) && shift.every((b) => b === 0);
  return identity ? null : { scale, shift };
}

function appendUnary(low: Lowering, kind: 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'softmax', name: string, input: number): number {
  const output = low.tensor(name, low.shapeOf(input));
  low.ops.push({ kind, name, input, output });
  return output;
}

/** Lowers one layer; returns the IR tensor of its output. */
function lowerLayer(low: Lowering, layer: tf.layers.Layer, inputs: number[], outName: string): number {
  const cls = layer.getClassName();
  const cfg = layer.getConfig() as Config;
  const name = layer.name;
  const one = (): number => {
    if (inputs.length !== 1) throw low.refuse(layer, `expected one input, got ${inputs.length}`);
    return inputs[0]!;
  };
  const rank4 = (id: number): number[] => {
    const s = low.shapeOf(id);
    if (s.length !== 4) throw low.refuse(layer, `expected a 4-D (NHWC) input, got shape [${s.join(', ')}]`);
    return s;
  };
  const finishAct = (out: number, after: 'sigmoid' | 'tanh' | 'softmax' | undefined): number => (after ? appendUnary(low, after, `${name}/${after}`, out) : out);

  if (IDENTITY.has(cls)) return one();

  switch (cls) {
    case 'Conv2D': {
      channelsLast(layer, cfg, low);
      const x = one();
      const [, , , cin] = rank4(x);
      const w = weightsByName(layer);
      const k = w.get('kernel');
      if (!k || k.rank !== 4) throw low.refuse(layer, 'no 4-D kernel');
      const [kh, kw, kin, cout] = k.shape as [number, number, number, number];
      if (kin !== cin) throw low.refuse(layer, `kernel expects ${kin} input channels, the input has ${cin} (grouped convolutions are not supported)`);
      const act = activationOf(layer, cfg.activation, low);
      const shape = outShape(layer);
      const output = low.tensor(act.after ? `${name}/pre` : outName, shape);
      const b = w.get('bias');
      low.ops.push({
        kind: 'conv2d', name, input: x, output,
        filter: kernelToOhwi(values(k), kh, kw, cin!, cout), filterShape: [cout, kh, kw, cin!],
        bias: b ? values(b) : new Float32Array(cout),
        strides: num2(cfg.strides, 1), dilations: num2(cfg.dilationRate, 1), padding: padding(layer, cfg, low), activation: act.fused,
      });
      return finishAct(output, act.after);
    }
    case 'DepthwiseConv2D':
    case 'SeparableConv2D': {
      channelsLast(layer, cfg, low);
      const x = one();
      const [, , , cin] = rank4(x);
      const w = weightsByName(layer);
      const dk = w.get('depthwise_kernel') ?? (cls === 'DepthwiseConv2D' ? w.get('kernel') : undefined);
      if (!dk || dk.rank !== 4) throw low.refuse(layer, 'no 4-D depthwise kernel');
      const [kh, kw, kin, mult] = dk.shape as [number, number, number, number];
      if (kin !== cin) throw low.refuse(layer, `kernel expects ${kin} channels, the input has ${cin}`);
      const strides = num2(cfg.strides, 1);
      const dilations = num2(cfg.dilationRate, 1);
      const pad = padding(layer, cfg, low);
      const act = activationOf(layer, cfg.activation, low);
      const b = w.get('bias');
      const kVals = values(dk);
      if (cls === 'DepthwiseConv2D') {
        // A 1×1, stride-1, multiplier-1 depthwise conv is a per-channel affine (the zoo's input normalisation).
        if (kh === 1 && kw === 1 && mult === 1 && strides[0] === 1 && strides[1] === 1) {
          const output = low.tensor(act.after ? `${name}/pre` : outName, outShape(layer));
          low.ops.push({ kind: 'scaleShift', name, input: x, output, scale: kVals, shift: b ? values(b) : new Float32Array(cin!), activation: act.fused });
          return finishAct(output, act.after);
        }
        const output = low.tensor(act.after ? `${name}/pre` : outName, outShape(layer));
        low.ops.push({
          kind: 'depthwise', name, input: x, output, filter: kVals, filterShape: [1, kh, kw, cin! * mult], multiplier: mult,
          bias: b ? values(b) : new Float32Array(cin! * mult), strides, dilations, padding: pad, activation: act.fused,
        });
        return finishAct(output, act.after);
      }
      // SeparableConv2D = depthwise (no bias) + pointwise 1×1 conv (bias, activation).
      const pk = w.get('pointwise_kernel');
      if (!pk || pk.rank !== 4) throw low.refuse(layer, 'no pointwise kernel');
      const cout = pk.shape[3]!;
      const shape = outShape(layer);
      const mid = low.tensor(`${name}/depthwise`, [shape[0]!, shape[1]!, shape[2]!, cin! * mult]);
      low.ops.push({
        kind: 'depthwise', name: `${name}/depthwise`, input: x, output: mid, filter: kVals, filterShape: [1, kh, kw, cin! * mult], multiplier: mult,
        bias: new Float32Array(cin! * mult), strides, dilations, padding: pad, activation: 'none',
      });
      const output = low.tensor(act.after ? `${name}/pre` : outName, shape);
      low.ops.push({
        kind: 'conv2d', name: `${name}/pointwise`, input: mid, output, filter: kernelToOhwi(values(pk), 1, 1, cin! * mult, cout), filterShape: [cout, 1, 1, cin! * mult],
        bias: b ? values(b) : new Float32Array(cout), strides: [1, 1], dilations: [1, 1], padding: 'valid', activation: act.fused,
      });
      return finishAct(output, act.after);
    }
    case 'Dense': {
      const x = one();
      const s = low.shapeOf(x);
      if (s.length !== 2) throw low.refuse(layer, `Dense on a ${s.length}-D input (flatten or pool first)`);
      const w = weightsByName(layer);
      const k = w.get('kernel');
      if (!k || k.rank !== 2) throw low.refuse(layer, 'no 2-D kernel');
      const [fin, units] = k.shape as [number, number];
      const act = activationOf(layer, cfg.activation, low);
      const b = w.get('bias');
      const output = low.tensor(act.after ? `${name}/pre` : outName, [1, units]);
      low.ops.push({ kind: 'dense', name, input: x, output, weights: transpose2d(values(k), fin, units), weightsShape: [units, fin], bias: b ? values(b) : new Float32Array(units), activation: act.fused });
      return finishAct(output, act.after);
    }
    case 'Rescaling': {
      // y = x · scale + offset (scalars): a per-channel scale/shift with equal channels.
      const x = one();
      const s = low.shapeOf(x);
      const scale = cfg.scale;
      const offset = cfg.offset ?? 0;
      if (typeof scale !== 'number' || typeof offset !== 'number') throw low.refuse(layer, 'a non-scalar scale or offset');
      const c = s[s.length - 1]!;
      const output = low.tensor(outName, s);
      low.ops.push({ kind: 'scaleShift', name, input: x, output, scale: new Float32Array(c).fill(scale), shift: new Float32Array(c).fill(offset), activation: 'none' });
      return output;
    }
    case 'BatchNormalization': {
      const x = one();
      const s = low.shapeOf(x);
      const axis = typeof cfg.axis === 'number' ? cfg.axis : -1;
      if (axis !== -1 && axis !== s.length - 1) throw low.refuse(layer, `normalisation axis ${axis} (only the last, channel axis)`);
      const c = s[s.length - 1]!;
      const w = weightsByName(layer);
      const mean = w.get('moving_mean');
      const variance = w.get('moving_variance');
      if (!mean || !variance) throw low.refuse(layer, 'no moving mean/variance');
      const eps = typeof cfg.epsilon === 'number' ? cfg.epsilon : 1e-3;
      const g = w.get('gamma');
      const be = w.get('beta');
      const { scale, shift } = bnAffine(values(mean), values(variance), g ? values(g) : null, be ? values(be) : null, eps, c);
      const output = low.tensor(outName, s);
      low.ops.push({ kind: 'scaleShift', name, input: x, output, scale, shift, activation: 'none' });
      return output;
    }
    case 'Activation': {
      const x = one();
      const act = activationOf(layer, cfg.activation, low);
      if (act.fused === 'none' && !act.after) return x;
      return appendUnary(low, act.after ?? act.fused as 'relu' | 'relu6', outName, x);
    }
    case 'ReLU': {
      const x = one();
      const max = cfg.maxValue;
      if (max === null || max === undefined) return appendUnary(low, 'relu', outName, x);
      if (max === 6) return appendUnary(low, 'relu6', outName, x);
      throw low.refuse(layer, `ReLU with maxValue ${String(max)} (only none or 6)`);
    }
    case 'Softmax': {
      const x = one();
      const axis = cfg.axis;
      const r = low.shapeOf(x).length;
      if (axis !== undefined && axis !== -1 && axis !== r - 1) throw low.refuse(layer, `softmax over axis ${String(axis)} (only the last)`);
      return appendUnary(low, 'softmax', outName, x);
    }
    case 'Add':
    case 'Multiply': {
      if (inputs.length < 2) throw low.refuse(layer, 'fewer than two inputs');
      const s0 = low.shapeOf(inputs[0]!);
      for (const i of inputs) {
        const s = low.shapeOf(i);
        if (s.length !== s0.length || s.some((d, k) => d !== s0[k])) throw low.refuse(layer, `inputs of different shapes [${s0.join(', ')}] and [${s.join(', ')}] (broadcasting is not supported)`);
      }
      let acc = inputs[0]!;
      for (let k = 1; k < inputs.length; k++) {
        const last = k === inputs.length - 1;
        const output = low.tensor(last ? outName : `${name}/${k}`, s0);
        low.ops.push({ kind: cls === 'Add' ? 'add' : 'mul', name: last ? name : `${name}/${k}`, inputs: [acc, inputs[k]!], output, activation: 'none' });
        acc = output;
      }
      return acc;
    }
    case 'Concatenate': {
      if (inputs.length < 2) return one();
      const r = low.shapeOf(inputs[0]!).length;
      const a = typeof cfg.axis === 'number' ? cfg.axis : -1;
      const axis = a < 0 ? a + r : a;
      if (axis <= 0 || axis >= r) throw low.refuse(layer, `concatenation axis ${a}`);
      const output = low.tensor(outName, outShape(layer));
      low.ops.push({ kind: 'concat', name, inputs: [...inputs], output, axis, activation: 'none' });
      return output;
    }
    case 'ZeroPadding2D': {
      channelsLast(layer, cfg, low);
      const x = one();
      rank4(x);
      const p = cfg.padding;
      let pads: [[number, number], [number, number]];
      if (typeof p === 'number') pads = [[p, p], [p, p]];
      else if (Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number')) pads = [[p[0] as number, p[0] as number], [p[1] as number, p[1] as number]];
      else if (Array.isArray(p) && p.length === 2) pads = [num2(p[0], 0), num2(p[1], 0)];
      else throw low.refuse(layer, `padding ${JSON.stringify(p)}`);
      const output = low.tensor(outName, outShape(layer));
      low.ops.push({ kind: 'pad', name, input: x, output, pads });
      return output;
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      channelsLast(layer, cfg, low);
      const x = one();
      rank4(x);
      const size = num2(cfg.poolSize, 2);
      const strides = cfg.strides === null || cfg.strides === undefined ? size : num2(cfg.strides, 1);
      const output = low.tensor(outName, outShape(layer));
      low.ops.push({ kind: cls === 'MaxPooling2D' ? 'maxPool' : 'avgPool', name, input: x, output, size, strides, padding: padding(layer, cfg, low), activation: 'none' });
      return output;
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D': {
      channelsLast(layer, cfg, low);
      const x = one();
      const [, , , c] = rank4(x);
      if (cfg.keepDims === true) throw low.refuse(layer, 'keepDims');
      const output = low.tensor(outName, [1, c!]);
      low.ops.push({ kind: cls === 'GlobalAveragePooling2D' ? 'globalAvg' : 'globalMax', name, input: x, output });
      return output;
    }
    case 'Flatten':
    case 'Reshape': {
      const x = one();
      const shape = outShape(layer);
      const s = low.shapeOf(x);
      if (s.length === shape.length && s.every((d, k) => d === shape[k])) return x;
      const output = low.tensor(outName, shape);
      low.ops.push({ kind: 'reshape', name, input: x, output, shape });
      return output;
    }
    default:
      throw low.refuse(layer, 'this layer type has no export mapping');
  }
}

/** BatchNormalization (inference) as y = x · scale + shift (deploy/fold.ts's arithmetic, in float32). */
export function bnAffine(mean: Float32Array, variance: Float32Array, gamma: Float32Array | null, beta: Float32Array | null, eps: number, c: number): { scale: Float32Array; shift: Float32Array } {
  if (mean.length !== c) throw new StudioError('shape-mismatch', `BatchNormalization has ${mean.length} channels where ${c} were expected.`);
  const { scale, shift } = foldAffine({ mean, variance, gamma: gamma ?? undefined, beta: beta ?? undefined, epsilon: eps });
  return { scale: Float32Array.from(scale), shift: Float32Array.from(shift) };
}

export interface LowerOptions {
  /** The pipeline's input convention: folded into the graph so the export takes raw 0–255 RGB. */
  input: InputSpec;
  /** Named in errors: '.tflite' or '.onnx'. */
  format: string;
}

/** tfjs LayersModel → IR graph (batch 1, NHWC, raw 0–255 RGB input). Reads weights; never modifies the model. */
export function lowerModel(model: tf.LayersModel, opts: LowerOptions): IrGraph {
  const low = new Lowering(opts.format);
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new StudioError('unsupported-layer', `Model "${model.name}" has ${model.inputs.length} inputs and ${model.outputs.length} outputs; ${opts.format} export needs exactly one of each.`);
  }
  const inSym = model.inputs[0]!;
  const inShape = inSym.shape.map((d) => (d === null ? 1 : d));
  if (inShape.length !== 4 || inShape[3] !== 3) throw new StudioError('unsupported-layer', `Model input shape [${inSym.shape.join(', ')}] is not an RGB image (N, H, W, 3).`);
  let x = low.tensor('input', inShape);
  const graphInput = x;
  const affine = inputAffine(opts.input);
  if (affine) {
    const y = low.tensor('input_preprocessed', inShape);
    low.ops.push({ kind: 'scaleShift', name: 'input_preprocess', input: x, output: y, scale: affine.scale, shift: affine.shift, activation: 'none' });
    x = y;
  }
  low.bind(inSym, x);
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    if (layer.inboundNodes.length !== 1) throw low.refuse(layer, `the layer is applied ${layer.inboundNodes.length} times (shared layers are not supported)`);
    const node = layer.inboundNodes[0]!;
    if (node.outputTensors.length !== 1) throw low.refuse(layer, 'several outputs');
    const inputs = node.inputTensors.map((s) => low.of(s, layer));
    const out = lowerLayer(low, layer, inputs, layer.name);
    low.bind(node.outputTensors[0]!, out);
  }
  const output = low.of(model.outputs[0]!, model.layers[model.layers.length - 1]!);
  return { name: model.name, tensors: low.tensors, ops: low.ops, input: graphInput, output };
}
