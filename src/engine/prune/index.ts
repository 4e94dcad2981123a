/**
 * Pruning entry points: remove channels from channel groups (physical surgery) and count the
 * cost of a pruning plan analytically. See docs/pruning-engine.md.
 */
import type * as tf from '@tensorflow/tfjs';
import { StudioError } from '../errors';
import { buildDependencyGraph } from '../graph';
import type { DependencyGraph } from '../graph/types';
import { rebuildPruned } from './surgery';

export { countAfterPruning, layerWidthForms, widthOf, type LayerWidthForm, type WidthForm } from './cost';

export interface PruneOptions {
  /** Fewest channels a group keeps (default 1, never below 1). */
  minChannels?: number;
  /** Kept count rounded UP to a multiple of this (default 1), by removing fewer channels (the end of the list is dropped). */
  roundTo?: number;
  /** Layer names whose groups are left untouched. */
  protect?: string[];
}

/** The removal actually applied per group after minChannels/roundTo/protect. */
export function resolveRemoval(graph: DependencyGraph, remove: Record<string, number[]>, options: PruneOptions = {}): Record<string, number[]> {
  const minChannels = Math.max(1, Math.floor(options.minChannels ?? 1));
  const roundTo = Math.max(1, Math.floor(options.roundTo ?? 1));
  const byId = new Map(graph.groups.map((g) => [g.id, g]));
  const result: Record<string, number[]> = {};
  for (const [id, list] of Object.entries(remove)) {
    const group = byId.get(id);
    if (!group) throw new StudioError('bad-input', `Unknown channel group "${id}".`);
    if (!Array.isArray(list) || list.length === 0) continue;
    if (!group.prunable) {
      if (group.reason?.startsWith('protected')) continue;
      throw new StudioError('bad-input', `Channel group "${id}" cannot be pruned: ${group.reason ?? 'not prunable'}.`);
    }
    const seen = new Set<number>();
    const unique: number[] = [];
    for (const c of list) {
      if (!Number.isInteger(c) || c < 0 || c >= group.channels) {
        throw new StudioError('bad-input', `Channel ${c} is out of range for group "${id}" (${group.channels} channels).`);
      }
      if (!seen.has(c)) {
        seen.add(c);
        unique.push(c);
      }
    }
    let kept = Math.max(group.channels - unique.length, Math.min(minChannels, group.channels));
    kept = Math.min(group.channels, Math.ceil(kept / roundTo) * roundTo);
    const n = group.channels - kept;
    if (n > 0) result[id] = unique.slice(0, n);
  }
  return result;
}

/**
 * Builds a new, smaller model with the listed channels removed (indices are group channel
 * indices). Same layer names and topology; kept weights copied; metadata copied; the
 * original model is not modified. Synchronous.
 */
export function pruneModel(model: tf.LayersModel, remove: Record<string, number[]>, options: PruneOptions = {}): tf.LayersModel {
  return pruneModelDetailed(model, remove, options).model;
}

/** pruneModel, also returning the removal actually applied (after minChannels/roundTo/protect) per group. */
export function pruneModelDetailed(model: tf.LayersModel, remove: Record<string, number[]>, options: PruneOptions = {}): { model: tf.LayersModel; applied: Record<string, number[]> } {
  const graph = buildDependencyGraph(model, { protect: options.protect });
  const applied = resolveRemoval(graph, remove, options);
  return { model: rebuildPruned(graph, removedAtoms(graph, applied)), applied };
}

/** Per atom of `graph`: 1 when its channel is in `removed` (group id → channel indices, already resolved). */
export function removedAtoms(graph: DependencyGraph, removed: Record<string, number[]>): Uint8Array {
  const { groupAtoms, atomGroup } = graph.internals;
  const removedAtom = new Uint8Array(atomGroup.length);
  const index = new Map(graph.groups.map((g, i) => [g.id, i]));
  for (const [id, list] of Object.entries(removed)) {
    const gi = index.get(id);
    if (gi === undefined) throw new StudioError('bad-input', `Unknown channel group "${id}".`);
    const atoms = groupAtoms[gi];
    for (const c of list) {
      if (!(Number.isInteger(c) && c >= 0 && c < atoms.length)) throw new StudioError('bad-input', `Channel ${c} is out of range for group "${id}" (${atoms.length} channels).`);
      removedAtom[atoms[c]] = 1;
    }
  }
  return removedAtom;
}
