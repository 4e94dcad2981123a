/**
 * Deploy optimisation: builds a NEW LayersModel that computes the same function with fewer tfjs ops at inference.
 *  - BatchNormalization folded into the Conv2D / DepthwiseConv2D / Dense right before it (kernel scaled per output
 *    channel, bias added or created; see fold.ts);
 *  - an Activation (relu, relu6, elu, sigmoid, tanh) or ReLU layer (plain or capped at 6) right after such a layer
 *    moved into the layer's own `activation`: tfjs-layers 4.22 then runs Conv2D and Dense with relu/linear/elu as one
 *    fused kernel (conv + bias + activation). ReLU6 and DepthwiseConv2D still run as separate ops inside the layer
 *    (tfjs-layers maps only relu, linear and elu to fused kernels and never fuses depthwise);
 *  - inference no-ops removed: Dropout and its variants, linear Activation, zero ZeroPadding2D.
 * Only built-in layers are used, so the result saves, exports, bundles and runs on every backend like any other
 * model. The akamaster option-A shortcut (a fixed 1x1 stride-2 conv whose kernel selects channels with an offset) is
 * detected and kept: the exact cheaper form (stride-2 subsample + zero-padding of channels) needs a channel pad,
 * which no built-in tfjs layer provides (ZeroPadding2D pads only height and width).
 * The original model is not modified; its weights are read, never moved or disposed.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../errors';
import { foldBatchNorm, type BnStatistics, type KernelLayout } from './fold';

type Json = Record<string, unknown>;
/** [layerName, nodeIndex, tensorIndex, kwargs?] as in a functional model's config. */
type Ref = [string, number, number, Json?];
interface Entry { name: string; className: string; config: Json; inboundNodes: Ref[][] }

export interface OptimizeReport {
  /** BatchNormalization layers folded away, and the layer each went into. */
  foldedBatchNorms: { bn: string; into: string }[];
  /** Activation / ReLU layers moved into the preceding layer's `activation`. */
  fusedActivations: { layer: string; into: string; activation: string }[];
  /** Inference no-ops removed. */
  removed: { layer: string; className: string }[];
  /** Fixed 0/1 channel-selection convs (option-A shortcuts) found, kept as they are, and why. */
  keptSelectionConvs: { layer: string; reason: string }[];
  layersBefore: number;
  layersAfter: number;
}

