/**
 * The studio's public API: what the engine worker exposes through Comlink and what the page publishes as
 * `window.studio`. Everything here is structured-cloneable (Blobs, typed arrays, plain objects).
 * Long operations take a trailing `onProgress` callback and can be cancelled (`cancel()` or an AbortSignal on the client).
 */
import type { BackendName, BackendStatus } from '../engine/backends/types';
import type { DatasetKind } from '../engine/data/types';
import type { ModelInfo } from '../engine/models/types';
import type { Progress } from '../engine/progress';
import type { ReportRow as EngineReportRow } from '../engine/metrics/report';
import type { DeployResults, ExportBundleOptions, ImportResultsSummary, RunBundleOptions } from '../engine/deploy/types';

export type { DeployResults, ExportBundleOptions, ImportResultsSummary, RunBundleOptions };

export type { BackendName, BackendStatus, ModelInfo, Progress };

// ---------- system ----------
export interface StorageInfo { usage: number; quota: number; persisted: boolean; artifactsBytes: number }
export interface JobHandle { jobId: string }

// ---------- datasets ----------
export interface DatasetSummary {
  id: string;
  name: string;
  kind: DatasetKind;
  classes: string[];
  counts: { train: number; test: number; val?: number };
  imageSize: number;
  bytes: number;
  createdAt: number;
  notes?: string[];
  labelSet?: 'fine' | 'coarse';
  /** Images per class in each split. */
  classCounts?: { train: number[]; test: number[]; val?: number[] };
}

/** A file with its path inside a picked folder or zip ('cats/001.jpg'). */
export interface NamedFile { path: string; file: Blob }

export type DatasetSource = Blob | File | string | NamedFile[];

export interface ImportDatasetOptions {
  name?: string;
  /** CIFAR-100: which labels to use. */
  labelSet?: 'fine' | 'coarse';
  /** Custom datasets: square side 32..224 (default 32) and how to fit non-square images. */
  imageSize?: number;
  resize?: 'center-crop' | 'pad';
  testFraction?: number;
  valFraction?: number;
  seed?: number;
}

export interface SampleGrid {
  imageSize: number;
  classes: string[];
  /** One entry per sample: label and RGBA bytes (imageSize² × 4), ready for ImageData. */
  samples: { label: number; index: number; rgba: Uint8ClampedArray }[];
}

// ---------- models ----------
export interface ZooEntry { arch: string; label: string; paperParams: string; paperMacs: string; description: string }

export interface LayerSummary { name: string; className: string; params: number; macs: number; outShape: number[] }
export interface ModelDetails extends ModelInfo { layers: LayerSummary[]; trainableParams: number }

export type ModelSource = Blob | File | string | NamedFile[];

export interface TrainOptionsApi {
  epochs: number;
  batchSize?: number;
  lr?: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  schedule?: 'constant' | 'step' | 'cosine' | 'onecycle';
  warmupEpochs?: number;
  labelSmoothing?: number;
  augment?: boolean;
  seed?: number;
  /**
   * Backend to train on: 'auto' (default) measures a few training steps per backend once per session and uses the
   * fastest (WASM with the project's kernels beats software WebGPU/WebGL), 'current' keeps the active one.
   */
  backend?: BackendName | 'auto' | 'current';
  /** Validate on the test split (first `validateLimit` images) after each epoch. */
  validateLimit?: number;
  /** Train on a class-balanced subset of this many training images, seeded by `seed` (default: the whole split). */
  images?: number;
  /** Stop cleanly at the next batch after this much training time; the model is saved (TrainResult.stoppedAtBudget). */
  timeBudgetMs?: number;
  /** Checkpoints within an epoch, so a reload resumes at the batch reached (default every 2 minutes of training). */
  checkpointEvery?: { batches?: number; minutes?: number };
  /** Fine-tuning: distil from this model id. */
  teacherId?: string;
  temperature?: number;
  alpha?: number;
  name?: string;
}

export interface EpochPoint { epoch: number; loss: number; acc: number; valAcc?: number; valLoss?: number; lr: number; ms: number; imagesPerSecond: number; partial?: { batch: number; batches: number } }

export interface TrainResult {
  model: ModelInfo; history: EpochPoint[]; runId: string; stoppedEarly?: string;
  /** Set when the time budget ended the run (epoch 1-based, batches done of the epoch's batches). */
  stoppedAtBudget?: { epoch: number; batch: number; batches: number; elapsedMs: number; budgetMs: number };
}

export interface RunSummary {
  runId: string;
  kind: 'train' | 'finetune' | 'iterative';
  modelId: string;
  datasetId: string;
  status: 'running' | 'paused' | 'interrupted' | 'done' | 'failed' | 'cancelled';
  epochsDone: number;
  /** Batches done of the epoch after `epochsDone` at the last intra-epoch checkpoint (a resume continues there). */
  batchesDone?: number;
  epochs: number;
  history: EpochPoint[];
  resultModelId?: string;
  error?: string;
  updatedAt: number;
  /** The backend the run trained on, and why it was chosen. */
  backend?: string;
  backendReason?: string;
}

