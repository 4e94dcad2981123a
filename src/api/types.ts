/**
 * The studio's public API: what the engine worker exposes through Comlink and what the page publishes as
 * `window.studio`. Everything here is structured-cloneable (Blobs, typed arrays, plain objects).
 * Long operations take a trailing `onProgress` callback and can be cancelled (`cancel()` or an AbortSignal on the client).
 */
import type { BackendName, BackendStatus } from '../engine/backends/types';
import type { DatasetKind } from '../engine/data/types';
import type { ModelInfo, RecoverSummary } from '../engine/models/types';
import type { Progress } from '../engine/progress';
import type { ReportRow as EngineReportRow } from '../engine/metrics/report';
import type { OptimizeReport } from '../engine/deploy/optimize';
import type { CpuLoad, PairResult, PairVerdict, TimingSummary } from '../engine/metrics/latency';
import type { DeployResults, ExportBundleOptions, ImportResultsSummary, RunBundleOptions } from '../engine/deploy/types';
import type { VerifyResult } from '../engine/export/verify';
import type { WeightMode } from '../engine/export/tflite';
import type { OnnxLayout } from '../engine/export/onnx';
import type { ExportRuntime } from '../engine/export/runtimes';

export type { VerifyResult, WeightMode, OnnxLayout, ExportRuntime };

export type { DeployResults, ExportBundleOptions, ImportResultsSummary, RunBundleOptions };

export type { BackendName, BackendStatus, CpuLoad, ModelInfo, OptimizeReport, PairResult, PairVerdict, Progress, TimingSummary };

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
export interface ModelDetails extends ModelInfo {
  layers: LayerSummary[];
  trainableParams: number;
  /** Layers whose MACs could not be counted (the MACs/FLOPs totals omit them); empty when the count is complete. */
  countWarnings: string[];
}

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
  /** Auto-evaluation of the new version on the first N test images (default 1,000; false = none): TrainResult.evaluation. */
  evaluate?: number | false;
  temperature?: number;
  alpha?: number;
  name?: string;
}

export interface EpochPoint { epoch: number; loss: number; acc: number; valAcc?: number; valLoss?: number; lr: number; ms: number; imagesPerSecond: number; partial?: { batch: number; batches: number } }

export interface TrainResult {
  model: ModelInfo; history: EpochPoint[]; runId: string; stoppedEarly?: string;
  /** Set when the time budget ended the run (epoch 1-based, batches done of the epoch's batches). */
  stoppedAtBudget?: { epoch: number; batch: number; batches: number; elapsedMs: number; budgetMs: number };
  /** Top-1/top-5 of the new version on the first test images (auto-evaluation, `evaluate`). */
  evaluation?: RunEvaluation;
}

export interface RunEvaluation { top1: number; top5: number; count: number; split: string; start: number; end: number; at: number }

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
  /** The result's auto-evaluation (top-1 on the first test images), once the run is done. */
  evaluation?: RunEvaluation;
}

export interface EvaluateOptions { split?: 'train' | 'test' | 'val'; start?: number; end?: number; batchSize?: number }
export interface EvaluationResult { top1: number; top5: number; count: number; loss: number; perClass: number[]; confusion: number[][] }

export interface TransferOptions { cutLayer: string; hidden?: number; dropout?: number; headEpochs: number; fineTuneEpochs?: number; lr?: number; fineTuneLr?: number; batchSize?: number }

// ---------- pruning ----------
export interface GroupSummary { id: string; layers: string[]; channels: number; prunable: boolean; reason?: string }

export type Criterion = 'hrank' | 'chip' | 'apoz' | 'mean' | 'l1' | 'l2' | 'fpgm' | 'bn' | 'taylor' | 'random';

export interface AnalyzeOptions { criterion: Criterion; batches?: number; batchSize?: number; seed?: number }
export interface AnalysisResult { criterion: Criterion; groups: { id: string; layers: string[]; channels: number; scores: number[] }[]; warnings: string[]; images: number; ms: number; /** Statistics workers used (HRank/CHIP run on a pool in the browser; 1 = on the engine thread). */ workers?: number }
/** An analysis as stored with the model version it scored (`studio.analyses(modelId)`; one per model and criterion). */
export interface StoredAnalysis extends AnalysisResult { id: string; modelId: string; datasetId: string | null; createdAt: number }

