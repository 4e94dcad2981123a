/**
 * Pruning calls: dependency groups, importance analysis, planning, surgery, feature maps.
 * Graphs are cached per model id (models are immutable once stored). Pruning writes a new model version.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../engine/errors';
import { buildDependencyGraph, type DependencyGraph } from '../../engine/graph';
import { analyze as runAnalysis, DATA_CRITERIA, type Analysis } from '../../engine/importance/analyze';
import { evaluate as evaluateModel } from '../../engine/metrics/evaluate';
import { getStudioMeta } from '../../engine/models/metadata';
import type { LatencyTable } from '../../engine/metrics/layer-latency';
import type { EvalRecord } from '../../engine/models/types';
import { validateForDataset } from '../../engine/models/validate';
import { ratiosForTarget, sensitivity as runSensitivity } from '../../engine/plan/sensitivity';
import { pruneModelDetailed, type PruneOptions } from '../../engine/prune';
import { allocateByReconstruction } from '../../engine/recover/allocate';
import { recoverPruned, type RecoverMethod } from '../../engine/recover/recover';
import { subJob, type JobOptions } from '../../engine/progress';
import type { AnalysisResult, AnalyzeOptions, GroupSummary, PlanOptionsApi, PlanResult, PruneModelOptionsApi, PruneOptionsApi, PruneResult, RecoverOptionsApi, ReconstructResult, SensitivityOptionsApi, SensitivityResult } from '../types';
import type { ModelInfo } from '../types';
import type { WorkerContext } from './context';
import { versionName } from './names';
import { loadDataset, requireSplit } from './datasets';
import { loadModel, modelRecord, saveModel, withModel } from './models';
import { cachedLatencyTable, latencyTableFor } from './latency-table';
import { planWithRounding } from './widths';

const graphs = new Map<string, DependencyGraph>();

async function graphOf(ctx: WorkerContext, modelId: string): Promise<{ model: tf.LayersModel; graph: DependencyGraph }> {
  const model = await loadModel(ctx, modelId);
  let graph = graphs.get(modelId);
  // The model cache may have reloaded the model as a new instance: a graph belongs to one instance.
  if (!graph || graph.model !== model) {
    graph = buildDependencyGraph(model);
    graphs.set(modelId, graph);
  }
  return { model, graph };
}

export function forgetGraph(modelId: string): void {
  graphs.delete(modelId);
}

export async function dependencyGroups(ctx: WorkerContext, modelId: string): Promise<GroupSummary[]> {
  const { graph } = await graphOf(ctx, modelId);
  return graph.groups.map((g) => ({ id: g.id, layers: [...new Set(g.members.map((m) => m.layer))], channels: g.channels, prunable: g.prunable, reason: g.reason }));
}

export async function analyze(ctx: WorkerContext, modelId: string, datasetId: string | null, o: AnalyzeOptions, job: JobOptions): Promise<AnalysisResult> {
  const { model, graph } = await graphOf(ctx, modelId);
  let split = null;
  let imageSize = model.inputs[0]!.shape[1] ?? 32;
  if (DATA_CRITERIA.includes(o.criterion)) {
    if (!datasetId) throw new StudioError('bad-input', `The ${o.criterion} criterion reads feature maps or gradients: choose a dataset.`);
    const ds = await loadDataset(ctx, datasetId);
    validateForDataset(model, { imageSize: ds.info.imageSize, classes: ds.info.classes });
    split = requireSplit(ds, 'train');
    imageSize = ds.info.imageSize;
  }
  const a: Analysis = await runAnalysis(model, graph, split, imageSize, { ...o, input: getStudioMeta(model).input, ...job, ...(ctx.statPool ? { pool: ctx.statPool } : {}) });
  return a;
}

/** True when the target asks for a time (latency fraction or speed-up) rather than counts. */
export function hasLatencyTarget(o: PlanOptionsApi): boolean {
  return o.target.latency !== undefined || o.target.speedup !== undefined;
}

/**
 * A plan. A latency or speed-up target measures the model's per-layer latency table on the active backend first (once
 * per session); any plan states its estimated time when a table was measured.
 */
