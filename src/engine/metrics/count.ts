/**
 * Parameter and MAC counting for tfjs LayersModels.
 *
 * Convention (the one used by the pruning literature, e.g. HRank/CHIP tables):
 * MACs = multiply-accumulates of the conv and fully-connected layers for ONE image;
 * BatchNorm, activations, adds, concatenations, pooling and padding count 0.
 * Fixed "plumbing" layers that only rescale or route channels — the input `normalize`
 * 1x1 DepthwiseConv2D and non-trainable 1x1 convs with a 0/1 selection kernel
 * (option-A shortcuts) — are reported per layer (`fixed: true`) but left out of
 * `macs`; their total is in `fixedMacs`, so `macs + fixedMacs` = total as executed.
 *
 * Params = every weight (incl. BN moving statistics and fixed layers, = countParams());
 * trainableParams = trainable weights only (= the PyTorch parameter count for zoo models).
 * Nested models are walked; their layer names are prefixed with `outer/`.
 */
import * as tf from '@tensorflow/tfjs';

export interface LayerCount {
  name: string;
  className: string;
  params: number;
  macs: number;
  outShape: number[];
  /** true for fixed plumbing layers (normalize, option-A shortcut) whose MACs are not in ModelCount.macs. */
  fixed?: boolean;
}

export interface ModelCount {
  params: number;
  trainableParams: number;
  /** Main convs + FC, per image. */
  macs: number;
  /** = 2 * macs */
  flops: number;
  /** float32 weight bytes (all weights). */
  bytes: number;
  /** MACs of fixed plumbing layers (normalize, option-A shortcut convs), not included in `macs`. */
  fixedMacs: number;
  layers: LayerCount[];
  /** Layers whose MACs could not be counted (unknown weighted layer, unresolved output shape): the totals omit them. */
  warnings: string[];
}

type Shape = (number | null)[];

function prod(xs: readonly (number | null)[]): number {
  let p = 1;
  for (const x of xs) p *= x ?? 1;
  return p;
}

function firstShape(s: Shape | Shape[]): Shape {
  return Array.isArray(s[0]) ? (s as Shape[])[0] : (s as Shape);
}

function layerOutShape(layer: tf.layers.Layer): Shape | null {
  try {
    return firstShape(layer.outputShape as Shape | Shape[]);
  } catch {
    return null;
  }
}

/** Layers with weights but no multiply-accumulates worth counting (per-channel scale/shift, lookups). */
const NO_MAC_LAYERS = new Set(['BatchNormalization', 'LayerNormalization', 'PReLU', 'Embedding', 'Normalization']);

function layerInShape(layer: tf.layers.Layer): Shape {
  const node = layer.inboundNodes[0];
  return node ? firstShape(node.inputShapes as Shape | Shape[]) : [];
}

function weightShapes(layer: tf.layers.Layer): number[][] {
  return layer.weights.map((w) => w.shape.map((d) => d ?? 1));
}

/** Spatial output positions (product of the dims between batch and channels). */
function spatial(shape: Shape): number {
  return shape.length > 2 ? prod(shape.slice(1, -1)) : 1;
}

/**
 * MACs for one image of a single (non-nested) layer. A weighted layer this module has no formula for, or one whose
 * output shape does not resolve to concrete sizes, counts 0 and says why through `warn` (nothing is guessed).
 */
export function layerMacs(layer: tf.layers.Layer, warn?: (message: string) => void): number {
  const cls = layer.getClassName();
  const ws = weightShapes(layer);
  if (ws.length === 0 || NO_MAC_LAYERS.has(cls)) return 0;
  const known = ['Conv1D', 'Conv2D', 'Conv3D', 'DepthwiseConv2D', 'SeparableConv2D', 'SeparableConv1D', 'Conv2DTranspose', 'Conv3DTranspose', 'Dense'];
  if (!known.includes(cls)) {
    warn?.(`Layer "${layer.name}" (${cls}) has weights but no MAC formula here: its MACs are not in the totals.`);
    return 0;
  }
  const transposed = cls === 'Conv2DTranspose' || cls === 'Conv3DTranspose';
  const shape = transposed ? layerInShape(layer) : layerOutShape(layer);
  if (!shape || (shape.length > 2 && shape.slice(1, -1).some((d) => d === null || !(d > 0)))) {
    warn?.(`Layer "${layer.name}" (${cls}): its ${transposed ? 'input' : 'output'} shape ${shape ? JSON.stringify(shape) : '(unresolved)'} has no concrete spatial size, so its MACs are not in the totals. Give the model a fixed input size.`);
    return 0;
  }
  const pos = spatial(shape);
  switch (cls) {
    case 'SeparableConv2D':
    case 'SeparableConv1D':
      // depthwise [kh, kw, C_in, mult] + pointwise [1, 1, C_in*mult, C_out], both at output resolution.
      return pos * (prod(ws[0]!) + prod(ws[1]!));
    default:
      // Conv kernel [kh, kw, C_in/groups, C_out]; depthwise [kh, kw, C_in, mult]; transposed [kh, kw, C_out, C_in]
      // scattered from every input pixel; Dense [in, out] at every leading position for rank>2 inputs.
      return pos * prod(ws[0]!);
  }
}