export interface EvaluateOptions { split?: 'train' | 'test' | 'val'; start?: number; end?: number; batchSize?: number }
export interface EvaluationResult { top1: number; top5: number; count: number; loss: number; perClass: number[]; confusion: number[][] }

export interface TransferOptions { cutLayer: string; hidden?: number; dropout?: number; headEpochs: number; fineTuneEpochs?: number; lr?: number; fineTuneLr?: number; batchSize?: number }

// ---------- pruning ----------
export interface GroupSummary { id: string; layers: string[]; channels: number; prunable: boolean; reason?: string }

export type Criterion = 'hrank' | 'chip' | 'apoz' | 'mean' | 'l1' | 'l2' | 'fpgm' | 'bn' | 'taylor' | 'random';

export interface AnalyzeOptions { criterion: Criterion; batches?: number; batchSize?: number; seed?: number }
export interface AnalysisResult { criterion: Criterion; groups: { id: string; layers: string[]; channels: number; scores: number[] }[]; warnings: string[]; images: number; ms: number; /** Statistics workers used (HRank/CHIP run on a pool in the browser; 1 = on the engine thread). */ workers?: number }

export interface PlanTarget { macs?: number; params?: number; ratios?: Record<string, number> }
export interface PlanOptionsApi { target: PlanTarget; scope?: 'uniform' | 'global'; roundTo?: number; minChannels?: number; protect?: string[]; maxRatio?: number }
export interface PlanResult { keep: Record<string, number[]>; remove: Record<string, number[]>; macs: number; params: number; baseMacs: number; baseParams: number; ratios: Record<string, number>; warnings?: string[] }

export interface IterativeOptionsApi {
  criterion: Criterion;
  /** Fraction removed from the original model at the end, e.g. {macs: 0.5}. */
  target: { macs?: number; params?: number };
  steps: number;
  epochsPerStep: number;
  /** Distil from the original model during each fine-tune. */
  distill?: boolean;
  temperature?: number;
  alpha?: number;
  lr?: number;
  batchSize?: number;
  scope?: 'uniform' | 'global';
  batches?: number;
  /** Backend for the fine-tunes (see TrainOptionsApi.backend; default 'auto'). */
  backend?: BackendName | 'auto' | 'current';
  /** Each fine-tune trains on a class-balanced subset of this many training images. */
  images?: number;
  /** Fine-tuning time for the whole run, shared equally by the steps (each fine-tune stops at its share). */
  timeBudgetMs?: number;
}
export interface IterativeResult { runId: string; versions: ModelInfo[]; final: ModelInfo }

export interface SensitivityOptionsApi { ratios?: number[]; images?: number; batchSize?: number; groups?: string[] }
export interface SensitivityResult { baseTop1: number; images: number; curves: Record<string, { ratio: number; top1: number }[]> }

export interface PruneResult { model: ModelInfo; plan?: PlanResult; analysis?: AnalysisResult; top1AfterPrune?: number }

// ---------- measures & report ----------
export interface LatencyStats { medianMs: number; p90Ms: number; minMs: number; meanMs: number; runs: number; throughput: number }
export interface BenchmarkOptions {
  backends?: BackendName[];
  warmup?: number;
  runs?: number;
  minTimeMs?: number;
  /** Stop timing a backend after this long (≥ 3 runs), for slow software backends (default: no cap). */
  maxTimeMs?: number;
}
export type BenchmarkResult = Partial<Record<BackendName, LatencyStats | { error: string }>>;

/** One row of the comparison report (engine ReportRow: CSV/Markdown export use the same shape) plus history and devices. */
export type ReportRow = EngineReportRow & { lineage: string[]; devices?: Record<string, Record<string, LatencyStats>>; evals?: Record<string, { top1: number; top5: number; count: number }> };

// ---------- the API ----------
export type OnProgress = (p: Progress) => void;

/** What the worker exposes. The page's `window.studio` has the same methods (plus `version` and `cancel`). */
export interface StudioApi {
  // system
  version(): Promise<string>;
  backends(reprobe?: boolean): Promise<BackendStatus[]>;
  setBackend(name: BackendName): Promise<BackendStatus[]>;
  /** A quick training-speed measurement per backend; returns the one to use for training and why. */
  chooseTrainingBackend(): Promise<{ backend: BackendName; reason: string; imagesPerSecond: Partial<Record<BackendName, number>> }>;
  storage(): Promise<StorageInfo>;
  persistStorage(): Promise<boolean>;
  /** Runs a tiny op on the active backend and returns its result (a liveness check). */
  ping(): Promise<{ backend: BackendName; sum: number }>;
  cancel(jobId: string): Promise<void>;
  pause(jobId: string): Promise<void>;
  resume(jobId: string): Promise<void>;

