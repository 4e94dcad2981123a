/**
 * A training-like call (train, fine-tune, transfer) with live curves: wraps a Task, builds curve points from
 * progress, and on success shows the final history and the new version's auto-evaluated top-1, refreshes the model
 * list and selects the new version. `modelTraining` is the Model step's run: it lives outside the panel, so leaving
 * the Train tab (or the step) and coming back still shows the live or finished run. After a reload the run's page
 * is rebuilt from the stored run (`producingRun`): its history and evaluation are kept with the run record.
 */
import type { OnProgress, RunSummary, TrainResult } from '../../api/types';
import type { Studio } from './studio';
import { catalog } from './catalog.svelte';
import { addProgressPoint, fromHistory, type CurvePoint } from './curves';
import { selection } from './selection.svelte';
import { Task } from './task.svelte';

export class TrainingRun {
  readonly task = new Task();
  points = $state<CurvePoint[]>([]);
  result = $state<TrainResult | null>(null);
  /** The model the run started from (its page shows the run while it runs and after). */
  sourceId = $state<string | null>(null);

  /** `call` receives the progress callback to pass to the studio method. */
  async run(studio: Studio, call: (onProgress: OnProgress) => Promise<TrainResult>, sourceId: string | null = null): Promise<TrainResult | undefined> {
    this.points = [];
    this.result = null;
    this.sourceId = sourceId;
    const res = await this.task.run((onProgress) => call((p) => {
      onProgress(p);
      const next = addProgressPoint(this.points, p);
      if (next) this.points = next;
    }));
    if (res) {
      this.result = res;
      this.points = fromHistory(res.history);
      await catalog.refreshModels(studio);
      selection.selectModel(res.model.id);
    }
    return res;
  }

  /** True when this run belongs on the page of `modelId`: it started from it or produced it. */
  concerns(modelId: string): boolean {
    return this.task.running ? this.sourceId === modelId || this.sourceId === null : this.result?.model.id === modelId || (!!this.task.error && this.sourceId === modelId);
  }
}

/** The Model step's training run. */
export const modelTraining = new TrainingRun();

/** The stored run that produced `modelId` (train or fine-tune), if any: its curves and final metrics survive a reload. */
export async function producingRun(studio: Studio, modelId: string): Promise<RunSummary | undefined> {
  const runs = await studio.runs();
  return runs.filter((r) => r.resultModelId === modelId && r.kind !== 'iterative').sort((a, b) => b.updatedAt - a.updatedAt)[0];
}