/** Is this a 1x1 conv whose (non-trainable) kernel only routes channels (entries 0/1, ≤ one 1 per input row)? */
function isSelectionConv(layer: tf.layers.Layer): boolean {
  if (layer.getClassName() !== 'Conv2D' || layer.trainable) return false;
  const k = layer.weights[0];
  if (!k || k.shape[0] !== 1 || k.shape[1] !== 1 || layer.weights.length > 1) return false;
  const cout = k.shape[3] ?? 1;
  const data = k.read().dataSync();
  const colUsed = new Uint8Array(cout);
  for (let i = 0; i < data.length; i += cout) {
    let ones = 0;
    for (let j = 0; j < cout; j++) {
      const v = data[i + j];
      if (v === 1) {
        ones++;
        if (colUsed[j]) return false;
        colUsed[j] = 1;
      } else if (v !== 0) return false;
    }
    if (ones > 1) return false;
  }
  return true;
}

/** Fixed input normalisation: non-trainable 1x1 DepthwiseConv2D, multiplier 1, fed by the model input. */
function isNormalizeLayer(layer: tf.layers.Layer): boolean {
  if (layer.getClassName() !== 'DepthwiseConv2D' || layer.trainable) return false;
  const k = layer.weights[0];
  if (!k || k.shape[0] !== 1 || k.shape[1] !== 1 || k.shape[3] !== 1) return false;
  if (layer.name === 'normalize') return true;
  const inbound = layer.inboundNodes[0]?.inboundLayers ?? [];
  return inbound.length === 1 && inbound[0].getClassName() === 'InputLayer';
}

/** Fixed plumbing layer (input `normalize` or option-A selection shortcut) that must stay non-trainable. */
export function isFixedLayer(layer: tf.layers.Layer): boolean {
  return isNormalizeLayer(layer) || isSelectionConv(layer);
}

/** Is `layer` itself a (nested) model? */
function isModel(layer: tf.layers.Layer): layer is tf.LayersModel {
  return layer instanceof tf.LayersModel;
}

function walk(model: tf.LayersModel, prefix: string, acc: ModelCount): void {
  for (const layer of model.layers) {
    if (isModel(layer)) {
      walk(layer, `${prefix}${layer.name}/`, acc);
      continue;
    }
    let params = 0;
    for (const w of layer.weights) params += prod(w.shape);
    let trainable = 0;
    for (const w of layer.trainableWeights) trainable += prod(w.shape);
    acc.bytes += params * 4;
    const macs = layerMacs(layer, (m) => acc.warnings.push(m));
    const fixed = macs > 0 && (isNormalizeLayer(layer) || isSelectionConv(layer));
    acc.params += params;
    acc.trainableParams += trainable;
    if (fixed) acc.fixedMacs += macs;
    else acc.macs += macs;
    const lc: LayerCount = {
      name: prefix + layer.name,
      className: layer.getClassName(),
      params,
      macs,
      outShape: (layerOutShape(layer) ?? []).map((d) => d ?? -1),
    };
    if (fixed) lc.fixed = true;
    acc.layers.push(lc);
  }
}

/** Counts parameters and per-image MACs of a model (see module doc for the convention). */
export function countModel(model: tf.LayersModel): ModelCount {
  const acc: ModelCount = { params: 0, trainableParams: 0, macs: 0, flops: 0, bytes: 0, fixedMacs: 0, layers: [], warnings: [] };
  walk(model, '', acc);
  acc.flops = 2 * acc.macs;
  return acc;
}