export async function plan(ctx: WorkerContext, modelId: string, analysis: AnalysisResult, o: PlanOptionsApi, job: JobOptions = {}): Promise<PlanResult> {
  const { model, graph } = await graphOf(ctx, modelId);
  const latencyTable = hasLatencyTarget(o) ? await latencyTableFor(modelId, model, graph, {}, job) : cachedLatencyTable(modelId);
  return planWithRounding(model, graph, analysis as Analysis, { ...o, scope: o.scope ?? 'auto', ...(latencyTable ? { latencyTable } : {}) });
}

/** studio.latencyTable: the model's measured per-layer latency on the active backend. */
export async function latencyTable(ctx: WorkerContext, modelId: string, o: { remeasure?: boolean; rounds?: number; budgetMs?: number }, job: JobOptions): Promise<LatencyTable> {
  const { model, graph } = await graphOf(ctx, modelId);
  return latencyTableFor(modelId, model, graph, o, job);
}

function describeTarget(o: PlanOptionsApi): string {
  const t = o.target;
  const parts = [t.macs !== undefined ? `${Math.round(t.macs * 100)}% MACs` : '', t.params !== undefined ? `${Math.round(t.params * 100)}% params` : '', t.ratios ? 'per-layer ratios' : ''].filter(Boolean);
  const time = [t.latency !== undefined ? `to ${Math.round(t.latency * 100)}% of the original's time` : '', t.speedup !== undefined ? `for a ${t.speedup}× speed-up` : ''].filter(Boolean);
  return `${[parts.length ? `${parts.join(', ')} removed` : '', ...time].filter(Boolean).join(', ') || 'explicit channels removed'}, ${o.scope ?? 'auto'}`;
}

/** How a pruned model is recovered before it is stored (none: as surgery left it). */
interface RecoverStep {
  method: RecoverMethod;
  datasetId: string;
  options: RecoverOptionsApi;
  /** Measure top-1 of the unrecovered model first (on the test split's first `evalLimit` images). */
  evalLimit?: number;
}

function recoverStepName(method: RecoverMethod, images: number): string {
  return method === 'bn' ? `BatchNorm statistics recalibrated on ${images} images` : `reconstructed from ${images} images`;
}

export async function pruneWith(
  ctx: WorkerContext, modelId: string, remove: Record<string, number[]>,
  options: PruneOptions & { name?: string; criterion?: string; step?: string; recover?: RecoverStep }, job: JobOptions = {},
): Promise<ModelInfo> {
  // held for the whole call: recovery reads the original for tens of seconds (iterative steps are not jobs of their own)
  return withModel(ctx, modelId, () => pruneHeld(ctx, modelId, remove, options, job));
}

async function pruneHeld(
  ctx: WorkerContext, modelId: string, remove: Record<string, number[]>,
  options: PruneOptions & { name?: string; criterion?: string; step?: string; recover?: RecoverStep }, job: JobOptions,
): Promise<ModelInfo> {
  const { model } = await graphOf(ctx, modelId);
  const base = await modelRecord(ctx, modelId);
  const t0 = performance.now();
  const { model: pruned, applied } = pruneModelDetailed(model, remove, options);
  const surgeryMs = performance.now() - t0;
  let recovered: Awaited<ReturnType<typeof recoverWith>> | null = null;
  try {
    if (options.recover) recovered = await recoverWith(ctx, model, pruned, applied, options.recover, job);
  } catch (e) {
    pruned.dispose();
    throw e;
  }
  const step = options.step ?? `pruned ${Object.values(applied).reduce((n, r) => n + r.length, 0)} channels`;
  const info = await saveModel(ctx, pruned, {
    name: options.name ?? versionName(base.name, `pruned${options.criterion ? ` (${options.criterion})` : ''}`),
    parentId: modelId,
    step: recovered ? `${step}; ${recoverStepName(recovered.report.method, recovered.report.images)}` : step,
  });
  const extra: Partial<ModelInfo> = {
    criterion: options.criterion, pruneRatio: base.macs > 0 ? 1 - info.macs / base.macs : 0, pruning: { from: modelId, removed: applied },
    ...(recovered ? { recover: recovered.report } : {}),
  };
  const rec = await ctx.store.updateMeta<ModelInfo>('model', info.id, (m) => ({
    ...m, ...extra, measures: { ...m.measures, surgeryMs, ...(recovered?.before ? { beforeRecover: recovered.before } : {}) },
  }));
  return rec.meta;
}