export interface PlanTarget {
  macs?: number; params?: number; ratios?: Record<string, number>;
  /** Estimated batch-1 time as a fraction of the original's, measured on this device and backend (latency-aware plan). */
  latency?: number;
  /** Estimated speed-up over the original (≥ 1), measured likewise. */
  speedup?: number;
}
/** With a measured latency table: the original's time (as is and optimised), the goal of a time target and the estimated time of the plan's deploy version (ms, batch 1). */
export interface PlanLatencyApi { backend: string; threads?: number; baseMs: number; deployMs: number; goalMs?: number; estimatedMs: number; estimatedSpeedup: number; fixedMs: number }
/** studio.latencyTable: per-layer batch-1 times at candidate widths on the active backend (metrics/layer-latency.ts). */
export interface LatencyTableApi {
  backend: string; threads?: number; batch: 1; wholeMs: number; deployMs: number; deployForm: 'optimized' | 'as is'; fullSumMs: number; scale: number;
  probe: { measuredMs: number; predictedSavingMs: number; measuredSavingMs: number }; fixedMs: number; coverage: number;
  layers: { name: string; className: string; cin: number; cout: number; cinGrid: number[]; coutGrid: number[]; ms: number[][] }[];
  cases: number; measureMs: number; measuredAt: number;
}
/**
 * scope: 'auto' (default) prunes inner channels only (residual streams and concatenated features kept whole) when
 * that reaches the target, else every group uniformly; 'inner', 'uniform' and 'global' force one; 'error' (studio.prune
 * with a dataset only) allocates per-group ratios by measured reconstruction error (docs/pruning-engine.md).
 */
export interface PlanOptionsApi { target: PlanTarget; scope?: 'auto' | 'inner' | 'uniform' | 'global' | 'error'; roundTo?: number | 'auto'; minChannels?: number; protect?: string[]; maxRatio?: number }
export interface PlanResult { keep: Record<string, number[]>; remove: Record<string, number[]>; macs: number; params: number; baseMacs: number; baseParams: number; ratios: Record<string, number>; warnings?: string[]; scope?: 'inner' | 'uniform' | 'global' | 'error'; scopeReason?: string;
  /** With roundTo 'auto': the measured rounding and what it cost or saved against the unrounded plan (same target). */
  rounding?: { roundTo: number; reason: string; unroundedMacs: number; estimatedTimeRatio: number; summary: string };
  /** Estimated time of the plan (when a latency table was measured for the model on this backend). */
  latency?: PlanLatencyApi }

