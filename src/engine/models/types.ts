/** Model metadata: what makes a LayersModel self-describing (stored in `userDefinedMetadata`). */

/**
 * How raw RGB pixels (0..255) become the model's input.
 * Pipeline: x = raw * (range[1]-range[0])/255 + range[0]; then, only if `normalizeOutside`,
 * x = (x - mean[c]) / std[c]. Zoo models and akamaster models normalise inside the graph
 * (first layer `normalize`), so the pipeline just feeds raw 0..255 pixels.
 */
export interface InputSpec {
  range: [number, number];
  mean: [number, number, number];
  std: [number, number, number];
  /** true when mean/std must be applied by the pipeline because the graph does not do it. */
  normalizeOutside: boolean;
}

export const RAW_INPUT: InputSpec = { range: [0, 255], mean: [0, 0, 0], std: [1, 1, 1], normalizeOutside: false };

/** Stored in model.json `userDefinedMetadata.studio` (other keys, e.g. akamaster's, are kept as they are). */
export interface StudioModelMeta {
  /** Architecture name, e.g. 'resnet56', 'vgg16', or 'imported'. */
  arch: string;
  classes: string[];
  input: InputSpec;
  /** Where this version comes from: the parent model id and what was done. */
  parentId?: string;
  lineage?: string[];
  /** Seed of the initial weights (zoo models created from scratch). */
  seed?: number;
}

export interface ModelInfo {
  id: string;
  name: string;
  arch: string;
  classes: string[];
  inputShape: [number, number, number];
  params: number;
  /** Multiply-accumulates for one image (FLOPs = 2 × MACs). */
  macs: number;
  flops: number;
  bytes: number;
  parentId?: string;
  createdAt: number;
  /** Free-form history, e.g. ['imported akamaster resnet20', 'pruned hrank 50% MACs']. */
  lineage: string[];
  /** Set on pruned versions: the criterion and the MACs fraction removed relative to the parent. */
  criterion?: string;
  pruneRatio?: number;
  /** Set on deploy-optimised versions (studio.optimize): the version it computes the same logits as. */
  optimizedFrom?: string;
  /** Measures recorded on this version (by evaluate / prune / benchmark), keyed for the report. */
  measures?: ModelMeasures;
  /** Set on versions made by surgery (and their recovered copies): what was removed from which original. */
  pruning?: PruningRecord;
  /** Set on recovered versions: how the pruned model was recovered (recover/recover.ts RecoverReport). */
  recover?: RecoverSummary;
}

export interface PruningRecord {
  /** The model the channels were removed from. */
  from: string;
  /** Per channel group of `from`: the channel indices removed. */
  removed: Record<string, number[]>;
}

export interface RecoverSummary {
  method: 'bn' | 'reconstruct';
  images: number;
  positions: number;
  ms: number;
  batchNorms: number;
  layers: { layer: string; target: 'block' | 'output'; unknowns: number; outputs: number; samples: number; errorBefore: number; errorAfter: number; ridge: number }[];
}

export interface EvalRecord { top1: number; top5: number; count: number; split: string; start: number; end: number; at: number }
export interface LatencyRecord { medianMs: number; p90Ms: number; minMs: number; meanMs: number; runs: number; throughput: number; at: number }

export interface ModelMeasures {
  /** Latest evaluation per "split:start-end" key. */
  evals?: Record<string, EvalRecord>;
  /** Top-1 measured right after pruning (before any fine-tuning; after recovery when there was one), with its range key. */
  afterPrune?: EvalRecord;
  /** Top-1 of the same surgery before recovery, when the pruned version was recovered. */
  beforeRecover?: EvalRecord;
  /** Latency per backend on this device. */
  latency?: Record<string, LatencyRecord>;
  /** Latency per backend measured on other devices (phone bundles), keyed by device label. */
  devices?: Record<string, Record<string, LatencyRecord>>;
  /** Milliseconds the physical surgery took (graph analysis + new model + weight copy), for pruned versions. */
  surgeryMs?: number;
  /** Fine-tuning epochs applied to reach this version. */
  fineTuneEpochs?: number;
}