/** Recovers `pruned` in place against `original`; optionally measures top-1 before. */
async function recoverWith(
  ctx: WorkerContext, original: tf.LayersModel, pruned: tf.LayersModel, removed: Record<string, number[]>, step: RecoverStep, job: JobOptions,
): Promise<{ report: ModelInfo['recover'] & {}; before?: EvalRecord }> {
  const ds = await loadDataset(ctx, step.datasetId);
  validateForDataset(original, { imageSize: ds.info.imageSize, classes: ds.info.classes });
  const train = requireSplit(ds, 'train');
  const input = getStudioMeta(original).input;
  let before: EvalRecord | undefined;
  if (step.evalLimit !== undefined) {
    const test = requireSplit(ds, 'test');
    const end = Math.min(step.evalLimit, test.count);
    const r = await evaluateModel(pruned, test, ds.info.imageSize, input, { end, signal: job.signal });
    before = { top1: r.top1, top5: r.top5, count: r.count, split: 'test', start: 0, end, at: Date.now() };
  }
  const o = step.options;
  const report = await recoverPruned(original, pruned, removed, train, {
    method: step.method, input, imageSize: ds.info.imageSize, images: o.calibrationImages, positions: o.positions, ridge: o.ridge,
    sampling: o.calibrationSampling, seed: o.seed, layers: o.layers, ...job,
  });
  return { report, before };
}

/**
 * Recovers a stored pruned version against the model it was pruned from (studio.reconstruct): a new version,
 * child of the pruned one. The pruned version must carry its pruning record (every version the studio prunes does).
 */
export async function reconstruct(
  ctx: WorkerContext, prunedId: string, originalId: string, datasetId: string, o: RecoverOptionsApi & { method?: RecoverMethod; evaluate?: boolean | number; evalLimit?: number; name?: string }, job: JobOptions,
): Promise<ReconstructResult> {
  const rec = await modelRecord(ctx, prunedId);
  const origRec = await modelRecord(ctx, originalId);
  if (!rec.pruning) throw new StudioError('bad-input', `"${rec.name}" carries no record of the channels surgery removed (it was not made by Prune, or was trained since): recover the version Prune made.`);
  if (rec.pruning.from !== originalId) throw new StudioError('bad-input', `"${rec.name}" was pruned from another model than "${origRec.name}": choose the model it was pruned from.`);
  const method = o.method ?? 'reconstruct';
  const sub = (lo: number, hi: number) => subJob(job, lo, hi);
  const limit = evalImages(o.evaluate, o.evalLimit);
  const copy = await loadModel(ctx, prunedId, true);
  let r: Awaited<ReturnType<typeof recoverWith>>;
  try {
    r = await withModel(ctx, originalId, (original) =>
      recoverWith(ctx, original, copy, rec.pruning!.removed, { method, datasetId, options: o, evalLimit: limit }, sub(0, 0.9)));
  } catch (e) {
    copy.dispose();
    throw e;
  }
  const info = await saveModel(ctx, copy, { name: o.name ?? versionName(rec.name, method === 'bn' ? 'BN recalibrated' : 'reconstructed'), parentId: prunedId, step: recoverStepName(method, r.report.images) });
  let meta = (await ctx.store.updateMeta<ModelInfo>('model', info.id, (m) => ({ ...m, criterion: rec.criterion, pruneRatio: rec.pruneRatio, pruning: rec.pruning, recover: r.report }))).meta;
  let top1After: number | undefined;
  if (limit !== undefined) {
    const ev = await quickEval(ctx, info.id, datasetId, limit, sub(0.9, 1));
    top1After = ev.top1;
    meta = await recordEval(ctx, info.id, ev, { afterPrune: ev, ...(r.before ? { beforeRecover: r.before } : {}) });
  }
  return { model: meta, recover: r.report, top1Before: r.before?.top1, top1After };
}

