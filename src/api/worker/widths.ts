/**
 * SIMD-friendly widths for the planner: `roundTo: 'auto'` rounds kept channel counts to the multiple (1, 4 or 8) that
 * measures fastest per MAC on the active backend (src/engine/metrics/width-speed.ts, measured once per backend and
 * session), and the plan says what the rounding cost or saved against the unrounded plan. Both plans meet the target.
 */
import * as tf from '@tensorflow/tfjs';
import type { DependencyGraph } from '../../engine/graph/types';
import type { Analysis } from '../../engine/importance/analyze';
import { measureRoundTo, type RoundToChoice } from '../../engine/metrics/width-speed';
import { makePlan, type PlanOptions } from '../../engine/plan/planner';
import type { JobOptions } from '../../engine/progress';
import type { PlanResult } from '../types';

const choices = new Map<string, RoundToChoice>();

/** The measured rounding for the active backend (measured on first use per backend; `remeasure` forces it). */
export async function roundToChoice(remeasure = false, job: JobOptions = {}): Promise<RoundToChoice> {
  const b = tf.getBackend();
  let c = choices.get(b);
  if (!c || remeasure) {
    c = await measureRoundTo(job);
    choices.set(b, c);
  }
  return c;
}

/** makePlan, with `roundTo: 'auto'` resolved by measurement and the rounding's cost stated. */
export async function planWithRounding(
  model: tf.LayersModel, graph: DependencyGraph, analysis: Analysis, o: Omit<PlanOptions, 'roundTo'> & { roundTo?: number | 'auto' },
): Promise<PlanResult> {
  if (o.roundTo !== 'auto') return makePlan(model, graph, analysis, { ...o, roundTo: o.roundTo });
  const choice = await roundToChoice();
  const r = choice.roundTo;
  const plan = makePlan(model, graph, analysis, { ...o, roundTo: r });
  const free = r === 1 ? plan : makePlan(model, graph, analysis, { ...o, roundTo: 1 });
  const estimatedTimeRatio = (plan.macs * choice.nsPerMac[r]!) / (free.macs * choice.nsPerMac[1]!);
  const dMacs = plan.macs - free.macs;
  const pct = (v: number) => `${(Math.abs(v) * 100).toFixed(1)} %`;
  const summary = r === 1
    ? `No rounding: on ${choice.backend} multiples of 4 or 8 were not measurably faster per MAC.`
    : `Channels rounded to multiples of ${r} (fastest per MAC on ${choice.backend}): ${dMacs >= 0 ? '+' : '−'}${pct(dMacs / free.macs)} MACs vs the unrounded plan, estimated ${estimatedTimeRatio <= 1 ? pct(1 - estimatedTimeRatio) + ' less' : pct(estimatedTimeRatio - 1) + ' more'} time.`;
  return { ...plan, rounding: { roundTo: r, reason: choice.reason, unroundedMacs: free.macs, estimatedTimeRatio, summary } };
}