/** Recovery after surgery (docs/pruning-engine.md, "Recovery"). */
export interface RecoverOptionsApi {
  /** Calibration images from the training split (default 512). */
  calibrationImages?: number;
  /** 'shuffled' (default, seeded) or the split's 'first' N records. */
  calibrationSampling?: 'shuffled' | 'first';
  /** Sampled output positions per image and layer (default 32). */
  positions?: number;
  /** Ridge λ relative to mean(diag XᵀX) (default 1e-3). */
  ridge?: number;
  /** 'reduced' (default): layers whose inputs lost channels; 'all': every linear layer. */
  layers?: 'reduced' | 'all';
  seed?: number;
}
export type RecoverMethodApi = 'none' | 'bn' | 'reconstruct';
/** studio.prune options: analysis + plan + recovery (default 'reconstruct' when a dataset is given) + evaluation. */
/** `evaluate` (prune, pruneModel, reconstruct, train, fineTune): top-1 of the new version on the first N test images (default 1,000; true = evalLimit; false = none). */
export type EvaluateOption = boolean | number;
export type PruneOptionsApi = AnalyzeOptions & PlanOptionsApi & RecoverOptionsApi & { recover?: RecoverMethodApi; evaluate?: EvaluateOption; name?: string; evalLimit?: number };
/** studio.pruneModel options. evaluate: top-1 on the test split's first evalLimit (default 1,000) images, before and after recovery. */
export type PruneModelOptionsApi = RecoverOptionsApi & { minChannels?: number; roundTo?: number; protect?: string[]; name?: string; recover?: RecoverMethodApi; datasetId?: string; evaluate?: EvaluateOption; evalLimit?: number };
export interface ReconstructResult { model: ModelInfo; recover: RecoverSummary; top1Before?: number; top1After?: number }

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
  scope?: PlanOptionsApi['scope'];
  batches?: number;
  /** Recovery after each step's surgery (default 'reconstruct'). */
  recover?: RecoverMethodApi;
  calibrationImages?: number;
  /** Backend for the fine-tunes (see TrainOptionsApi.backend; default 'auto'). */
  backend?: BackendName | 'auto' | 'current';
  /** Each fine-tune trains on a class-balanced subset of this many training images. */
  images?: number;
  /** Fine-tuning time for the whole run, shared equally by the steps (each fine-tune stops at its share). */
  timeBudgetMs?: number;
  /** Auto-evaluation of every step's pruned and fine-tuned versions on the first N test images (default 1,000; false = none). */
  evaluate?: number | false;
}
export interface IterativeResult { runId: string; versions: ModelInfo[]; final: ModelInfo }

export interface SensitivityOptionsApi { ratios?: number[]; images?: number; batchSize?: number; groups?: string[] }
export interface SensitivityResult { baseTop1: number; images: number; curves: Record<string, { ratio: number; top1: number }[]> }

export interface PruneResult {
  model: ModelInfo; plan?: PlanResult; analysis?: AnalysisResult;
  /** Top-1 of the stored (recovered, when recovered) version; with evaluate. */
  top1AfterPrune?: number;
  /** Top-1 of the surgery's output before recovery; with evaluate and recovery. */
  top1BeforeRecover?: number;
  recover?: RecoverSummary;
}

// ---------- measures & report ----------
export interface LatencyStats { medianMs: number; p90Ms: number; minMs: number; meanMs: number; runs: number; throughput: number; /** WASM thread count the timing ran with. */ threads?: number }
export interface BenchmarkOptions {
  backends?: BackendName[];
  warmup?: number;
  runs?: number;
  minTimeMs?: number;
  /** Stop timing a backend after this long (≥ 3 runs), for slow software backends (default: no cap). */
  maxTimeMs?: number;
  /** Exported-file runtimes timed after the tfjs backends (default: all this device has when `backends` is not given, else none). */
  runtimes?: ExportRuntime[];
}
export type BenchmarkResult = Partial<Record<BackendName | ExportRuntime, LatencyStats | { error: string }>>;
export interface BenchmarkPairOptions {
  /** Backends to compare on (default: the active one). */
  backends?: BackendName[];
  /** Untimed runs of each model first (default 10). */
  warmup?: number;
  /** At least this many A/B pairs (default 60)… */
  pairs?: number;
  /** …and at least this much timed wall time (default 3000 ms). */
  minTimeMs?: number;
  /** Hard cap on timed wall time (≥ 5 pairs). */
  maxTimeMs?: number;
  /** Images per run (default 1). */
  batch?: number;
  /** WASM thread counts to time at as well (e.g. [1, 2]): each other than the engine's runs in a timing worker of its own. */
  threads?: number[];
  /** Exported-file runtimes to compare on too (interleaved the same way; batch 1). Default none. */
  runtimes?: ExportRuntime[];
}
export type BenchmarkPairResult = Partial<Record<BackendName | ExportRuntime, PairResult | { error: string }>> & {
  /** With `threads`: the wasm pair at each thread count. */
  wasmThreads?: Record<number, PairResult | { error: string }>;
};

