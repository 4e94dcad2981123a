/**
 * Pruning planner: turns an importance Analysis into per-group channel removals that meet a
 * MACs and/or params reduction target, counted analytically with countAfterPruning.
 *
 * - uniform: the same ratio r in every eligible group (or r · w_g with explicit per-group
 *   weights `ratios`), r found by bisection so the removed fraction reaches the target;
 * - global: all channels of all eligible groups ranked together by per-group-normalised score
 *   (score / max score of its group), the lowest removed first, at most maxRatio per group;
 *   the prefix length is found by bisection;
 * - explicit `ratios` without a MACs/params target are applied as they are;
 * - a time target (`latency` / `speedup`, with a measured latencyTable): inner / global remove one rounding step at a
 *   time where it costs the least importance per estimated millisecond saved (greedyByTime); uniform bisects r.
 * Within a group the lowest-scored channels go first. minChannels and roundTo (kept count
 * rounded UP to a multiple) apply after the ratio; protected layers' groups keep everything.
 * The reached reduction is ≥ the target whenever feasible; the overshoot is one step of
 * granularity (usually < 1% of the base).
 */
import type * as tf from '@tensorflow/tfjs';
import { StudioError } from '../errors';
import type { ChannelGroup, DependencyGraph } from '../graph/types';
import type { Analysis } from '../importance/analyze';
import type { LatencyTable } from '../metrics/layer-latency';
import { countAfterPruning } from '../prune';
import { LatencyEstimator } from './latency-estimate';

export interface PlanTarget {
  /** Fraction of MACs to remove (0..1). */
  macs?: number;
  /** Fraction of params to remove (0..1). */
  params?: number;
  /** Per group id or layer name: fraction of channels to remove (HRank-style lists). */
  ratios?: Record<string, number>;
  /** Estimated batch-1 time as a fraction (0..1] of the original's measured time; needs a latency table. */
  latency?: number;
  /** Estimated speed-up over the original's measured time (≥ 1); the same as latency: 1 / speedup. */
  speedup?: number;
}

export type PlanScope = 'uniform' | 'global' | 'inner' | 'auto' | 'error';

/** Layer classes that merge several tensors channel by channel (their channels are a stream, not one layer's filters). */
const MERGE_LAYERS = new Set(['Add', 'Concatenate', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Subtract']);

/** True when the group's channels reach a merge layer (a residual stream or concatenated features). */
export function isStreamGroup(graph: DependencyGraph, g: ChannelGroup): boolean {
  const layers = graph.internals.graph.layers;
  return g.members.some((m) => MERGE_LAYERS.has(layers.get(m.layer)?.getClassName() ?? ''));
}

export interface PlanOptions {
  target: PlanTarget;
  /**
   * uniform / global: over every prunable group; inner: uniform over the groups that reach no Add, Concatenate
   * or other merge (residual streams and dense-block features kept whole); auto: inner when it can reach the
   * target, else uniform (the reason is in Plan.scopeReason).
   */
  scope: PlanScope;
  roundTo?: number;
  minChannels?: number;
  /** Layer names (or group ids) whose groups keep all channels. */
  protect?: string[];
  /** Largest fraction removed from one group (default 0.9). */
  maxRatio?: number;
  /**
   * Measured per-layer latency (metrics/layer-latency.ts) of this model on the device and backend that will run it:
   * needed by latency / speedup targets, and when given every plan states its estimated time.
   */
  latencyTable?: LatencyTable;
}

export interface Plan {
  keep: Record<string, number[]>;
  /** Per group: removed channel indices, least important first. */
  remove: Record<string, number[]>;
  macs: number;
  params: number;
  baseMacs: number;
  baseParams: number;
  /** Per group: fraction of channels removed. */
  ratios: Record<string, number>;
  /** E.g. the target could not be reached within maxRatio. */
  warnings: string[];
  /** The scope the plan used ('auto' resolved) and why. */
  scope: Exclude<PlanScope, 'auto' | 'error'>;
  scopeReason?: string;
  /** With a latency table: the original's measured time, the goal (latency targets) and the plan's estimate. */
  latency?: PlanLatency;
}

export interface PlanLatency {
  backend: string;
  threads?: number;
  /** The model as it is (what time targets are fractions of). */
  baseMs: number;
  /** Its deploy version (BatchNorm folded, activations fused), unpruned. */
  deployMs: number;
  goalMs?: number;
  /** Estimated time of the plan's deploy version (prune, then optimise). */
  estimatedMs: number;
  /** baseMs / estimatedMs. */
  estimatedSpeedup: number;
  /** What the table's layers do not explain, counted as unchanged by pruning. */
  fixedMs: number;
}

interface Eligible {
  group: ChannelGroup;
  /** Channel indices sorted by ascending score. */
  order: number[];
  /** Normalised scores (score / max). */
  norm: Float64Array;
  /** Most channels this group may lose. */
  cap: number;
}

function groupLayers(g: ChannelGroup): Set<string> {
  return new Set([g.id, ...g.members.map((m) => m.layer), ...g.producers]);
}

function ratioLookup(groups: ChannelGroup[], ratios: Record<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, r] of Object.entries(ratios)) {
    if (!(r >= 0 && r <= 1)) throw new StudioError('bad-input', `Pruning ratio for "${key}" must be in [0, 1], got ${r}.`);
    const g = groups.find((x) => x.id === key) ?? groups.find((x) => x.producers.includes(key)) ?? groups.find((x) => groupLayers(x).has(key));
    if (!g) throw new StudioError('bad-input', `Pruning ratio given for "${key}", which is neither a channel group nor a layer of one.`);
    out.set(g.id, Math.max(out.get(g.id) ?? 0, r));
  }
  return out;
}

