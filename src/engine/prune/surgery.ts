/**
 * Physical surgery: builds a NEW, smaller LayersModel with the same layer names and topology
 * (nested models kept nested) from the original's config with channel counts changed, then
 * copies every kept weight. The original model is not modified.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../errors';
import type { DependencyGraph } from '../graph/types';
import { layerConfig } from '../graph/rules';
import { keptPositions, sliceWeight } from './slice';

type Json = Record<string, unknown>;

function isModelEntry(entry: Json): boolean {
  const cfg = entry.config as Json | undefined;
  return !!cfg && Array.isArray(cfg.layers);
}

function allLayers(model: tf.LayersModel, acc = new Map<string, tf.layers.Layer>()): Map<string, tf.layers.Layer> {
  for (const l of model.layers) {
    if (l instanceof tf.LayersModel) allLayers(l, acc);
    else acc.set(l.name, l);
  }
  return acc;
}

/** Works around tfjs 4.22 SeparableConv2D.getConfig() dropping depthMultiplier, so the pruned model saves correctly. */
function keepDepthMultiplierInConfig(layer: tf.layers.Layer): void {
  const m = layerConfig(layer).depthMultiplier;
  const base = layer.getConfig.bind(layer);
  layer.getConfig = () => ({ ...base(), depthMultiplier: m as number });
}

/** Builds the pruned copy of graph.model without the positions of `removedAtom` atoms. */
export function rebuildPruned(graph: DependencyGraph, removedAtom: Uint8Array): tf.LayersModel {
  const { model } = graph;
  const { graph: g, layouts, layers: plans } = graph.internals;
  const keepCache = new Map<number, Int32Array | null>();
  const keep = (tensor: number): Int32Array | null => {
    if (!keepCache.has(tensor)) keepCache.set(tensor, keptPositions(layouts[tensor], removedAtom));
    return keepCache.get(tensor) ?? null;
  };
  const count = (tensor: number): number => keep(tensor)?.length ?? layouts[tensor].length;
  const aliasTensor = new Map(g.aliases.map((a) => [a.layer, a.tensor]));

  const setLast = (shape: unknown, n: number): void => {
    if (Array.isArray(shape) && shape.length > 0 && shape[shape.length - 1] !== -1) shape[shape.length - 1] = n;
  };
  const edit = (modelCfg: Json): void => {
    for (const entry of modelCfg.layers as Json[]) {
      if (isModelEntry(entry)) {
        edit(entry.config as Json);
        continue;
      }
      const cfg = entry.config as Json;
      const name = String(cfg.name ?? entry.name);
      const plan = plans.get(name);
      if (cfg.batchInputShape) {
        const t = entry.className === 'InputLayer' ? aliasTensor.get(name) : plan?.input;
        if (t !== undefined) setLast(cfg.batchInputShape, count(t));
      }
      if (!plan) continue;
      if (entry.className === 'SeparableConv2D') cfg.depthMultiplier = layerConfig(plan.layer).depthMultiplier;
      if (plan.sizeKey) cfg[plan.sizeKey] = count(plan.output);
      if (entry.className === 'Reshape') setLast(cfg.targetShape, count(plan.output));
    }
  };
  const config = JSON.parse(JSON.stringify(model.getConfig())) as Json;
  edit(config);

  const cls = (model instanceof tf.Sequential ? tf.Sequential : tf.LayersModel) as unknown as {
    fromConfig(c: unknown, config: Json, custom: Json, fastWeightInit: boolean): tf.LayersModel;
  };
  let pruned: tf.LayersModel;
  try {
    pruned = cls.fromConfig(cls, config, {}, true);
  } catch (e) {
    throw new StudioError('internal', `Could not rebuild the pruned model: ${(e as Error).message}`);
  }

  const newLayers = allLayers(pruned);
  for (const layer of newLayers.values()) if (layer.getClassName() === 'SeparableConv2D') keepDepthMultiplierInConfig(layer);
  try {
    for (const [name, oldLayer] of allLayers(model)) {
      if (oldLayer.weights.length === 0) continue;
      const target = newLayers.get(name);
      if (!target) throw new StudioError('internal', `Pruned model lost layer ${name}.`);
      const plan = plans.get(name);
      const keepIn = plan && plan.input !== undefined ? keep(plan.input) : null;
      const keepOut = plan && plan.output !== undefined ? keep(plan.output) : null;
      const created: tf.Tensor[] = [];
      const values = oldLayer.weights.map((w, i) => {
        const value = w.read();
        const wp = plan?.weights[i];
        const sliced = wp ? sliceWeight(value, wp, keepIn, keepOut) : null;
        if (sliced) created.push(sliced);
        return sliced ?? value;
      });
      try {
        const want = target.weights.map((w) => w.shape.join('x'));
        const got = values.map((v) => v.shape.join('x'));
        if (want.join() !== got.join()) {
          throw new StudioError('internal', `Layer ${name}: pruned weights ${got.join(', ')} do not fit ${want.join(', ')}.`);
        }
        target.setWeights(values);
      } finally {
        tf.dispose(created);
      }
    }
  } catch (e) {
    pruned.dispose();
    throw e;
  }
  const meta = model.getUserDefinedMetadata();
  if (meta !== undefined) pruned.setUserDefinedMetadata(JSON.parse(JSON.stringify(meta)) as {});
  return pruned;
}