  // datasets
  importDataset(source: DatasetSource, options?: ImportDatasetOptions, onProgress?: OnProgress, jobId?: string): Promise<DatasetSummary>;
  createDemoDataset(options?: { trainPerClass?: number; testPerClass?: number; seed?: number }): Promise<DatasetSummary>;
  datasets(): Promise<DatasetSummary[]>;
  deleteDataset(id: string): Promise<void>;
  /** Input-pipeline throughput (batching, shuffling, augmentation, tensor creation) without a model: images/s. */
  pipelineThroughput(id: string, options?: { batchSize?: number; augment?: boolean; batches?: number }): Promise<{ imagesPerSecond: number; images: number; batches: number; ms: number }>;
  datasetSamples(id: string, options?: { perClass?: number; split?: 'train' | 'test' | 'val' }): Promise<SampleGrid>;

  // models
  zoo(): Promise<ZooEntry[]>;
  createModel(arch: string, options: { numClasses?: number; inputSize?: number; classes?: string[]; datasetId?: string; seed?: number; name?: string }): Promise<ModelInfo>;
  importModel(source: ModelSource, options?: { name?: string }): Promise<ModelInfo>;
  models(): Promise<ModelInfo[]>;
  deleteModel(id: string): Promise<void>;
  exportModel(id: string): Promise<Blob>;
  exportModelFiles(id: string): Promise<{ name: string; blob: Blob }[]>;
  modelInfo(id: string): Promise<ModelDetails>;
  train(modelId: string, datasetId: string, options: TrainOptionsApi, onProgress?: OnProgress, jobId?: string): Promise<TrainResult>;
  runs(): Promise<RunSummary[]>;
  /** Resumes an interrupted training, fine-tuning or iterative pruning run from its last checkpoint. */
  resumeRun(runId: string, onProgress?: OnProgress, jobId?: string): Promise<TrainResult | IterativeResult>;
  evaluate(modelId: string, datasetId: string, options?: EvaluateOptions, onProgress?: OnProgress, jobId?: string): Promise<EvaluationResult>;
  transfer(backboneId: string, datasetId: string, options: TransferOptions, onProgress?: OnProgress, jobId?: string): Promise<TrainResult>;
  cutCandidates(modelId: string): Promise<string[]>;

  // pruning
  dependencyGroups(modelId: string): Promise<GroupSummary[]>;
  pruneModel(modelId: string, what: { remove: Record<string, number[]> } | PlanResult, options?: { minChannels?: number; roundTo?: number; protect?: string[]; name?: string }): Promise<ModelInfo>;
  analyze(modelId: string, datasetId: string | null, options: AnalyzeOptions, onProgress?: OnProgress, jobId?: string): Promise<AnalysisResult>;
  plan(modelId: string, analysis: AnalysisResult, options: PlanOptionsApi): Promise<PlanResult>;
  prune(modelId: string, datasetId: string | null, options: AnalyzeOptions & PlanOptionsApi & { evaluate?: boolean; name?: string }, onProgress?: OnProgress, jobId?: string): Promise<PruneResult>;
  /** Prunes each group alone at a few ratios (by the analysis' scores) and measures top-1 on test images: one curve per group. */
  sensitivity(modelId: string, datasetId: string, analysis: AnalysisResult, options?: SensitivityOptionsApi, onProgress?: OnProgress, jobId?: string): Promise<SensitivityResult>;
  /** Per-group ratios from sensitivity curves that meet a MACs reduction target (feed them to plan as target.ratios). */
  sensitivityRatios(modelId: string, result: SensitivityResult, macs: number, maxRatio?: number): Promise<Record<string, number>>;
  featureMaps(modelId: string, datasetId: string, layer: string, options?: { image?: number; maxChannels?: number }): Promise<{ width: number; height: number; channels: number; maps: Float32Array[] }>;

  // fine-tuning, measures, report
  fineTune(modelId: string, datasetId: string, options: TrainOptionsApi, onProgress?: OnProgress, jobId?: string): Promise<TrainResult>;
  pruneIteratively(modelId: string, datasetId: string, options: IterativeOptionsApi, onProgress?: OnProgress, jobId?: string): Promise<IterativeResult>;
  benchmark(modelId: string, options?: BenchmarkOptions, onProgress?: OnProgress, jobId?: string): Promise<BenchmarkResult>;
  report(modelIds?: string[]): Promise<ReportRow[]>;

  // deployment (phone bundles)
  /** One .psbundle file: the models, a few hundred labelled test images, the desktop's predictions, benchmark settings. */
  exportBundle(modelIds: string[], datasetId: string, options?: ExportBundleOptions, onProgress?: OnProgress, jobId?: string): Promise<Blob>;
  /** Runs a bundle on this device: latency per backend and model, top-1, agreement with the desktop. */
  runBundle(bundle: Blob, options?: RunBundleOptions, onProgress?: OnProgress, jobId?: string): Promise<DeployResults>;
  /** Results as a small file text and as a compact QR string. */
  encodeResults(results: DeployResults): Promise<{ file: string; qr: string }>;
  /** Attaches a device's results (file text or QR text) to the local models as per-device columns. */
  importResults(text: string): Promise<ImportResultsSummary>;
}