export function makePlan(model: tf.LayersModel, graph: DependencyGraph, analysis: Analysis, opts: PlanOptions): Plan {
  if (opts.scope === 'error') {
    throw new StudioError('bad-input', "Scope 'error' allocates by measured reconstruction error and needs calibration images: use studio.prune with a dataset.");
  }
  if (opts.scope === 'auto') {
    const inner = makePlan(model, graph, analysis, { ...opts, scope: 'inner' });
    const reached = inner.warnings.length === 0 && Object.values(inner.ratios).some((r) => r > 0);
    if (reached || !(opts.target.macs !== undefined || opts.target.params !== undefined || latencyGoal(opts) !== undefined)) {
      return { ...inner, scopeReason: 'auto: inner channels only (residual streams and concatenated features kept whole), which reconstruction recovers best; the target is reachable that way' };
    }
    // a latency goal over every group ranks channels by time saved per importance (global); MACs/params: uniform
    const uniform = makePlan(model, graph, analysis, { ...opts, scope: latencyGoal(opts) !== undefined ? 'global' : 'uniform' });
    const why = Object.values(inner.ratios).some((r) => r > 0) ? 'pruning inner channels alone cannot reach the target' : 'the model has no inner (non-stream) channel groups';
    return { ...uniform, scopeReason: `auto: ${uniform.scope} over every group, because ${why}` };
  }
  const scope = opts.scope;
  const { target } = opts;
  const maxRatio = Math.min(1, Math.max(0, opts.maxRatio ?? 0.9));
  const minChannels = Math.max(1, Math.floor(opts.minChannels ?? 1));
  const roundTo = Math.max(1, Math.floor(opts.roundTo ?? 1));
  for (const k of ['macs', 'params'] as const) {
    const v = target[k];
    if (v !== undefined && !(v >= 0 && v < 1)) throw new StudioError('bad-input', `Plan target ${k} must be a fraction in [0, 1), got ${v}.`);
  }
  const goalMs = latencyGoal(opts);
  const estimator = opts.latencyTable ? new LatencyEstimator(opts.latencyTable, model, graph) : null;
  const groupIndex = new Map(graph.groups.map((g, i) => [g.id, i]));
  const keptVector = (removed: Map<string, number>): Float64Array => {
    const kept = Float64Array.from(graph.groups, (g) => g.channels);
    for (const [id, n] of removed) kept[groupIndex.get(id)!] = kept[groupIndex.get(id)!]! - n;
    return kept;
  };
  const protect = new Set(opts.protect ?? []);
  const scores = new Map(analysis.groups.map((g) => [g.id, g]));
  const eligible: Eligible[] = [];
  for (const g of graph.groups) {
    if (!g.prunable) continue;
    const layers = groupLayers(g);
    if ([...protect].some((p) => layers.has(p))) continue;
    if (scope === 'inner' && isStreamGroup(graph, g)) continue;
    const s = scores.get(g.id);
    if (!s) continue;
    if (s.scores.length !== g.channels)
      throw new StudioError('shape-mismatch', `Analysis of group "${g.id}" has ${s.scores.length} scores but the group has ${g.channels} channels (stale analysis?).`);
    const order = Array.from({ length: g.channels }, (_, i) => i).sort((a, b) => s.scores[a]! - s.scores[b]! || a - b);
    let max = 0;
    for (const v of s.scores) if (Math.abs(v) > max) max = Math.abs(v);
    const norm = Float64Array.from(s.scores, (v) => (max > 0 ? v / max : 0));
    const cap = Math.max(0, Math.min(Math.floor(maxRatio * g.channels), g.channels - minChannels));
    eligible.push({ group: g, order, norm, cap });
  }

  const base = countAfterPruning(model, graph, {});
  const warnings: string[] = [];

  /** Applies cap and roundTo to a wished number of removed channels. */
  const removedCount = (e: Eligible, wish: number): number => {
    const n = e.group.channels;
    let kept = n - Math.min(e.cap, Math.max(0, Math.floor(wish)));
    kept = Math.min(n, Math.ceil(kept / roundTo) * roundTo);
    return n - kept;
  };
  const cost = (removed: Map<string, number>) => {
    const kept: Record<string, number> = {};
    for (const e of eligible) kept[e.group.id] = e.group.channels - (removed.get(e.group.id) ?? 0);
    return countAfterPruning(model, graph, kept);
  };
  const meetsCounts = (c: { params: number; macs: number }): boolean =>
    (target.macs === undefined || c.macs <= base.macs * (1 - target.macs)) && (target.params === undefined || c.params <= base.params * (1 - target.params));
  const meetsTime = (removed: Map<string, number>): boolean => goalMs === undefined || estimator!.estimate(keptVector(removed)) <= goalMs;
  const meetsAll = (removed: Map<string, number>): boolean => meetsCounts(cost(removed)) && meetsTime(removed);
  const hasBudget = target.macs !== undefined || target.params !== undefined || goalMs !== undefined;

  let removed = new Map<string, number>();
  if (goalMs !== undefined && scope !== 'uniform') {
    removed = greedyByTime(eligible, removedCount, estimator!, groupIndex, keptVector, goalMs, (r) => meetsCounts(cost(r)), (r) => cost(r).macs, warnings);
  } else if (scope === 'global' && hasBudget) {
    // channels in ascending normalised score, each group's list truncated at its cap
    const all: { g: number; v: number; c: number }[] = [];
    eligible.forEach((e, gi) => e.order.forEach((c) => all.push({ g: gi, v: e.norm[c]!, c })));
    all.sort((a, b) => a.v - b.v || a.g - b.g || a.c - b.c);
    const taken = new Int32Array(eligible.length);
    const list = all.filter((x) => (taken[x.g]! < eligible[x.g]!.cap ? (taken[x.g]!++, true) : false));
    const at = (t: number): Map<string, number> => {
      const wish = new Int32Array(eligible.length);
      for (let i = 0; i < t; i++) wish[list[i]!.g]!++;
      return new Map(eligible.map((e, gi) => [e.group.id, removedCount(e, wish[gi]!)]));
    };
    removed = bisectInt(list.length, (t) => meetsAll(at(t)), at, warnings);
  } else {
    const weights = target.ratios ? ratioLookup(graph.groups, target.ratios) : null;
    const w = (e: Eligible): number => (weights ? weights.get(e.group.id) ?? 0 : 1);
    const at = (r: number): Map<string, number> => new Map(eligible.map((e) => [e.group.id, removedCount(e, Math.min(maxRatio, r * w(e)) * e.group.channels + 1e-9)]));
    if (!hasBudget) {
      if (!weights) throw new StudioError('bad-input', 'A plan needs a target: a MACs or params fraction, or per-group ratios.');
      removed = at(1);
    } else {
      let maxW = 0;
      for (const e of eligible) maxW = Math.max(maxW, w(e));
      const hi = maxW > 0 ? maxRatio / maxW : 0;
      // bisection over r in [0, hi] on a fine integer grid
      const steps = 4096;
      const t = bisectStep(steps, (t) => meetsAll(at((t / steps) * hi)));
      if (t > steps) {
        warnings.push('The target cannot be reached within maxRatio/minChannels: the plan removes as much as allowed.');
        removed = at(hi);
      } else if (t === 0) {
        removed = at(0);
      } else {
        // From the last ratio below the target, add one rounding step at a time to the group with
        // the lowest removed fraction: ratios stay uniform to within one step, overshoot is tiny.
        removed = at(((t - 1) / steps) * hi);
        const upper = at((t / steps) * hi);
        while (!meetsAll(removed)) {
          let best: Eligible | null = null;
          let bestRatio = Infinity;
          for (const e of eligible) {
            const cur = removed.get(e.group.id) ?? 0;
            if (cur >= (upper.get(e.group.id) ?? 0)) continue;
            const r = cur / e.group.channels / Math.max(w(e), 1e-12);
            if (r < bestRatio) {
              bestRatio = r;
              best = e;
            }
          }
          if (!best) {
            removed = upper;
            break;
          }
          const cur = removed.get(best.group.id) ?? 0;
          let next = cur + 1;
          while (removedCount(best, next) <= cur && next < best.group.channels) next++;
          removed.set(best.group.id, Math.min(upper.get(best.group.id) ?? 0, removedCount(best, next)));
        }
      }
    }
  }

  const keep: Record<string, number[]> = {};
  const remove: Record<string, number[]> = {};
  const ratios: Record<string, number> = {};
  for (const e of eligible) {
    const n = removed.get(e.group.id) ?? 0;
    const gone = e.order.slice(0, n);
    const goneSet = new Set(gone);
    remove[e.group.id] = gone;
    keep[e.group.id] = Array.from({ length: e.group.channels }, (_, i) => i).filter((i) => !goneSet.has(i));
    ratios[e.group.id] = n / e.group.channels;
  }
  const final = cost(removed);
  if (hasBudget && !meetsAll(removed) && warnings.length === 0) warnings.push('The target could not be reached.');
  let latency: PlanLatency | undefined;
  if (estimator) {
    const t = estimator.table;
    const estimatedMs = estimator.estimate(keptVector(removed));
    latency = {
      backend: t.backend, ...(t.threads !== undefined ? { threads: t.threads } : {}), baseMs: t.wholeMs, deployMs: t.deployMs, ...(goalMs !== undefined ? { goalMs } : {}),
      estimatedMs, estimatedSpeedup: t.wholeMs / estimatedMs, fixedMs: t.fixedMs,
    };
  }
  return { keep, remove, macs: final.macs, params: final.params, baseMacs: base.macs, baseParams: base.params, ratios, warnings, scope, ...(latency ? { latency } : {}) };
}

