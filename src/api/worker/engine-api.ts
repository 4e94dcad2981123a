/**
 * The worker-side implementation of StudioApi: a thin dispatcher over the feature modules in this folder.
 * Each long call runs as a job (cancel / pause by id) and reports progress through the proxied callback.
 */
import type { BackendName } from '../../engine/backends/types';
import type { ImageDecoder } from '../../engine/data/custom';
import type { ModelInfo } from '../../engine/models/types';
import { jobProgress, type JobOptions } from '../../engine/progress';
import { activeBackend } from '../../engine/backends/probe';
import type * as T from '../types';
import { StudioError } from '../../engine/errors';
import { newId } from '../../engine/storage/artifacts';
import { defaultLockManager, resumeLock, runsHeld } from '../../engine/storage/locks';
import { STUDIO_VERSION } from '../version';
import type { WorkerContext } from './context';
import * as data from './datasets';
import * as deploy from './deploy';
import * as exporting from './export';
import { encodeResults, encodeResultsForQr } from '../../engine/deploy/results';
import * as iterative from './iterative';
import * as measures from './measures';
import * as models from './models';
import * as optimizing from './optimize';
import * as widths from './widths';
import * as pruning from './pruning';
import * as system from './system';
import * as training from './training';
import * as analyses from './analyses';
import { DATA_CRITERIA } from '../../engine/importance/analyze';

/** How long resume waits for a just-reloaded page's run lock to be released before calling the run busy elsewhere. */
const RELOAD_GRACE_MS = 5000;

/** What a job holds for its whole run: the backend lease (default: shared on the current backend) and models. */
interface JobHold {
  label?: string;
  backend?: 'current' | 'exclusive' | BackendName | { training: BackendName | 'auto' | 'current' | undefined };
  models?: (string | undefined)[];
}

export class EngineApi implements T.StudioApi {
  /** Backends are probed once at start; every engine call waits for it so none runs on a half-initialised backend. */
  private readonly ready: Promise<unknown>;
  private probeError: string | null = null;

  constructor(private readonly ctx: WorkerContext, private readonly decoder: ImageDecoder) {
    void ctx.store.sweepOrphans();
    // A probe that fails as a whole is kept and reported by backends() (not swallowed): the engine then runs on
    // whatever tfjs chose, and the UI says why.
    this.ready = system.backends().catch((e: unknown) => {
      this.probeError = e instanceof Error ? e.message : String(e);
    });
  }

  /**
   * Runs a long call as a job: waits for the backends, registers cancel/pause, holds the backend lease (shared on
   * one backend, or exclusive for jobs that switch backends) and the models it names for its whole run, and passes
   * progress + signal. While it waits for the lease it reports phase 'queued'.
   */
  private async job<R>(jobId: string | undefined, onProgress: T.OnProgress | undefined, fn: (j: JobOptions & { job: import('../jobs').JobControl }) => Promise<R>, hold: JobHold = {}): Promise<R> {
    await this.ready;
    return this.ctx.jobs.run(jobId, async (job) => {
      const label = `${hold.label ?? 'a job'}${jobId ? ` (${jobId})` : ''}`;
      const o = {
        signal: job.signal,
        onWait: (blockers: string[]) => onProgress?.({ phase: 'queued', fraction: 0, message: `waiting for ${blockers.join(', ') || 'another job'} to finish with the backend` }),
      };
      // every event names the backend this job holds (the status chip) and carries an ETA
      const exclusive = hold.backend === 'exclusive';
      const report = onProgress ? jobProgress(onProgress, { backend: () => (exclusive ? undefined : activeBackend()) }) : undefined;
      const body = () => models.withModels(this.ctx, hold.models ?? [], () => fn({ onProgress: report, signal: job.signal, job }));
      if (exclusive) return this.ctx.backend.exclusive(label, body, o);
      const b = typeof hold.backend === 'object' ? await this.trainingBackend(hold.backend.training, { ...o, onProgress }) : (hold.backend ?? 'current');
      return this.ctx.backend.shared(b, label, body, o);
    });
  }

