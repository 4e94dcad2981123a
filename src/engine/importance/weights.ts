/**
 * Weight-based criteria over a dependency graph: reads the producers' kernels (output axis =
 * last axis) or the BN gammas of each group. Fixed (non-trainable) producers such as option-A
 * shortcut selection convs carry no learned filter and are skipped.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ChannelGroup } from '../graph/types';
import { StudioError } from '../errors';
import { bnScores } from './criteria/bn';
import { fpgmScores } from './criteria/fpgm';
import { l1Scores, l2Scores } from './criteria/norms';
import type { Filters } from './criteria/types';

export type WeightCriterion = 'l1' | 'l2' | 'fpgm' | 'bn';

function memberOffset(group: ChannelGroup, layer: string, role: 'producer' | 'passthrough' | 'consumer'): number {
  const m = group.members.find((x) => x.layer === layer && x.role === role) ?? group.members.find((x) => x.layer === layer);
  return m?.offset ?? 0;
}

/** The learned output-axis kernel of a producer, or null for fixed/unsupported layers. */
function producerFilters(model: tf.LayersModel, group: ChannelGroup, name: string): Filters | null {
  const layer = model.getLayer(name);
  if (!layer.trainable) return null;
  const cls = layer.getClassName();
  const kernel =
    cls === 'SeparableConv2D' || cls === 'SeparableConv1D'
      ? layer.weights[1]
      : layer.weights.find((w) => /kernel/.test(w.originalName ?? w.name)) ?? layer.weights[0];
  if (!kernel || kernel.shape.length < 2) return null;
  if (cls === 'DepthwiseConv2D') return null;
  const stride = kernel.shape[kernel.shape.length - 1]!;
  const data = kernel.read().dataSync() as Float32Array;
  return { layer: name, count: group.channels, size: data.length / stride, data, stride, offset: memberOffset(group, name, 'producer') };
}

/** Per-layer score vectors of one group for a weight criterion (layer name → scores). */
export function weightScores(model: tf.LayersModel, group: ChannelGroup, criterion: WeightCriterion): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  if (criterion === 'bn') {
    for (const name of group.bnLayers) {
      const layer = model.getLayer(name);
      const gamma = layer.weights.find((w) => /gamma/.test(w.originalName ?? w.name));
      if (!gamma) continue; // scale: false
      out.set(name, bnScores(gamma.read().dataSync() as Float32Array, memberOffset(group, name, 'passthrough'), group.channels));
    }
    return out;
  }
  for (const name of group.producers) {
    const f = producerFilters(model, group, name);
    if (!f) continue;
    if (f.offset + f.count > f.stride)
      throw new StudioError('shape-mismatch', `Group "${group.id}" reads channels ${f.offset}..${f.offset + f.count} of "${name}", which has ${f.stride}.`);
    out.set(name, criterion === 'l1' ? l1Scores(f) : criterion === 'l2' ? l2Scores(f) : fpgmScores(f));
  }
  return out;
}
