/**
 * Sensitivity analysis: prune each prunable group ALONE at a few ratios (lowest scores of a given
 * Analysis first), measure top-1 on a validation subset, and return the curves
 * {groupId: [{ratio, top1}]}. `ratiosForTarget` turns the curves into per-group ratios meeting
 * a MACs target: one accuracy-drop threshold δ for all groups, each group pruned at the largest
 * ratio whose (linearly interpolated) drop ≤ δ, δ bisected until the MACs target is met.
 */
import type * as tf from '@tensorflow/tfjs';
import type { SplitData } from '../data/types';
import { StudioError, throwIfAborted } from '../errors';
import type { DependencyGraph } from '../graph/types';
import type { Analysis } from '../importance/analyze';
import type { InputSpec } from '../models/types';
import { progressReporter, type JobOptions } from '../progress';
import { countAfterPruning, pruneModel } from '../prune';
import { top1 } from './top1';

export interface SensitivityPoint {
  ratio: number;
  top1: number;
}

export interface Sensitivity {
  baseTop1: number;
  images: number;
  curves: Record<string, SensitivityPoint[]>;
}

export interface SensitivityOptions extends JobOptions {
  /** Default [0.25, 0.5, 0.75]. */
  ratios?: number[];
  /** Validation images (default 500). */
  images?: number;
  batchSize?: number;
  input?: InputSpec;
  /** Only these group ids (default: every prunable group in the analysis). */
  groups?: string[];
  minChannels?: number;
}

export async function sensitivity(
  model: tf.LayersModel,
  graph: DependencyGraph,
  analysis: Analysis,
  split: SplitData,
  imageSize: number,
  opts: SensitivityOptions = {},
): Promise<Sensitivity> {
  const ratios = opts.ratios ?? [0.25, 0.5, 0.75];
  for (const r of ratios) if (!(r > 0 && r < 1)) throw new StudioError('bad-input', `Sensitivity ratio must be in (0, 1), got ${r}.`);
  const images = Math.min(split.count, opts.images ?? 500);
  const evalOpts = { images, batchSize: opts.batchSize, input: opts.input, signal: opts.signal };
  const prunable = new Set(graph.groups.filter((g) => g.prunable).map((g) => g.id));
  const groups = analysis.groups.filter((g) => prunable.has(g.id) && (!opts.groups || opts.groups.includes(g.id)));
  const report = progressReporter(opts.onProgress);
  const steps = 1 + groups.length * ratios.length;
  report('sensitivity', 0, 'baseline');
  const baseTop1 = await top1(model, split, imageSize, evalOpts);
  let done = 1;
  const minChannels = Math.max(1, opts.minChannels ?? 1);
  const curves: Record<string, SensitivityPoint[]> = {};
  for (const g of groups) {
    const order = Array.from({ length: g.channels }, (_, i) => i).sort((a, b) => g.scores[a]! - g.scores[b]! || a - b);
    const curve: SensitivityPoint[] = [];
    for (const r of ratios) {
      throwIfAborted(opts.signal);
      const k = Math.min(Math.round(r * g.channels), g.channels - minChannels);
      let acc = baseTop1;
      if (k > 0) {
        const pruned = pruneModel(model, { [g.id]: order.slice(0, k) });
        try {
          acc = await top1(pruned, split, imageSize, evalOpts);
        } finally {
          pruned.dispose();
        }
      }
      curve.push({ ratio: r, top1: acc });
      done++;
      report('sensitivity', done / steps, `${g.id} at ${Math.round(r * 100)}%: top-1 ${(acc * 100).toFixed(1)}%`);
    }
    curves[g.id] = curve;
  }
  report('sensitivity', 1, 'done');
  return { baseTop1, images, curves };
}

/** Largest ratio whose interpolated top-1 drop is ≤ delta (curve points sorted by ratio; (0, base) implied). */
function ratioAtDrop(curve: SensitivityPoint[], base: number, delta: number): number {
  const pts = [{ ratio: 0, top1: base }, ...[...curve].sort((a, b) => a.ratio - b.ratio)];
  let best = 0;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!;
    const b = pts[i]!;
    const da = base - a.top1;
    const db = base - b.top1;
    if (db <= delta) {
      best = b.ratio;
      continue;
    }
    if (da <= delta) best = Math.max(best, a.ratio + ((delta - da) / (db - da)) * (b.ratio - a.ratio));
    break;
  }
  return best;
}

/** Per-group ratios (for makePlan's target.ratios) meeting a MACs reduction from sensitivity curves. */
export function ratiosForTarget(model: tf.LayersModel, graph: DependencyGraph, sens: Sensitivity, macs: number, maxRatio = 0.9): Record<string, number> {
  const base = countAfterPruning(model, graph, {});
  const sizes = new Map(graph.groups.map((g) => [g.id, g.channels]));
  const at = (delta: number): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [id, c] of Object.entries(sens.curves)) out[id] = Math.min(maxRatio, ratioAtDrop(c, sens.baseTop1, delta));
    return out;
  };
  const reached = (r: Record<string, number>): boolean => {
    const kept: Record<string, number> = {};
    for (const [id, v] of Object.entries(r)) kept[id] = Math.max(1, sizes.get(id)! - Math.floor(v * sizes.get(id)!));
    return countAfterPruning(model, graph, kept).macs <= base.macs * (1 - macs);
  };
  let lo = 0;
  let hi = 1;
  if (!reached(at(hi))) return at(hi);
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (reached(at(mid))) hi = mid;
    else lo = mid;
  }
  return at(hi);
}