  /** The backend a training job will hold; 'auto' before its first measurement measures first (exclusively). */
  private async trainingBackend(mode: BackendName | 'auto' | 'current' | undefined, o: { signal?: AbortSignal; onWait?: (b: string[]) => void; onProgress?: T.OnProgress }): Promise<string> {
    const planned = measures.plannedTrainingBackend(mode);
    if (planned) return planned;
    const { onProgress, ...lease } = o;
    const phase = 'choosing the training backend';
    onProgress?.({ phase, fraction: 0, message: 'a few training steps on each backend (once per session)' });
    await this.ctx.backend.exclusive('measuring training speed per backend', () => measures.chooseTrainingBackend((done, of, b) => onProgress?.({
      phase, fraction: of ? done / of : 1, message: done < of ? `timing a few training steps on ${b} (${done + 1}/${of})` : `training on ${b}`,
    })), { ...lease, restore: false });
    return measures.plannedTrainingBackend(mode) ?? 'current';
  }

  /** A short call that runs tf ops: it holds the backend shared so no job switches it away meanwhile. */
  private tfCall<R>(fn: () => Promise<R> | R): Promise<R> {
    return this.call(() => this.ctx.backend.shared('current', 'a short engine call', async () => fn(), { jump: true }));
  }

  /**
   * Refuses to resume a run another tab is executing (it holds the run's Web Lock). A page that was just reloaded
   * or closed releases its locks only when its old worker is torn down, so the lock gets a short grace first.
   */
  private async notRunningElsewhere(runId: string, graceMs = RELOAD_GRACE_MS): Promise<void> {
    if (training.runningRunIds().has(runId)) return; // here: resumeRun says so itself
    const until = Date.now() + graceMs;
    while ((await runsHeld(defaultLockManager())).has(runId)) {
      if (Date.now() >= until) throw new StudioError('busy-elsewhere', `Run ${runId} is running in another tab of the studio: follow or stop it there.`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  private async call<R>(fn: () => Promise<R> | R): Promise<R> {
    await this.ready;
    return fn();
  }

  // ---- system
  async version() { return STUDIO_VERSION; }
  backends(reprobe?: boolean) {
    return this.call(async () => {
      if (this.probeError !== null && !reprobe) throw new StudioError('backend-unavailable', `Probing the backends failed at start-up: ${this.probeError}. Re-probe to try again.`);
      const r = await system.backends(reprobe);
      this.probeError = null;
      return measures.withTrainingSpeeds(r);
    });
  }
  setBackend(name: BackendName) {
    return this.call(() => {
      const holding = this.ctx.backend.holding();
      if (holding.length > 0) {
        if (holding.every((h) => h.mode === 'shared' && h.backend === name)) return system.backends().then(measures.withTrainingSpeeds);
        throw new StudioError('backend-busy', `Cannot switch to ${name} now: ${holding.map((h) => `${h.label} on ${h.backend ?? 'several backends'}`).join(', ')} ${holding.length === 1 ? 'is' : 'are'} running. Switch when ${holding.length === 1 ? 'it finishes' : 'they finish'}, or cancel.`);
      }
      return this.ctx.backend.exclusive('switching backend', () => system.setBackend(name), { restore: false }).then(measures.withTrainingSpeeds);
    });
  }
  chooseTrainingBackend() { return this.call(() => this.ctx.backend.exclusive('measuring training speed per backend', () => measures.chooseTrainingBackend(), { restore: false })); }
  storage() { return system.storage(this.ctx); }
  persistStorage() { return system.persistStorage(); }
  ping() { return this.call(() => system.ping()); }
  async cancel(jobId: string) { this.ctx.jobs.cancel(jobId); }
  async pause(jobId: string) { this.ctx.jobs.pause(jobId); }
  async resume(jobId: string) { this.ctx.jobs.resume(jobId); }

  // ---- datasets
  importDataset(source: T.DatasetSource, options?: T.ImportDatasetOptions, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => data.importDataset(this.ctx, this.decoder, source, options, j), { label: 'import dataset' });
  }
  createDemoDataset(options?: { trainPerClass?: number; testPerClass?: number; seed?: number }) { return data.createDemoDataset(this.ctx, options); }
  datasets() { return data.listDatasets(this.ctx); }
  deleteDataset(id: string) { return data.deleteDataset(this.ctx, id); }
  pipelineThroughput(id: string, options?: { batchSize?: number; augment?: boolean; batches?: number }) { return this.tfCall(() => data.pipelineThroughput(this.ctx, id, options)); }
  datasetSamples(id: string, options?: { perClass?: number; split?: 'train' | 'test' | 'val' }) { return data.datasetSamples(this.ctx, id, options); }

  // ---- models
  async zoo() { return models.zoo(); }
  createModel(arch: string, options: Parameters<T.StudioApi['createModel']>[1]) { return this.tfCall(() => models.createModel(this.ctx, arch, options ?? {})); }
  importModel(source: T.ModelSource, options?: { name?: string }) { return this.tfCall(() => models.importModel(this.ctx, source, options)); }
  models() { return models.listModels(this.ctx); }
  async deleteModel(id: string) {
    pruning.forgetGraph(id);
    return models.deleteModel(this.ctx, id);
  }
  exportModel(id: string) { return this.tfCall(() => models.exportModel(this.ctx, id)); }
  exportModelFiles(id: string) { return this.tfCall(() => models.exportFiles(this.ctx, id)); }
  modelInfo(id: string) { return this.tfCall(() => models.modelInfo(this.ctx, id)); }
  cutCandidates(modelId: string) { return this.tfCall(() => models.cutCandidates(this.ctx, modelId)); }
  train(modelId: string, datasetId: string, options: T.TrainOptionsApi, onProgress?: T.OnProgress, jobId?: string) {
    const runId = newId('run');
    return this.job(jobId, onProgress, (j) => training.startRun(this.ctx, 'train', modelId, datasetId, options, j, runId), { label: 'training', backend: { training: options.backend } });
  }
  fineTune(modelId: string, datasetId: string, options: T.TrainOptionsApi, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, async (j) => {
      const parent = await models.modelRecord(this.ctx, modelId);
      // A reconstructed model already matches its original closely: a large step undoes that (docs/pruning-engine.md).
      const lr = options.lr ?? (parent.recover?.method === 'reconstruct' ? training.RECONSTRUCTED_FINE_TUNE_LR : undefined);
      const r = await training.startRun(this.ctx, 'finetune', modelId, datasetId, { ...options, ...(lr !== undefined ? { lr } : {}) }, j);
      // A fine-tuned version keeps its parent's pruning facts, so the report can place it by criterion and MACs.
      const rec = await this.ctx.store.updateMeta<ModelInfo>('model', r.model.id, (m) => ({
        ...m, criterion: parent.criterion, pruneRatio: parent.pruneRatio,
        measures: { ...m.measures, afterPrune: parent.measures?.afterPrune, fineTuneEpochs: (parent.measures?.fineTuneEpochs ?? 0) + options.epochs },
      }));
      return { ...r, model: rec.meta };
    }, { label: 'fine-tuning', backend: { training: options.backend }, models: [options.teacherId] });
  }
  /** Runs; one another tab is executing (it holds the run's Web Lock) shows as running there, not interrupted. */
  async runs() {
    const here = training.runningRunIds();
    const anywhere = new Set([...here, ...(await runsHeld(defaultLockManager()).catch(() => new Set<string>()))]);
    return training.listRuns(this.ctx, anywhere);
  }
  async resumeRun(runId: string, onProgress?: T.OnProgress, jobId?: string) {
    await this.ready;
    const rec = await this.ctx.store.require<T.RunSummary & { options?: { backend?: BackendName | 'auto' | 'current'; teacherId?: string } }>('run', runId);
    return this.claimResume(runId, async () => {
      await this.notRunningElsewhere(runId);
      const o = rec.meta.options ?? {};
      return this.job<T.TrainResult | T.IterativeResult>(jobId, onProgress, (j) => (rec.meta.kind === 'iterative' ? iterative.resumeIterative(this.ctx, runId, j) : training.resumeRun(this.ctx, runId, j)), {
        label: 'resumed run', backend: { training: o.backend }, models: [o.teacherId],
      });
    });
  }

  /**
   * Runs `fn` holding the run's resume lock, taken only if no other tab (or call) is resuming it right now; else
   * busy-elsewhere. A run already executing here skips the claim: resumeRun then says so itself.
   */
  private async claimResume<R>(runId: string, fn: () => Promise<R>): Promise<R> {
    if (training.runningRunIds().has(runId)) return fn();
    const got = await defaultLockManager().request(resumeLock(runId), { mode: 'exclusive', ifAvailable: true }, async (lock) => (lock ? { value: await fn() } : null));
    if (!got) throw new StudioError('busy-elsewhere', `Run ${runId} is being resumed in another tab of the studio (or by another call): follow it there.`);
    return got.value;
  }
  evaluate(modelId: string, datasetId: string, options: T.EvaluateOptions = {}, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, async (j) => {
      const r = await training.evaluate(this.ctx, modelId, datasetId, options, j);
      const split = options.split ?? 'test';
      const start = options.start ?? 0;
      const end = start + r.count;
      const rec = { top1: r.top1, top5: r.top5, count: r.count, split, start, end, at: Date.now() };
      await this.ctx.store.updateMeta<ModelInfo>('model', modelId, (m) => ({ ...m, measures: { ...m.measures, evals: { ...m.measures?.evals, [`${split}:${start}-${end}`]: rec } } }));
      return r;
    }, { label: 'evaluation', models: [modelId] });
  }
  transfer(backboneId: string, datasetId: string, options: T.TransferOptions, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => training.transfer(this.ctx, backboneId, datasetId, options, j), { label: 'transfer learning', backend: { training: undefined }, models: [backboneId] });
  }

  // ---- pruning
  dependencyGroups(modelId: string) { return this.tfCall(() => pruning.dependencyGroups(this.ctx, modelId)); }
  pruneModel(modelId: string, what: { remove: Record<string, number[]> } | T.PlanResult, options?: T.PruneModelOptionsApi, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => pruning.pruneModel(this.ctx, modelId, what, options, j), { label: 'pruning', models: [modelId] });
  }
  analyze(modelId: string, datasetId: string | null, options: T.AnalyzeOptions, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, async (j) => {
      const a = await pruning.analyze(this.ctx, modelId, datasetId, options, j);
      // kept with the model version it scored, so the Analyse and Prune steps find it after a reload
      return analyses.storeAnalysis(this.ctx, modelId, DATA_CRITERIA.includes(options.criterion) ? datasetId : null, a, options);
    }, { label: 'analysis', models: [modelId] });
  }
  measureRoundTo(remeasure?: boolean) { return this.tfCall(() => widths.roundToChoice(remeasure)); }
  plan(modelId: string, analysis: T.AnalysisResult, options: T.PlanOptionsApi) { return this.tfCall(() => pruning.plan(this.ctx, modelId, analysis, options)); }
  latencyTable(modelId: string, options: Parameters<T.StudioApi['latencyTable']>[1] = {}, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => pruning.latencyTable(this.ctx, modelId, options, j), { label: 'latency table', models: [modelId] });
  }
  prune(modelId: string, datasetId: string | null, options: Parameters<T.StudioApi['prune']>[2], onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => pruning.prune(this.ctx, modelId, datasetId, options, j), { label: 'pruning', models: [modelId] });
  }
  allocate(modelId: string, datasetId: string, analysis: T.AnalysisResult, options: T.PlanOptionsApi & T.RecoverOptionsApi, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => pruning.planFor(this.ctx, modelId, datasetId, analysis, { ...options, criterion: analysis.criterion }, 'reconstruct', j), { label: 'allocation', models: [modelId] });
  }
  reconstruct(prunedId: string, originalId: string, datasetId: string, options: Parameters<T.StudioApi['reconstruct']>[3] = {}, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => pruning.reconstruct(this.ctx, prunedId, originalId, datasetId, options, j), { label: 'reconstruction', models: [prunedId, originalId] });
  }
  sensitivity(modelId: string, datasetId: string, analysis: T.AnalysisResult, options: T.SensitivityOptionsApi = {}, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => pruning.sensitivity(this.ctx, modelId, datasetId, analysis, options, j), { label: 'sensitivity scan', models: [modelId] });
  }
  sensitivityRatios(modelId: string, result: T.SensitivityResult, macs: number, maxRatio?: number) {
    return this.tfCall(() => pruning.sensitivityRatios(this.ctx, modelId, result, macs, maxRatio));
  }
  featureMaps(modelId: string, datasetId: string, layer: string, options?: { image?: number; maxChannels?: number }) {
    return this.tfCall(() => pruning.featureMaps(this.ctx, modelId, datasetId, layer, options));
  }

  pruneIteratively(modelId: string, datasetId: string, options: T.IterativeOptionsApi, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => iterative.pruneIteratively(this.ctx, modelId, datasetId, options, j), { label: 'iterative pruning', backend: { training: options.backend }, models: [modelId] });
  }

  // ---- measures
  benchmark(modelId: string, options?: T.BenchmarkOptions, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => measures.benchmark(this.ctx, modelId, options, j), { label: 'benchmark', backend: 'exclusive', models: [modelId] });
  }
  report(modelIds?: string[]) { return measures.report(this.ctx, modelIds); }
  benchmarkPair(aId: string, bId: string, options?: T.BenchmarkPairOptions, onProgress?: T.OnProgress, jobId?: string) {
    // Timing on other backends switches them: exclusive then; on the current one it shares. Both hold the two models.
    return this.job(jobId, onProgress, (j) => measures.benchmarkPair(this.ctx, aId, bId, options, j), { label: 'paired benchmark', backend: options?.backends?.length ? 'exclusive' : 'current', models: [aId, bId] });
  }
  optimize(modelId: string, options?: T.OptimizeOptions, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => optimizing.optimize(this.ctx, modelId, options, j), { label: 'deploy optimisation', models: [modelId] });
  }

  // ---- deployment
  exportBundle(modelIds: string[], datasetId: string, options?: T.ExportBundleOptions, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => deploy.exportBundle(this.ctx, modelIds, datasetId, options, j), { label: 'bundle export', models: modelIds });
  }
  runBundle(bundle: Blob, options?: T.RunBundleOptions, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => deploy.runBundle(this.ctx, bundle, options, j), { label: 'bundle run', backend: 'exclusive' });
  }
  async encodeResults(results: T.DeployResults) { return { file: encodeResults(results), qr: encodeResultsForQr(results) }; }
  importResults(text: string) { return deploy.importResults(this.ctx, text); }

  // ---- export for apps
  exportTflite(modelId: string, options?: { weights?: T.WeightMode }) { return this.tfCall(() => exporting.exportTflite(this.ctx, modelId, options)); }
  verifyTflite(modelId: string, file: Blob, datasetId: string, options?: { images?: number; weights?: T.WeightMode }, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => exporting.verifyTflite(this.ctx, modelId, file, datasetId, options, j), { label: 'verifying the .tflite', models: [modelId] });
  }
  benchmarkTflite(file: Blob, options?: { warmup?: number; runs?: number; minTimeMs?: number }, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => exporting.benchmarkTflite(file, options, j));
  }

  // ---- results that stay
  analyses(modelId: string) { return analyses.listAnalyses(this.ctx, modelId); }
  deleteAnalysis(id: string) { return analyses.deleteAnalysis(this.ctx, id); }
  async deleteRun(runId: string) {
    await this.notRunningElsewhere(runId, 0);
    return training.deleteRun(this.ctx, runId);
  }
  exportOnnx(modelId: string, options?: { layout?: T.OnnxLayout }) { return this.call(() => exporting.exportOnnx(this.ctx, modelId, options)); }
  verifyOnnx(modelId: string, file: Blob, datasetId: string, options?: { images?: number }, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => exporting.verifyOnnx(this.ctx, modelId, file, datasetId, options, j), { label: 'verifying the .onnx', models: [modelId] });
  }
  benchmarkOnnx(file: Blob, options?: { warmup?: number; runs?: number; minTimeMs?: number }, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => exporting.benchmarkOnnx(file, options, j));
  }
}