const KERNEL_LAYERS: Record<string, KernelLayout> = { Conv2D: 'last', Dense: 'last', DepthwiseConv2D: 'depthwise' };
/** Layers whose own `activation` is applied after the bias, so an Activation after them can move in. */
const ACTIVATION_HOSTS = new Set(['Conv2D', 'DepthwiseConv2D', 'Dense', 'SeparableConv2D', 'Conv2DTranspose', 'Conv1D']);
const FUSABLE_ACTIVATIONS = new Set(['relu', 'relu6', 'elu', 'sigmoid', 'tanh']);
const NO_OPS = new Set(['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'GaussianDropout', 'GaussianNoise', 'AlphaDropout']);
export const SELECTION_CONV_REASON =
  'kept: the exact cheaper form (stride-2 subsample + zero channels) needs a channel pad, and no built-in tfjs layer pads channels';

function liveLayers(model: tf.LayersModel): Map<string, tf.layers.Layer> {
  return new Map(model.layers.map((l) => [l.name, l]));
}

function isModelEntry(e: Entry): boolean {
  return Array.isArray((e.config as { layers?: unknown }).layers);
}

/** The activation name a layer config applies as a layer, or null when it is not a plain activation. */
function activationOf(e: Entry): string | null {
  if (e.className === 'Activation') return String(e.config.activation);
  if (e.className === 'ReLU') {
    const max = e.config.maxValue;
    if (max === null || max === undefined) return 'relu';
    if (max === 6) return 'relu6';
  }
  return null;
}

function isNoOp(e: Entry): boolean {
  if (NO_OPS.has(e.className)) return true;
  if (e.className === 'Activation' && e.config.activation === 'linear') return true;
  if (e.className === 'ZeroPadding2D') {
    const p = JSON.stringify(e.config.padding);
    return /^[\[\]0,]*$/.test(p);
  }
  return false;
}

/** A fixed 1x1 stride-2 conv whose kernel has only 0/1 entries, at most one 1 per input and per output channel. */
export function isSelectionConv(layer: tf.layers.Layer): boolean {
  if (layer.getClassName() !== 'Conv2D' || layer.trainable) return false;
  const c = layer.getConfig() as { kernelSize?: number[]; strides?: number[]; activation?: string; useBias?: boolean };
  if (c.kernelSize?.join() !== '1,1' || !c.strides || c.strides.every((s) => s === 1) || c.activation !== 'linear') return false;
  const [kernel, bias] = layer.getWeights();
  if (!kernel) return false;
  if (bias && bias.dataSync().some((v) => v !== 0)) return false;
  const [, , cin, cout] = kernel.shape as number[];
  const k = kernel.dataSync();
  const perIn = new Uint16Array(cin!);
  const perOut = new Uint16Array(cout!);
  for (let i = 0; i < k.length; i++) {
    const v = k[i]!;
    if (v === 0) continue;
    if (v !== 1) return false;
    perIn[Math.floor(i / cout!)]++;
    perOut[i % cout!]++;
  }
  return perIn.every((n) => n <= 1) && perOut.every((n) => n <= 1);
}

function bnStatistics(layer: tf.layers.Layer): BnStatistics {
  const cfg = layer.getConfig() as { scale?: boolean; center?: boolean; epsilon?: number };
  const w = layer.getWeights().map((t) => t.dataSync() as Float32Array);
  let i = 0;
  const gamma = cfg.scale !== false ? w[i++] : undefined;
  const beta = cfg.center !== false ? w[i++] : undefined;
  const mean = w[i++];
  const variance = w[i++];
  if (!mean || !variance || i !== w.length) throw new StudioError('unsupported-layer', `BatchNormalization ${layer.name}: unexpected weights (${w.length}).`);
  return { ...(gamma ? { gamma } : {}), ...(beta ? { beta } : {}), mean, variance, epsilon: cfg.epsilon ?? 1e-3 };
}

/** True when the BatchNormalization normalises the last (channel) axis of a tensor of `rank`. */
function bnOnLastAxis(layer: tf.layers.Layer): boolean {
  const axis = (layer.getConfig() as { axis?: number | number[] }).axis ?? -1;
  const input = layer.input;
  const shape = layer.inputSpec?.[0]?.ndim ?? (Array.isArray(input) ? 0 : input.shape.length);
  const a = Array.isArray(axis) ? (axis.length === 1 ? axis[0]! : NaN) : axis;
  return a === -1 || (shape > 0 && a === shape - 1);
}

/** Returns the deploy-optimised copy of `model` and what was changed. `model` is not modified. */
export function optimizeForDeployment(model: tf.LayersModel): { model: tf.LayersModel; report: OptimizeReport } {
  // A Sequential model's layers, seen as a functional graph (same layer objects), give one config format to rewrite.
  const functional = model instanceof tf.Sequential ? tf.model({ inputs: model.inputs, outputs: model.outputs, name: model.name }) : model;
  const config = JSON.parse(JSON.stringify(functional.getConfig())) as Json & { layers: Entry[]; outputLayers: Ref[]; inputLayers: Ref[] };
  const live = liveLayers(functional);
  // tfjs 4.22 SeparableConv2D.getConfig() drops depthMultiplier: put it back (and keep it in the copy's config).
  const multipliers = new Map<string, number>();
  for (const e of config.layers)
    if (e.className === 'SeparableConv2D') {
      const m = (live.get(e.name) as unknown as { depthMultiplier: number }).depthMultiplier;
      e.config.depthMultiplier = m;
      multipliers.set(e.name, m);
    }
  const report: OptimizeReport = { foldedBatchNorms: [], fusedActivations: [], removed: [], keptSelectionConvs: [], layersBefore: config.layers.length, layersAfter: 0 };

  const byName = new Map(config.layers.map((e) => [e.name, e]));
  /** layer → layer it forwards to (a removed layer stands for its single input). */
  const redirect = new Map<string, Ref>();
  const resolve = (r: Ref): Ref => {
    let cur = r;
    for (let guard = 0; redirect.has(cur[0]) && guard < 10_000; guard++) {
      const to = redirect.get(cur[0])!;
      cur = [to[0], to[1], to[2], cur[3]];
    }
    return cur;
  };
  const uses = (): Map<string, number> => {
    const n = new Map<string, number>();
    const add = (r: Ref) => {
      const t = resolve(r)[0];
      n.set(t, (n.get(t) ?? 0) + 1);
    };
    for (const e of config.layers) if (!redirect.has(e.name)) for (const node of e.inboundNodes) node.forEach(add);
    config.outputLayers.forEach(add);
    return n;
  };
  const outputs = () => new Set(config.outputLayers.map((r) => resolve(r)[0]));
  /** The single layer feeding `e` (one inbound node, one tensor, output 0 of a single-node layer), or null. */
  const soleInput = (e: Entry): Entry | null => {
    if (e.inboundNodes.length !== 1 || e.inboundNodes[0]!.length !== 1) return null;
    const r = resolve(e.inboundNodes[0]![0]!);
    const p = byName.get(r[0]);
    if (!p || r[1] !== 0 || r[2] !== 0 || p.inboundNodes.length !== 1 || isModelEntry(p)) return null;
    return p;
  };
  const remove = (e: Entry, into: Entry): void => {
    redirect.set(e.name, [into.name, 0, 0]);
  };

  /** New weights per layer name (tensors created here, disposed after they are set). */
  const newWeights = new Map<string, Float32Array[]>();
  const weightsOf = (name: string): Float32Array[] => newWeights.get(name) ?? live.get(name)!.getWeights().map((t) => t.dataSync() as Float32Array);

  // 1. Inference no-ops: forward their input.
  const ins = new Set(config.inputLayers.map((r) => r[0]));
  for (const e of config.layers) {
    if (!isNoOp(e) || e.inboundNodes.length !== 1 || e.inboundNodes[0]!.length !== 1) continue;
    const r = resolve(e.inboundNodes[0]![0]!);
    if (outputs().has(e.name) && ins.has(r[0])) continue; // an input can not be an output
    redirect.set(e.name, [r[0], r[1], r[2]]);
    report.removed.push({ layer: e.name, className: e.className });
  }

  // 2. BatchNormalization into the conv / dense right before it.
  for (const e of config.layers) {
    if (e.className !== 'BatchNormalization' || redirect.has(e.name)) continue;
    const p = soleInput(e);
    const layout = p ? KERNEL_LAYERS[p.className] : undefined;
    if (!p || !layout || p.config.activation !== 'linear' || (p.config.dataFormat ?? 'channelsLast') !== 'channelsLast') continue;
    if ((uses().get(p.name) ?? 0) !== 1 || outputs().has(p.name)) continue;
    const bnLayer = live.get(e.name)!;
    if (!bnOnLastAxis(bnLayer)) continue;
    const pLayer = live.get(p.name)!;
    const [kernel, bias] = weightsOf(p.name);
    const shape = pLayer.getWeights()[0]!.shape;
    const folded = foldBatchNorm(kernel!, shape, layout, p.config.useBias ? bias! : null, bnStatistics(bnLayer));
    newWeights.set(p.name, [folded.kernel, folded.bias]);
    p.config.useBias = true;
    p.config.biasInitializer ??= { className: 'Zeros', config: {} };
    remove(e, p);
    report.foldedBatchNorms.push({ bn: e.name, into: p.name });
  }

  // 3. Activations into the layer right before them.
  for (const e of config.layers) {
    if (redirect.has(e.name)) continue;
    const act = activationOf(e);
    if (!act || !FUSABLE_ACTIVATIONS.has(act)) continue;
    const p = soleInput(e);
    if (!p || !ACTIVATION_HOSTS.has(p.className) || p.config.activation !== 'linear') continue;
    if ((uses().get(p.name) ?? 0) !== 1 || outputs().has(p.name)) continue;
    p.config.activation = act;
    remove(e, p);
    report.fusedActivations.push({ layer: e.name, into: p.name, activation: act });
  }

  // 4. Option-A shortcuts: found and kept.
  for (const e of config.layers) {
    const l = live.get(e.name);
    if (!redirect.has(e.name) && l && isSelectionConv(l)) report.keptSelectionConvs.push({ layer: e.name, reason: SELECTION_CONV_REASON });
  }

  // Rewrite the config: drop removed layers, point every reference past them.
  config.layers = config.layers.filter((e) => !redirect.has(e.name));
  for (const e of config.layers) e.inboundNodes = e.inboundNodes.map((node) => node.map(resolve));
  config.outputLayers = config.outputLayers.map((r) => resolve(r).slice(0, 3) as Ref);
  report.layersAfter = config.layers.length;

  let out: tf.LayersModel;
  try {
    out = (tf.LayersModel as unknown as { fromConfig(c: unknown, config: Json, custom: Json, fast: boolean): tf.LayersModel }).fromConfig(tf.LayersModel, config, {}, true);
  } catch (e) {
    throw new StudioError('internal', `Could not build the optimised model: ${(e as Error).message}`);
  }
  for (const [name, m] of multipliers) {
    const layer = out.getLayer(name);
    const base = layer.getConfig.bind(layer);
    layer.getConfig = () => ({ ...base(), depthMultiplier: m });
  }
  try {
    const target = liveLayers(out);
    for (const [name, layer] of target) {
      if (layer.weights.length === 0) continue;
      const src = live.get(name)!;
      if (src instanceof tf.LayersModel) {
        layer.setWeights(src.getWeights());
        continue;
      }
      const fresh = newWeights.get(name);
      if (!fresh) {
        layer.setWeights(src.getWeights());
        continue;
      }
      const tensors = fresh.map((v, i) => tf.tensor(v, layer.weights[i]!.shape as number[], 'float32'));
      try {
        layer.setWeights(tensors);
      } finally {
        tf.dispose(tensors);
      }
    }
  } catch (e) {
    out.dispose();
    throw e instanceof StudioError ? e : new StudioError('internal', `Could not set the optimised weights: ${(e as Error).message}`);
  }
  const meta = model.getUserDefinedMetadata();
  if (meta !== undefined) out.setUserDefinedMetadata(JSON.parse(JSON.stringify(meta)) as {});
  return { model: out, report };
}

/**
 * Largest difference between two models' outputs on `x`, relative to the largest magnitude of the reference output
 * per image: max over images of max|a − b| / max|a|.
 */
export function maxRelativeDifference(reference: tf.LayersModel, candidate: tf.LayersModel, x: tf.Tensor): number {
  return tf.tidy(() => {
    const a = reference.predict(x) as tf.Tensor;
    const b = candidate.predict(x) as tf.Tensor;
    if (a.shape.join() !== b.shape.join()) throw new StudioError('shape-mismatch', `Outputs differ in shape: [${a.shape.join(', ')}] vs [${b.shape.join(', ')}].`);
    const a2 = a.reshape([a.shape[0]!, -1]);
    const diff = tf.sub(a2, b.reshape([b.shape[0]!, -1])).abs().max(1);
    const scale = a2.abs().max(1).maximum(1e-12);
    return diff.div(scale).max().dataSync()[0]!;
  });
}