export async function pruneModel(
  ctx: WorkerContext, modelId: string, what: { remove: Record<string, number[]> } | PlanResult, options: PruneModelOptionsApi = {}, job: JobOptions = {},
): Promise<ModelInfo> {
  if (!what || typeof what !== 'object' || !('remove' in what)) throw new StudioError('bad-input', 'pruneModel needs {remove: {groupId: channelIndices}} or a plan from studio.plan().');
  const method = options.recover ?? 'none';
  if (method !== 'none' && !options.datasetId) throw new StudioError('bad-input', `Recovery (${method}) reads calibration images: pass datasetId.`);
  const evalLimit = options.datasetId ? evalImages(options.evaluate, options.evalLimit) : undefined;
  const recover: RecoverStep | undefined = method === 'none' ? undefined : { method, datasetId: options.datasetId!, options, evalLimit };
  const sub = (lo: number, hi: number) => subJob(job, lo, hi);
  const info = await pruneWith(ctx, modelId, what.remove, { ...options, recover }, sub(0, 0.9));
  if (evalLimit === undefined) return info;
  const ev = await quickEval(ctx, info.id, options.datasetId!, evalLimit, sub(0.9, 1));
  return recordEval(ctx, info.id, ev, { afterPrune: ev });
}

/** Test images auto-evaluation uses when a call does not say (studio.train / fineTune / prune / pruneModel / reconstruct). */
export const AUTO_EVAL_IMAGES = 1000;

/**
 * How many test images a call's `evaluate` option asks for: a number = that many, true = `evalLimit` (else
 * AUTO_EVAL_IMAGES), false or 0 = none; absent = AUTO_EVAL_IMAGES (every new version gets its top-1).
 */
export function evalImages(evaluate: boolean | number | undefined, evalLimit?: number): number | undefined {
  if (evaluate === false || evaluate === 0) return undefined;
  if (typeof evaluate === 'number') {
    if (!(Number.isInteger(evaluate) && evaluate > 0)) throw new StudioError('bad-input', `evaluate must be false or a whole number of test images ≥ 1 (got ${evaluate}).`);
    return evaluate;
  }
  return evalLimit ?? AUTO_EVAL_IMAGES;
}

/**
 * Auto-evaluation of a new version: top-1/top-5 on the first `limit` test images, recorded on the model as an
 * evaluation (`measures.evals['test:0-N']`, what Compare shows). Undefined when the dataset has no test split.
 */
export async function evaluateAndRecord(ctx: WorkerContext, modelId: string, datasetId: string, limit: number, job: JobOptions): Promise<{ ev: EvalRecord; model: ModelInfo } | undefined> {
  const ds = await loadDataset(ctx, datasetId);
  if (!ds.splits.test?.count) return undefined;
  const ev = await quickEval(ctx, modelId, datasetId, limit, job);
  const model = await recordEval(ctx, modelId, ev);
  return { ev, model };
}

/** Records `ev` as one of the model's evaluations (keyed by split and range). */
export async function recordEval(ctx: WorkerContext, modelId: string, ev: EvalRecord, extra: Partial<NonNullable<ModelInfo['measures']>> = {}): Promise<ModelInfo> {
  return (await ctx.store.updateMeta<ModelInfo>('model', modelId, (m) => ({
    ...m, measures: { ...m.measures, ...extra, evals: { ...m.measures?.evals, [`${ev.split}:${ev.start}-${ev.end}`]: ev } },
  }))).meta;
}

/** Top-1 on the test split's first `limit` images, recorded on the model. */
export async function quickEval(ctx: WorkerContext, modelId: string, datasetId: string, limit: number, job: JobOptions): Promise<EvalRecord> {
  const ds = await loadDataset(ctx, datasetId);
  const split = requireSplit(ds, 'test');
  const end = Math.min(limit, split.count);
  const r = await withModel(ctx, modelId, (model) => evaluateModel(model, split, ds.info.imageSize, getStudioMeta(model).input, { end, ...job }));
  return { top1: r.top1, top5: r.top5, count: r.count, split: 'test', start: 0, end, at: Date.now() };
}

