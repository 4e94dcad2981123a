/**
 * A training-like call (train, fine-tune, transfer) with live curves: wraps a Task, builds curve points from
 * progress, and on success shows the final history, refreshes the model list and selects the new version.
 */
import type { OnProgress, TrainResult } from '../../api/types';
import type { Studio } from './studio';
import { catalog } from './catalog.svelte';
import { addProgressPoint, fromHistory, type CurvePoint } from './curves';
import { selection } from './selection.svelte';
import { Task } from './task.svelte';

export class TrainingRun {
  readonly task = new Task();
  points = $state<CurvePoint[]>([]);
  result = $state<TrainResult | null>(null);

  /** `call` receives the progress callback to pass to the studio method. */
  async run(studio: Studio, call: (onProgress: OnProgress) => Promise<TrainResult>): Promise<TrainResult | undefined> {
    this.points = [];
    this.result = null;
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
}
