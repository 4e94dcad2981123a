/**
 * The guided first run: demo data → a small zoo model → brief training → L1 analysis → −50 % MACs pruning with
 * reconstruction → a short distilled fine-tune → Compare. Every step is a call on the same `studio` facade the UI
 * (and `window.studio`) uses; each finished step is stored and selected as if the user had done it by hand, so
 * stopping at any point leaves everything made so far in place. Stop cancels the run's running job(s) by id.
 */
import type { AnalysisResult, DatasetSummary, ModelInfo, OnProgress, Progress } from '../../api/types';
import type { Studio } from '../common/studio';
import { catalog } from '../common/catalog.svelte';
import { selection } from '../common/selection.svelte';
import { analyses } from '../common/analysis.svelte';
import { toUiError, type UiError } from '../common/errors';
import { GUIDED_BUDGET, GUIDED_STEPS, overallFraction, type GuidedStep } from './plan';

export type GuidedStatus = 'idle' | 'running' | 'stopping' | 'stopped' | 'done' | 'failed';

/** What the run has made so far (ids of stored things). */
export interface GuidedMade { dataset?: DatasetSummary; model?: ModelInfo; trained?: ModelInfo; analysis?: AnalysisResult; pruned?: ModelInfo; tuned?: ModelInfo }

class Stop extends Error {}

/** Maps a step's progress into [a, b] of the step's own bar. */
function sub(onProgress: OnProgress, a: number, b: number): OnProgress {
  return (p) => onProgress({ ...p, fraction: a + (b - a) * Math.min(1, Math.max(0, p.fraction)) });
}

export class GuidedRun {
  status = $state<GuidedStatus>('idle');
  /** Index into GUIDED_STEPS of the step running (or where the run stopped); steps.length when done. */
  current = $state(-1);
  progress = $state<Progress | null>(null);
  stepFraction = $state(0);
  error = $state<UiError | null>(null);
  startedAt = $state(0);
  elapsedMs = $state(0);
  made = $state.raw<GuidedMade>({});
  readonly steps = GUIDED_STEPS;

  private stopRequested = false;
  private ours = new Set<string>();
  private running = new Set<string>();
  private studio: Studio | null = null;

  get overall(): number {
    return this.status === 'done' ? 1 : overallFraction(this.current, this.stepFraction);
  }

  get step(): GuidedStep | undefined {
    return this.steps[this.current];
  }

  get active(): boolean {
    return this.status === 'running' || this.status === 'stopping';
  }

  /** Runs the whole pipeline; resolves when it finished, stopped or failed (never throws). */
  async start(studio: Studio): Promise<void> {
    if (this.active) return;
    this.studio = studio;
    this.status = 'running';
    this.error = null;
    this.made = {};
    this.current = -1;
    this.stopRequested = false;
    this.ours.clear();
    this.startedAt = Date.now();
    this.elapsedMs = 0;
    const tick = setInterval(() => { this.elapsedMs = Date.now() - this.startedAt; }, 500);
    // Every job that starts while the run is on is the run's: Stop cancels exactly those (by id).
    let before: Set<string> | null = null;
    const unsubscribe = studio.client.onJobs((jobs) => {
      const ids = new Set(jobs.map((j) => j.jobId));
      if (before === null) before = ids;
      else for (const id of ids) if (!before.has(id)) this.ours.add(id);
      this.running = ids;
    });
    try {
      for (let i = 0; i < this.steps.length; i++) {
        if (this.stopRequested) throw new Stop();
        this.current = i;
        this.stepFraction = 0;
        this.progress = null;
        const s = this.steps[i]!;
        location.hash = `#/${s.page}`;
        await this.runStep(studio, s, (p) => { this.progress = p; this.stepFraction = p.fraction; });
        this.stepFraction = 1;
      }
      this.current = this.steps.length;
      this.status = 'done';
    } catch (e) {
      const err = toUiError(e);
      if (e instanceof Stop || this.stopRequested || err.code === 'cancelled') this.status = 'stopped';
      else {
        this.status = 'failed';
        this.error = err;
      }
    } finally {
      clearInterval(tick);
      this.elapsedMs = Date.now() - this.startedAt;
      unsubscribe();
      this.progress = null;
      await catalog.refresh(studio).catch(() => undefined);
    }
  }

