/**
 * The worker-side implementation of StudioApi: a thin dispatcher over the feature modules in this folder.
 * Each long call runs as a job (cancel / pause by id) and reports progress through the proxied callback.
 */
import type { BackendName } from '../../engine/backends/types';
import type { ImageDecoder } from '../../engine/data/custom';
import type { ModelInfo } from '../../engine/models/types';
import type { JobOptions } from '../../engine/progress';
import type * as T from '../types';
import { STUDIO_VERSION } from '../version';
import type { WorkerContext } from './context';
import * as data from './datasets';
import * as deploy from './deploy';
import * as exporting from './export';
import { encodeResults, encodeResultsForQr } from '../../engine/deploy/results';
import * as iterative from './iterative';
import * as measures from './measures';
import * as models from './models';
import * as pruning from './pruning';
import * as system from './system';
import * as training from './training';

export class EngineApi implements T.StudioApi {
  /** Backends are probed once at start; every engine call waits for it so none runs on a half-initialised backend. */
  private readonly ready: Promise<unknown>;

  constructor(private readonly ctx: WorkerContext, private readonly decoder: ImageDecoder) {
    void ctx.store.sweepOrphans();
    this.ready = system.backends().catch(() => undefined);
  }

  /** Runs a long call as a job: waits for the backends, registers cancel/pause, passes progress + signal. */
  private async job<R>(jobId: string | undefined, onProgress: T.OnProgress | undefined, fn: (j: JobOptions & { job: import('../jobs').JobControl }) => Promise<R>): Promise<R> {
    await this.ready;
    return this.ctx.jobs.run(jobId, (job) => fn({ onProgress, signal: job.signal, job }));
  }

  private async call<R>(fn: () => Promise<R> | R): Promise<R> {
    await this.ready;
    return fn();
  }

  // ---- system
  async version() { return STUDIO_VERSION; }
  backends(reprobe?: boolean) { return this.call(() => system.backends(reprobe)); }
  setBackend(name: BackendName) { return this.call(() => system.setBackend(name)); }
  chooseTrainingBackend() { return this.call(() => measures.chooseTrainingBackend()); }
  storage() { return system.storage(this.ctx); }
  persistStorage() { return system.persistStorage(); }
  ping() { return this.call(() => system.ping()); }
  async cancel(jobId: string) { this.ctx.jobs.cancel(jobId); }
  async pause(jobId: string) { this.ctx.jobs.pause(jobId); }
  async resume(jobId: string) { this.ctx.jobs.resume(jobId); }