export async function prune(
  ctx: WorkerContext, modelId: string, datasetId: string | null,
  o: PruneOptionsApi, job: JobOptions,
): Promise<PruneResult> {
  const sub = (lo: number, hi: number) => subJob(job, lo, hi);
  const method = o.recover ?? (datasetId ? 'reconstruct' : 'none');
  if (method !== 'none' && !datasetId) throw new StudioError('bad-input', `Recovery (${method}) reads calibration images: choose a dataset, or pass recover: 'none'.`);
  const dataCriterion = DATA_CRITERIA.includes(o.criterion);
  const [a1, a2] = method === 'none' ? [dataCriterion ? 0.8 : 0, 0.8] : [dataCriterion ? 0.4 : 0, 0.9];
  const analysis = await analyze(ctx, modelId, datasetId, o, sub(0, a1));
  const p = await planFor(ctx, modelId, datasetId, analysis, o, method, sub(a1, a1 + 0.1));
  const limit = datasetId ? evalImages(o.evaluate, o.evalLimit) : undefined;
  const recover: RecoverStep | undefined = method === 'none' ? undefined : { method, datasetId: datasetId!, options: o, evalLimit: limit };
  const info = await pruneWith(ctx, modelId, p.remove, {
    minChannels: o.minChannels, roundTo: p.rounding?.roundTo ?? (o.roundTo === 'auto' ? undefined : o.roundTo), protect: o.protect, name: o.name, criterion: o.criterion, step: `pruned by ${o.criterion}: ${describeTarget(o)}`, recover,
  }, sub(a1, a2));
  let top1AfterPrune: number | undefined;
  let model = info;
  if (limit !== undefined && datasetId) {
    const ev = await quickEval(ctx, info.id, datasetId, limit, sub(a2, 1));
    top1AfterPrune = ev.top1;
    model = await recordEval(ctx, info.id, ev, { afterPrune: ev });
  }
  return { model, plan: p, analysis, top1AfterPrune, ...(model.recover ? { recover: model.recover, top1BeforeRecover: model.measures?.beforeRecover?.top1 } : {}) };
}

/** 'auto' allocates by reconstruction error only when every system is at most this large (ResNets: 577; VGG-16: 4,608). */
const AUTO_ALLOCATION_MAX_UNKNOWNS = 1200;

/**
 * The plan prune() uses. 'auto' with reconstruction and a MACs target allocates by reconstruction error (measured
 * best, docs/pruning-engine.md) when the model has inner groups to allocate over, else the planner's 'auto'.
 */
export async function planFor(ctx: WorkerContext, modelId: string, datasetId: string | null, analysis: AnalysisResult, o: PruneOptionsApi, method: RecoverMethod | 'none', job: JobOptions): Promise<PlanResult> {
  const scope = o.scope ?? 'auto';
  if (scope === 'error') return planByError(ctx, modelId, datasetId, analysis, o, job);
  // a time target is planned from the latency table (importance per ms saved), not by reconstruction error
  if (hasLatencyTarget(o)) return plan(ctx, modelId, analysis, o, job);
  if (scope === 'auto' && method === 'reconstruct' && datasetId && o.target.macs !== undefined && !o.target.ratios) {
    const inner = await plan(ctx, modelId, analysis, { ...o, scope: 'inner' });
    if (Object.values(inner.ratios).some((r) => r > 0) && !inner.warnings?.length) {
      try {
        const p = await planByError(ctx, modelId, datasetId, analysis, o, job, AUTO_ALLOCATION_MAX_UNKNOWNS);
        if (!p.warnings?.length) return { ...p, scopeReason: `auto: ${p.scopeReason}; residual streams and concatenated features kept whole` };
      } catch (e) {
        if ((e as { code?: string }).code !== 'bad-input') throw e;
      }
    }
  }
  return plan(ctx, modelId, analysis, o);
}