/** The latency goal in ms of a plan's target (latency fraction and/or speed-up; the stricter wins), or undefined. */
function latencyGoal(opts: PlanOptions): number | undefined {
  const { latency, speedup } = opts.target;
  if (latency === undefined && speedup === undefined) return undefined;
  if (latency !== undefined && !(latency > 0 && latency <= 1)) throw new StudioError('bad-input', `Plan target latency is a fraction of the original's time in (0, 1], got ${latency}.`);
  if (speedup !== undefined && !(speedup >= 1 && Number.isFinite(speedup))) throw new StudioError('bad-input', `Plan target speedup must be ≥ 1, got ${speedup}.`);
  const table = opts.latencyTable;
  if (!table) throw new StudioError('bad-input', 'A latency or speed-up target needs a per-layer latency table measured on this device (studio.plan and studio.prune measure it).');
  const fraction = Math.min(latency ?? 1, speedup !== undefined ? 1 / speedup : 1);
  return table.wholeMs * fraction;
}

/**
 * Latency-aware removal: one rounding step at a time, from the group whose next channels cost the least importance
 * (normalised score) per millisecond of estimated time saved, until the estimate meets the goal; then, if a MACs or
 * params target is still unmet, per MAC saved. Groups whose next step saves no measurable time wait.
 */