  // ---- datasets
  importDataset(source: T.DatasetSource, options?: T.ImportDatasetOptions, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => data.importDataset(this.ctx, this.decoder, source, options, j));
  }
  createDemoDataset(options?: { trainPerClass?: number; testPerClass?: number; seed?: number }) { return data.createDemoDataset(this.ctx, options); }
  datasets() { return data.listDatasets(this.ctx); }
  deleteDataset(id: string) { return data.deleteDataset(this.ctx, id); }
  pipelineThroughput(id: string, options?: { batchSize?: number; augment?: boolean; batches?: number }) { return this.call(() => data.pipelineThroughput(this.ctx, id, options)); }
  datasetSamples(id: string, options?: { perClass?: number; split?: 'train' | 'test' | 'val' }) { return data.datasetSamples(this.ctx, id, options); }

  // ---- models
  async zoo() { return models.zoo(); }
  createModel(arch: string, options: Parameters<T.StudioApi['createModel']>[1]) { return this.call(() => models.createModel(this.ctx, arch, options ?? {})); }
  importModel(source: T.ModelSource, options?: { name?: string }) { return this.call(() => models.importModel(this.ctx, source, options)); }
  models() { return models.listModels(this.ctx); }
  async deleteModel(id: string) {
    pruning.forgetGraph(id);
    return models.deleteModel(this.ctx, id);
  }
  exportModel(id: string) { return this.call(() => models.exportModel(this.ctx, id)); }
  exportModelFiles(id: string) { return this.call(() => models.exportFiles(this.ctx, id)); }
  modelInfo(id: string) { return this.call(() => models.modelInfo(this.ctx, id)); }
  cutCandidates(modelId: string) { return this.call(() => models.cutCandidates(this.ctx, modelId)); }
  train(modelId: string, datasetId: string, options: T.TrainOptionsApi, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => training.startRun(this.ctx, 'train', modelId, datasetId, options, j));
  }
  fineTune(modelId: string, datasetId: string, options: T.TrainOptionsApi, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, async (j) => {
      const r = await training.startRun(this.ctx, 'finetune', modelId, datasetId, options, j);
      // A fine-tuned version keeps its parent's pruning facts, so the report can place it by criterion and MACs.
      const parent = await models.modelRecord(this.ctx, modelId);
      const rec = await this.ctx.store.updateMeta<ModelInfo>('model', r.model.id, (m) => ({
        ...m, criterion: parent.criterion, pruneRatio: parent.pruneRatio,
        measures: { ...m.measures, afterPrune: parent.measures?.afterPrune, fineTuneEpochs: (parent.measures?.fineTuneEpochs ?? 0) + options.epochs },
      }));
      return { ...r, model: rec.meta };
    });
  }
  runs() { return training.listRuns(this.ctx, training.runningRunIds()); }
  resumeRun(runId: string, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, async (j) => {
      const rec = await this.ctx.store.require<T.RunSummary>('run', runId);
      return rec.meta.kind === 'iterative' ? iterative.resumeIterative(this.ctx, runId, j) : training.resumeRun(this.ctx, runId, j);
    });
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
    });
  }
  transfer(backboneId: string, datasetId: string, options: T.TransferOptions, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => training.transfer(this.ctx, backboneId, datasetId, options, j));
  }

  // ---- pruning
  dependencyGroups(modelId: string) { return this.call(() => pruning.dependencyGroups(this.ctx, modelId)); }
  pruneModel(modelId: string, what: { remove: Record<string, number[]> } | T.PlanResult, options?: { minChannels?: number; roundTo?: number; protect?: string[]; name?: string }) {
    return this.call(() => pruning.pruneModel(this.ctx, modelId, what, options));
  }
  analyze(modelId: string, datasetId: string | null, options: T.AnalyzeOptions, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => pruning.analyze(this.ctx, modelId, datasetId, options, j));
  }
  plan(modelId: string, analysis: T.AnalysisResult, options: T.PlanOptionsApi) { return this.call(() => pruning.plan(this.ctx, modelId, analysis, options)); }
  prune(modelId: string, datasetId: string | null, options: Parameters<T.StudioApi['prune']>[2], onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => pruning.prune(this.ctx, modelId, datasetId, options, j));
  }
  sensitivity(modelId: string, datasetId: string, analysis: T.AnalysisResult, options: T.SensitivityOptionsApi = {}, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => pruning.sensitivity(this.ctx, modelId, datasetId, analysis, options, j));
  }
  sensitivityRatios(modelId: string, result: T.SensitivityResult, macs: number, maxRatio?: number) {
    return this.call(() => pruning.sensitivityRatios(this.ctx, modelId, result, macs, maxRatio));
  }
  featureMaps(modelId: string, datasetId: string, layer: string, options?: { image?: number; maxChannels?: number }) {
    return this.call(() => pruning.featureMaps(this.ctx, modelId, datasetId, layer, options));
  }

  pruneIteratively(modelId: string, datasetId: string, options: T.IterativeOptionsApi, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => iterative.pruneIteratively(this.ctx, modelId, datasetId, options, j));
  }

  // ---- measures
  benchmark(modelId: string, options?: T.BenchmarkOptions, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => measures.benchmark(this.ctx, modelId, options, j));
  }
  report(modelIds?: string[]) { return measures.report(this.ctx, modelIds); }

  // ---- deployment
  exportBundle(modelIds: string[], datasetId: string, options?: T.ExportBundleOptions, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => deploy.exportBundle(this.ctx, modelIds, datasetId, options, j));
  }
  runBundle(bundle: Blob, options?: T.RunBundleOptions, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => deploy.runBundle(this.ctx, bundle, options, j));
  }
  async encodeResults(results: T.DeployResults) { return { file: encodeResults(results), qr: encodeResultsForQr(results) }; }
  importResults(text: string) { return deploy.importResults(this.ctx, text); }

  // ---- export for apps
  exportTflite(modelId: string, options?: { weights?: T.WeightMode }) { return this.call(() => exporting.exportTflite(this.ctx, modelId, options)); }
  verifyTflite(modelId: string, file: Blob, datasetId: string, options?: { images?: number; weights?: T.WeightMode }, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => exporting.verifyTflite(this.ctx, modelId, file, datasetId, options, j));
  }
  benchmarkTflite(file: Blob, options?: { warmup?: number; runs?: number; minTimeMs?: number }, onProgress?: T.OnProgress, jobId?: string) {
    return this.job(jobId, onProgress, (j) => exporting.benchmarkTflite(file, options, j));
  }
}