/** scope 'error': per-group ratios from measured reconstruction error under the MACs target, then a plan with them. */
async function planByError(ctx: WorkerContext, modelId: string, datasetId: string | null, analysis: AnalysisResult, o: PruneOptionsApi, job: JobOptions, maxUnknowns?: number): Promise<PlanResult> {
  if (!datasetId) throw new StudioError('bad-input', "Scope 'error' measures reconstruction errors on calibration images: choose a dataset.");
  if (o.target.macs === undefined || hasLatencyTarget(o)) throw new StudioError('bad-input', "Scope 'error' allocates under a MACs target: pass target.macs (and no latency or speed-up target; those plan from the latency table).");
  const { model, graph } = await graphOf(ctx, modelId);
  const ds = await loadDataset(ctx, datasetId);
  validateForDataset(model, { imageSize: ds.info.imageSize, classes: ds.info.classes });
  const a = await allocateByReconstruction(model, graph, analysis as Analysis, requireSplit(ds, 'train'), {
    input: getStudioMeta(model).input, imageSize: ds.info.imageSize, target: { macs: o.target.macs }, images: Math.min(256, o.calibrationImages ?? 256),
    maxRatio: o.maxRatio, seed: o.seed, maxUnknowns, ...job,
  });
  // the allocated ratios as per-group weights under the same MACs target: rounding (roundTo) is then absorbed by the
  // planner's bisection instead of missing the target
  const p = await planWithRounding(model, graph, analysis as Analysis, { ...o, scope: 'uniform', target: { macs: o.target.macs, ratios: a.ratios } });
  return { ...p, scope: 'error', scopeReason: `per-group ratios allocated by measured reconstruction error under the MACs target (${Object.keys(a.ratios).length} inner groups, ${(a.ms / 1000).toFixed(1)} s)` };
}

export async function featureMaps(
  ctx: WorkerContext, modelId: string, datasetId: string, layer: string, o: { image?: number; maxChannels?: number } = {},
): Promise<{ width: number; height: number; channels: number; maps: Float32Array[] }> {
  const model = await loadModel(ctx, modelId);
  const ds = await loadDataset(ctx, datasetId);
  const split = requireSplit(ds, 'test');
  const idx = Math.max(0, Math.min(split.count - 1, o.image ?? 0));
  let target: tf.SymbolicTensor;
  try {
    target = model.getLayer(layer).output as tf.SymbolicTensor;
  } catch {
    throw new StudioError('not-found', `The model has no layer "${layer}".`);
  }
  if (target.shape.length !== 4) throw new StudioError('bad-input', `Layer "${layer}" does not output feature maps (shape ${JSON.stringify(target.shape)}).`);
  const sub = tf.model({ inputs: model.inputs, outputs: target });
  const s = ds.info.imageSize;
  const input = getStudioMeta(model).input;
  const scale = (input.range[1] - input.range[0]) / 255;
  const out = tf.tidy(() => {
    const px = split.images.subarray(idx * s * s * 3, (idx + 1) * s * s * 3);
    let x = tf.tensor4d(Float32Array.from(px, (v) => v * scale + input.range[0]), [1, s, s, 3]);
    if (input.normalizeOutside) x = x.sub(tf.tensor1d(input.mean)).div(tf.tensor1d(input.std));
    return sub.predict(x) as tf.Tensor4D;
  });
  const [, h, w, c] = out.shape;
  const data = await out.data();
  out.dispose();
  const n = Math.min(c, o.maxChannels ?? 64);
  const maps: Float32Array[] = [];
  for (let ch = 0; ch < n; ch++) {
    const m = new Float32Array(h * w);
    for (let i = 0; i < h * w; i++) m[i] = data[i * c + ch]!;
    maps.push(m);
  }
  return { width: w, height: h, channels: c, maps };
}

export async function sensitivity(
  ctx: WorkerContext, modelId: string, datasetId: string, analysis: AnalysisResult, o: SensitivityOptionsApi, job: JobOptions,
): Promise<SensitivityResult> {
  const { model, graph } = await graphOf(ctx, modelId);
  const ds = await loadDataset(ctx, datasetId);
  validateForDataset(model, { imageSize: ds.info.imageSize, classes: ds.info.classes });
  return runSensitivity(model, graph, analysis as Analysis, requireSplit(ds, 'test'), ds.info.imageSize, { ...o, input: getStudioMeta(model).input, ...job });
}

export async function sensitivityRatios(ctx: WorkerContext, modelId: string, result: SensitivityResult, macs: number, maxRatio?: number): Promise<Record<string, number>> {
  const { model, graph } = await graphOf(ctx, modelId);
  return ratiosForTarget(model, graph, result, macs, maxRatio);
}
