/**
 * Latency estimate of a pruned model's deploy version from a measured per-layer table (metrics/layer-latency.ts):
 * the measured deploy time minus the calibrated time its layers save at the widths a plan leaves them. Widths follow the dependency graph's groups through
 * the analytic cost model's linear forms, so an estimate costs a few multiplications per layer and a planner can
 * ask "what does one more channel out of this group save" thousands of times.
 */
import type * as tf from '@tensorflow/tfjs';
import { StudioError } from '../errors';
import type { DependencyGraph } from '../graph/types';
import { layerTimeAt, type LatencyTable, type LayerLatency } from '../metrics/layer-latency';
import { layerWidthForms, widthOf, type LayerWidthForm } from '../prune/cost';

interface Entry { table: LayerLatency; form: LayerWidthForm }

export class LatencyEstimator {
  readonly baseMs: number;
  private readonly entries: Entry[];
  /** Per group index: the entries whose widths depend on it. */
  private readonly byGroup: number[][];

  constructor(readonly table: LatencyTable, model: tf.LayersModel, graph: DependencyGraph) {
    const forms = new Map(layerWidthForms(model, graph).map((f) => [f.name, f]));
    this.entries = table.layers.map((t) => {
      const form = forms.get(t.name);
      if (!form) throw new StudioError('shape-mismatch', `The latency table names layer "${t.name}", which this model does not have (a table of another model?).`);
      return { table: t, form };
    });
    this.byGroup = graph.groups.map(() => []);
    this.entries.forEach((e, i) => {
      for (const gi of new Set([...e.form.inForm.groups, ...e.form.outForm.groups])) this.byGroup[gi]!.push(i);
    });
    this.baseMs = table.wholeMs;
  }

  private entryMs(i: number, kept: ArrayLike<number>): number {
    const e = this.entries[i]!;
    return layerTimeAt(e.table, widthOf(e.form.inForm, kept), widthOf(e.form.outForm, kept));
  }

  /**
   * Estimated batch-1 time (ms) of the deploy version with `kept[gi]` channels in each group (indexed like
   * graph.groups): the measured deploy time minus the calibrated saving of the table's layers.
   */
  estimate(kept: ArrayLike<number>): number {
    let ms = 0;
    for (let i = 0; i < this.entries.length; i++) ms += this.entryMs(i, kept);
    return this.table.deployMs - this.table.scale * (this.table.fullSumMs - ms);
  }

  /** Calibrated time of only the layers whose widths depend on group `gi` (its differences are what a change to gi saves). */
  groupMs(gi: number, kept: ArrayLike<number>): number {
    let ms = 0;
    for (const i of this.byGroup[gi] ?? []) ms += this.entryMs(i, kept);
    return this.table.scale * ms;
  }
}