// ---------- deploy optimisation ----------
export interface OptimizeOptions {
  /** Check the logits on this dataset's first test images (default: seeded random images). */
  datasetId?: string;
  name?: string;
  /** With datasetId: top-1 of the new version on the first N test images (default 1,000; false = none), as Compare shows. */
  evaluate?: EvaluateOption;
}
export interface OptimizeResult {
  model: ModelInfo;
  report: OptimizeReport;
  /** Largest logit difference to the source, relative to the largest logit magnitude per image (≤ 1e-4, else not saved). */
  maxRelDiff: number;
  checkedOn: string;
}

/** One row of the comparison report (engine ReportRow: CSV/Markdown export use the same shape) plus history and devices. */
export type ReportRow = EngineReportRow & { lineage: string[]; optimizedFrom?: string; devices?: Record<string, Record<string, LatencyStats>>; evals?: Record<string, { top1: number; top5: number; count: number }> };

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
  /** Surgery from an explicit removal or a plan; with `recover` and `datasetId`, recovered before it is stored (ModelInfo.recover). */
  pruneModel(modelId: string, what: { remove: Record<string, number[]> } | PlanResult, options?: PruneModelOptionsApi, onProgress?: OnProgress, jobId?: string): Promise<ModelInfo>;
  analyze(modelId: string, datasetId: string | null, options: AnalyzeOptions, onProgress?: OnProgress, jobId?: string): Promise<AnalysisResult>;
  /** A plan; a latency / speed-up target measures the model's latency table first unless this session has it (see latencyTable). */
  plan(modelId: string, analysis: AnalysisResult, options: PlanOptionsApi): Promise<PlanResult>;
  /** The model's per-layer batch-1 latency at candidate widths on the active backend (measured once per session; remeasure forces it). */
  latencyTable(modelId: string, options?: { remeasure?: boolean; rounds?: number; budgetMs?: number }, onProgress?: OnProgress, jobId?: string): Promise<LatencyTableApi>;
  /** The channel rounding (1, 4 or 8) measured fastest per MAC on the active backend, used by plan's roundTo 'auto'. */
  measureRoundTo(remeasure?: boolean): Promise<{ roundTo: number; backend: string; nsPerMac: Record<number, number>; reason: string }>;
  prune(modelId: string, datasetId: string | null, options: PruneOptionsApi, onProgress?: OnProgress, jobId?: string): Promise<PruneResult>;
  /** The plan studio.prune would use with reconstruction: 'auto'/'error' scopes allocate by measured reconstruction error on the dataset. */
  allocate(modelId: string, datasetId: string, analysis: AnalysisResult, options: PlanOptionsApi & RecoverOptionsApi, onProgress?: OnProgress, jobId?: string): Promise<PlanResult>;
  /** Recovers a pruned version against the model it was pruned from (a new version): reconstruction or BN recalibration. */
  reconstruct(prunedId: string, originalId: string, datasetId: string, options?: RecoverOptionsApi & { method?: 'bn' | 'reconstruct'; evaluate?: EvaluateOption; evalLimit?: number; name?: string }, onProgress?: OnProgress, jobId?: string): Promise<ReconstructResult>;
  /** Prunes each group alone at a few ratios (by the analysis' scores) and measures top-1 on test images: one curve per group. */
  sensitivity(modelId: string, datasetId: string, analysis: AnalysisResult, options?: SensitivityOptionsApi, onProgress?: OnProgress, jobId?: string): Promise<SensitivityResult>;
  /** Per-group ratios from sensitivity curves that meet a MACs reduction target (feed them to plan as target.ratios). */
  sensitivityRatios(modelId: string, result: SensitivityResult, macs: number, maxRatio?: number): Promise<Record<string, number>>;
  featureMaps(modelId: string, datasetId: string, layer: string, options?: { image?: number; maxChannels?: number }): Promise<{ width: number; height: number; channels: number; maps: Float32Array[] }>;

  // fine-tuning, measures, report
  fineTune(modelId: string, datasetId: string, options: TrainOptionsApi, onProgress?: OnProgress, jobId?: string): Promise<TrainResult>;
  pruneIteratively(modelId: string, datasetId: string, options: IterativeOptionsApi, onProgress?: OnProgress, jobId?: string): Promise<IterativeResult>;
  benchmark(modelId: string, options?: BenchmarkOptions, onProgress?: OnProgress, jobId?: string): Promise<BenchmarkResult>;
  /** A vs B latency timed interleaved: median of per-pair ratios (a/b) with a bootstrap 95 % interval, medians, p90, min, load. */
  benchmarkPair(aId: string, bId: string, options?: BenchmarkPairOptions, onProgress?: OnProgress, jobId?: string): Promise<BenchmarkPairResult>;
  report(modelIds?: string[]): Promise<ReportRow[]>;
  /** Writes the deploy-optimised version (BN folded, conv + bias + activation fused, no-ops removed), checked against its source. */
  optimize(modelId: string, options?: OptimizeOptions, onProgress?: OnProgress, jobId?: string): Promise<OptimizeResult>;

  // deployment (phone bundles)
  /** One .psbundle file: the models, a few hundred labelled test images, the desktop's predictions, benchmark settings. */
  exportBundle(modelIds: string[], datasetId: string, options?: ExportBundleOptions, onProgress?: OnProgress, jobId?: string): Promise<Blob>;
  /** Runs a bundle on this device: latency per backend and model, top-1, agreement with the desktop. */
  runBundle(bundle: Blob, options?: RunBundleOptions, onProgress?: OnProgress, jobId?: string): Promise<DeployResults>;
  /** Results as a small file text and as a compact QR string. */
  encodeResults(results: DeployResults): Promise<{ file: string; qr: string }>;
  /** Attaches a device's results (file text or QR text) to the local models as per-device columns. */
  importResults(text: string): Promise<ImportResultsSummary>;

  // export for apps (.tflite)
  /** The model as a .tflite file (LiteRT / TensorFlow Lite): batch 1, raw 0–255 RGB NHWC float32 in, logits out. */
  exportTflite(modelId: string, options?: { weights?: WeightMode }): Promise<Blob>;
  /** Runs an exported .tflite in LiteRT.js on the dataset's first test images (default 200) and compares it with the tfjs model. */
  verifyTflite(modelId: string, file: Blob, datasetId: string, options?: { images?: number; weights?: WeightMode }, onProgress?: OnProgress, jobId?: string): Promise<VerifyResult>;
  /** Batch-1 latency of a .tflite file in LiteRT.js (CPU / XNNPACK, one thread): warm-up, then ≥ runs timed runs for ≥ minTimeMs. */
  benchmarkTflite(file: Blob, options?: { warmup?: number; runs?: number; minTimeMs?: number }, onProgress?: OnProgress, jobId?: string): Promise<{ medianMs: number; p90Ms: number; minMs: number; meanMs: number; runs: number }>;

  // results that stay
  /** The model's stored analyses (every `analyze` result is kept with its model version), newest first. */
  analyses(modelId: string): Promise<StoredAnalysis[]>;
  deleteAnalysis(id: string): Promise<void>;
  /** Deletes a run record and its checkpoint (an interrupted run the user discards); the models it made stay. */
  deleteRun(runId: string): Promise<void>;
  // export for apps (.onnx)
  /** The model as an .onnx file (opset 17): batch 1, raw 0–255 RGB float32 in (NHWC by default, or NCHW), logits out. */
  exportOnnx(modelId: string, options?: { layout?: OnnxLayout }): Promise<Blob>;
  /** Runs an exported .onnx in onnxruntime-web (wasm EP) on the dataset's first test images (default 200) and compares it with the tfjs model. */
  verifyOnnx(modelId: string, file: Blob, datasetId: string, options?: { images?: number }, onProgress?: OnProgress, jobId?: string): Promise<VerifyResult>;
  /** Batch-1 latency of an .onnx file in onnxruntime-web (wasm EP, as many threads as tfjs-wasm). */
  benchmarkOnnx(file: Blob, options?: { warmup?: number; runs?: number; minTimeMs?: number }, onProgress?: OnProgress, jobId?: string): Promise<{ medianMs: number; p90Ms: number; minMs: number; meanMs: number; runs: number }>;
}