  /** Cancels the running job (cooperatively, by id) and ends the run after it; what was made stays. */
  async stop(): Promise<void> {
    if (!this.active || !this.studio) return;
    this.stopRequested = true;
    this.status = 'stopping';
    const studio = this.studio;
    await Promise.all([...this.ours].filter((id) => this.running.has(id)).map((id) => studio.cancel(id).catch(() => undefined)));
  }

  /** Hides the panel (after done / stopped / failed). */
  dismiss(): void {
    if (this.active) return;
    this.status = 'idle';
    this.current = -1;
    this.error = null;
  }

  private async evaluateIfMissing(studio: Studio, model: ModelInfo, datasetId: string, onProgress: OnProgress): Promise<void> {
    const [row] = await studio.report([model.id]);
    if (row?.top1 != null) return;
    if (this.stopRequested) throw new Stop();
    await studio.evaluate(model.id, datasetId, { split: 'test', start: 0, end: GUIDED_BUDGET.evalEnd }, onProgress);
  }

  private async select(studio: Studio, m: ModelInfo): Promise<void> {
    await catalog.refreshModels(studio);
    selection.selectModel(m.id);
  }

  private async runStep(studio: Studio, s: GuidedStep, onProgress: OnProgress): Promise<void> {
    const b = GUIDED_BUDGET;
    const made = (): GuidedMade => this.made;
    const keep = (m: Partial<GuidedMade>) => { this.made = { ...this.made, ...m }; };
    switch (s.id) {
      case 'data': {
        const ds = await studio.createDemoDataset(b.demo);
        keep({ dataset: ds });
        selection.selectDataset(ds.id);
        await catalog.refreshDatasets(studio);
        return;
      }
      case 'model': {
        const ds = made().dataset!;
        const m = await studio.createModel(b.arch, { datasetId: ds.id, numClasses: ds.classes.length, inputSize: ds.imageSize, classes: [...ds.classes], seed: 1 });
        keep({ model: m });
        await this.select(studio, m);
        return;
      }
      case 'train': {
        const ds = made().dataset!;
        const r = await studio.train(made().model!.id, ds.id, { ...b.train }, sub(onProgress, 0, 0.95));
        keep({ trained: r.model });
        await this.select(studio, r.model);
        await this.evaluateIfMissing(studio, r.model, ds.id, sub(onProgress, 0.95, 1));
        return;
      }
      case 'analyse': {
        const a = await studio.analyze(made().trained!.id, made().dataset!.id, { ...b.analyse }, onProgress);
        keep({ analysis: a });
        analyses.set(made().trained!.id, a);
        return;
      }
      case 'prune': {
        const ds = made().dataset!;
        const src = made().trained!;
        const target = { macs: b.prune.macs };
        const plan = await studio.allocate(src.id, ds.id, made().analysis!, { target, scope: 'auto', calibrationImages: b.prune.calibrationImages }, sub(onProgress, 0, 0.4));
        if (this.stopRequested) throw new Stop();
        const pruned = await studio.pruneModel(src.id, plan, {
          recover: 'reconstruct', datasetId: ds.id, calibrationImages: b.prune.calibrationImages, evaluate: true, evalLimit: b.evalEnd,
          name: `${src.name.replace(/ · trained$/, '')} · −${Math.round(b.prune.macs * 100)} % MACs (L1)`,
        }, sub(onProgress, 0.4, 0.95));
        keep({ pruned });
        await this.select(studio, pruned);
        await this.evaluateIfMissing(studio, pruned, ds.id, sub(onProgress, 0.95, 1));
        return;
      }
      case 'finetune': {
        const ds = made().dataset!;
        const r = await studio.fineTune(made().pruned!.id, ds.id, { ...b.finetune, teacherId: made().trained!.id }, sub(onProgress, 0, 0.95));
        keep({ tuned: r.model });
        await this.select(studio, r.model);
        await this.evaluateIfMissing(studio, r.model, ds.id, sub(onProgress, 0.95, 1));
        return;
      }
      case 'compare':
        await catalog.refreshModels(studio);
        return;
    }
  }
}

export const guided = new GuidedRun();
