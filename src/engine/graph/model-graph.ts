/**
 * A flat node/edge view of a tfjs LayersModel: every layer application becomes a node and
 * every symbolic tensor a numbered edge. Nested models (functional or Sequential) are
 * flattened: their inner input tensors are aliased to the outer tensors feeding them.
 * Nodes are listed in topological order (inputs before consumers).
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../errors';

export type Shape = (number | null)[];

export interface GraphTensor {
  id: number;
  shape: Shape;
  /** Index of the producing node, -1 for a model input. */
  producer: number;
  consumers: number[];
}

export interface GraphNode {
  index: number;
  layer: tf.layers.Layer;
  name: string;
  className: string;
  inputs: number[];
  outputs: number[];
}

export interface ModelGraph {
  nodes: GraphNode[];
  tensors: GraphTensor[];
  /** Model input tensors and the InputLayer names they come from. */
  inputs: { tensor: number; layer: string }[];
  outputs: number[];
  /** Every non-model layer reachable from the outputs, by name. */
  layers: Map<string, tf.layers.Layer>;
  /** Inner input layers of nested models and the flattened tensor each stands for. */
  aliases: { layer: string; tensor: number }[];
}

interface Context {
  inputMap: Map<number, number>;
  memo: Map<number, number>;
}

function isModel(layer: tf.layers.Layer): layer is tf.LayersModel {
  return layer instanceof tf.LayersModel;
}

/** Builds the flattened node/edge view of `model`. */
export function buildModelGraph(model: tf.LayersModel): ModelGraph {
  const g: ModelGraph = { nodes: [], tensors: [], inputs: [], outputs: [], layers: new Map(), aliases: [] };

  const newTensor = (shape: Shape, producer: number): number => {
    const id = g.tensors.length;
    g.tensors.push({ id, shape: shape.slice(), producer, consumers: [] });
    return id;
  };

  const register = (layer: tf.layers.Layer): void => {
    const prev = g.layers.get(layer.name);
    if (prev && prev !== layer) {
      throw new StudioError('unsupported-layer', `Two different layers are named "${layer.name}"; layer names must be unique to prune.`);
    }
    g.layers.set(layer.name, layer);
  };

  const resolve = (ctx: Context, t: tf.SymbolicTensor): number => {
    const mapped = ctx.inputMap.get(t.id) ?? ctx.memo.get(t.id);
    if (mapped !== undefined) return mapped;
    const layer = t.sourceLayer as tf.layers.Layer;
    const node = layer.inboundNodes[t.nodeIndex];
    if (layer.getClassName() === 'InputLayer' || !node || node.inputTensors.length === 0) {
      const id = newTensor(t.shape, -1);
      g.inputs.push({ tensor: id, layer: layer.name });
      ctx.memo.set(t.id, id);
      return id;
    }
    const inputs = node.inputTensors.map((s) => resolve(ctx, s));
    if (isModel(layer)) {
      const inner: Context = { inputMap: new Map(), memo: new Map() };
      layer.inputs.forEach((s, i) => {
        inner.inputMap.set(s.id, inputs[i]);
        g.aliases.push({ layer: (s.sourceLayer as tf.layers.Layer).name, tensor: inputs[i] });
      });
      node.outputTensors.forEach((s, i) => ctx.memo.set(s.id, resolve(inner, layer.outputs[i])));
      return ctx.memo.get(t.id) as number;
    }
    register(layer);
    const index = g.nodes.length;
    const outputs = node.outputTensors.map((s) => {
      const id = newTensor(s.shape, index);
      ctx.memo.set(s.id, id);
      return id;
    });
    g.nodes.push({ index, layer, name: layer.name, className: layer.getClassName(), inputs, outputs });
    for (const i of inputs) g.tensors[i].consumers.push(index);
    return ctx.memo.get(t.id) as number;
  };

  const top: Context = { inputMap: new Map(), memo: new Map() };
  g.outputs = model.outputs.map((t) => resolve(top, t));
  return g;
}
