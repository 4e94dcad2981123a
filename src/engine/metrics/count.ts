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

function layerOutShape(layer: tf.layers.Layer): Shape {
  try {
    return firstShape(layer.outputShape as Shape | Shape[]);
  } catch {
    return [];
  }
}

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

/** MACs for one image of a single (non-nested) layer. */
export function layerMacs(layer: tf.layers.Layer): number {
  const cls = layer.getClassName();
  const ws = weightShapes(layer);
  if (ws.length === 0) return 0;
  const out = layerOutShape(layer);
  switch (cls) {
    case 'Conv1D':
    case 'Conv2D':
    case 'Conv3D':
    case 'DepthwiseConv2D':
      // Conv kernel [kh, kw, C_in/groups, C_out]; depthwise kernel [kh, kw, C_in, mult].
      return spatial(out) * prod(ws[0]);
    case 'SeparableConv2D':
    case 'SeparableConv1D':
      // depthwise [kh, kw, C_in, mult] + pointwise [1, 1, C_in*mult, C_out], both at output resolution.
      return spatial(out) * (prod(ws[0]) + prod(ws[1]));
    case 'Conv2DTranspose':
    case 'Conv3DTranspose':
      // every input pixel scatters kh*kw*C_out values from C_in channels: kernel [kh, kw, C_out, C_in].
      return spatial(layerInShape(layer)) * prod(ws[0]);
    case 'Dense':
      // kernel [in, out], applied at every leading position for rank>2 inputs.
      return spatial(out) * prod(ws[0]);
    default:
      return 0;
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
    const macs = layerMacs(layer);
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
      outShape: layerOutShape(layer).map((d) => d ?? -1),
    };
    if (fixed) lc.fixed = true;
    acc.layers.push(lc);
  }
}

/** Counts parameters and per-image MACs of a model (see module doc for the convention). */
export function countModel(model: tf.LayersModel): ModelCount {
  const acc: ModelCount = { params: 0, trainableParams: 0, macs: 0, flops: 0, bytes: 0, fixedMacs: 0, layers: [] };
  walk(model, '', acc);
  acc.flops = 2 * acc.macs;
  return acc;
}
