/**
 * Channel dependency graph of a tfjs LayersModel: which channels must be pruned together.
 * See docs/pruning-engine.md.
 */
import type * as tf from '@tensorflow/tfjs';
import { buildGroups } from './groups';
import type { DependencyGraph, GraphOptions } from './types';

export type { ChannelGroup, DependencyGraph, GraphOptions, GroupMember } from './types';

/** Analyses `model` (Sequential or functional, nested models flattened) into channel groups. */
export function buildDependencyGraph(model: tf.LayersModel, options?: GraphOptions): DependencyGraph {
  return buildGroups(model, options);
}