function greedyByTime(
  eligible: Eligible[], removedCount: (e: Eligible, wish: number) => number, est: LatencyEstimator, groupIndex: Map<string, number>,
  keptVector: (removed: Map<string, number>) => Float64Array, goalMs: number, meetsCounts: (removed: Map<string, number>) => boolean,
  macsOf: (removed: Map<string, number>) => number, warnings: string[],
): Map<string, number> {
  const removed = new Map(eligible.map((e) => [e.group.id, 0]));
  const kept = keptVector(removed);
  const nextOf = (e: Eligible): number => {
    const cur = removed.get(e.group.id)!;
    for (let wish = cur + 1; wish <= e.cap; wish++) {
      const n = removedCount(e, wish);
      if (n > cur) return n;
    }
    return cur;
  };
  for (;;) {
    const timeMet = est.estimate(kept) <= goalMs;
    if (timeMet && meetsCounts(removed)) break;
    const macsNow = timeMet ? macsOf(removed) : 0;
    let best: { e: Eligible; next: number; priority: number } | null = null;
    for (const e of eligible) {
      const cur = removed.get(e.group.id)!;
      const next = nextOf(e);
      if (next <= cur) continue;
      let lost = 0;
      for (let i = cur; i < next; i++) lost += Math.max(0, e.norm[e.order[i]!]!) + 1e-6;
      const gi = groupIndex.get(e.group.id)!;
      let saved: number;
      if (!timeMet) {
        const before = est.groupMs(gi, kept);
        kept[gi] = e.group.channels - next;
        saved = before - est.groupMs(gi, kept);
        kept[gi] = e.group.channels - cur;
      } else {
        removed.set(e.group.id, next);
        saved = macsNow - macsOf(removed);
        removed.set(e.group.id, cur);
      }
      if (!(saved > 1e-12)) continue;
      const priority = lost / saved;
      if (!best || priority < best.priority) best = { e, next, priority };
    }
    if (!best) {
      warnings.push(timeMet
        ? 'The MACs/params target cannot be reached within maxRatio/minChannels: the plan removes as much as allowed.'
        : `The latency target cannot be reached within maxRatio/minChannels: estimated ${est.estimate(kept).toFixed(2)} ms against a goal of ${goalMs.toFixed(2)} ms (the part pruning does not change is ${est.table.fixedMs.toFixed(2)} ms).`);
      break;
    }
    removed.set(best.e.group.id, best.next);
    kept[groupIndex.get(best.e.group.id)!] = best.e.group.channels - best.next;
  }
  return removed;
}

/** Smallest t in [0, n] with ok(t) (ok assumed monotone), n + 1 if none. */
function bisectStep(n: number, ok: (t: number) => boolean): number {
  if (!ok(n)) return n + 1;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ok(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Smallest t in [0, n] with ok(t) (ok assumed monotone); if none, n with a warning. */
function bisectInt<T>(n: number, ok: (t: number) => boolean, at: (t: number) => T, warnings: string[]): T {
  if (!ok(n)) {
    warnings.push('The target cannot be reached within maxRatio/minChannels: the plan removes as much as allowed.');
    return at(n);
  }
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ok(mid)) hi = mid;
    else lo = mid + 1;
  }
  return at(lo);
}
