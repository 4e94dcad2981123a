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
import type { EvalRecord } from '../../engine/models/types';
import { validateForDataset } from '../../engine/models/validate';
import { ratiosForTarget, sensitivity as runSensitivity } from '../../engine/plan/sensitivity';
import { pruneModel as surgery, type PruneOptions } from '../../engine/prune';
import type { JobOptions } from '../../engine/progress';
import type { AnalysisResult, AnalyzeOptions, GroupSummary, PlanOptionsApi, PlanResult, PruneResult, SensitivityOptionsApi, SensitivityResult } from '../types';
import type { ModelInfo } from '../types';
import type { WorkerContext } from './context';
import { loadDataset, requireSplit } from './datasets';
import { loadModel, modelRecord, saveModel } from './models';
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

export async function plan(ctx: WorkerContext, modelId: string, analysis: AnalysisResult, o: PlanOptionsApi): Promise<PlanResult> {
  const { model, graph } = await graphOf(ctx, modelId);
  return planWithRounding(model, graph, analysis as Analysis, { scope: 'uniform', ...o });
}

function describeTarget(o: PlanOptionsApi): string {
  const t = o.target;
  const parts = [t.macs !== undefined ? `${Math.round(t.macs * 100)}% MACs` : '', t.params !== undefined ? `${Math.round(t.params * 100)}% params` : '', t.ratios ? 'per-layer ratios' : ''].filter(Boolean);
  return `${parts.join(', ') || 'explicit channels'} removed, ${o.scope ?? 'uniform'}`;
}

export async function pruneWith(
  ctx: WorkerContext, modelId: string, remove: Record<string, number[]>, options: PruneOptions & { name?: string; criterion?: string; step?: string },
): Promise<ModelInfo> {
  const { model } = await graphOf(ctx, modelId);
  const base = await modelRecord(ctx, modelId);
  const t0 = performance.now();
  const pruned = surgery(model, remove, options);
  const surgeryMs = performance.now() - t0;
  const info = await saveModel(ctx, pruned, {
    name: options.name ?? `${base.name} · pruned${options.criterion ? ` (${options.criterion})` : ''}`,
    parentId: modelId,
    step: options.step ?? `pruned ${Object.values(remove).reduce((n, r) => n + r.length, 0)} channels`,
  });
  const extra = { criterion: options.criterion, pruneRatio: base.macs > 0 ? 1 - info.macs / base.macs : 0 };
  const rec = await ctx.store.updateMeta<ModelInfo>('model', info.id, (m) => ({ ...m, ...extra, measures: { ...m.measures, surgeryMs } }));
  return rec.meta;
}

export async function pruneModel(
  ctx: WorkerContext, modelId: string, what: { remove: Record<string, number[]> } | PlanResult, options: PruneOptions & { name?: string } = {},
): Promise<ModelInfo> {
  if (!what || typeof what !== 'object' || !('remove' in what)) throw new StudioError('bad-input', 'pruneModel needs {remove: {groupId: channelIndices}} or a plan from studio.plan().');
  return pruneWith(ctx, modelId, what.remove, options);
}

/** Top-1 on the test split's first `limit` images, recorded on the model. */
export async function quickEval(ctx: WorkerContext, modelId: string, datasetId: string, limit: number, job: JobOptions): Promise<EvalRecord> {
  const ds = await loadDataset(ctx, datasetId);
  const split = requireSplit(ds, 'test');
  const model = await loadModel(ctx, modelId);
  const end = Math.min(limit, split.count);
  const r = await evaluateModel(model, split, ds.info.imageSize, getStudioMeta(model).input, { end, ...job });
  return { top1: r.top1, top5: r.top5, count: r.count, split: 'test', start: 0, end, at: Date.now() };
}

export async function prune(
  ctx: WorkerContext, modelId: string, datasetId: string | null,
  o: AnalyzeOptions & PlanOptionsApi & { evaluate?: boolean; name?: string; evalLimit?: number }, job: JobOptions,
): Promise<PruneResult> {
  const sub = (lo: number, hi: number) => (job.onProgress ? { ...job, onProgress: (p: Parameters<NonNullable<JobOptions['onProgress']>>[0]) => job.onProgress!({ ...p, fraction: lo + (hi - lo) * p.fraction }) } : job);
  const analysis = await analyze(ctx, modelId, datasetId, o, sub(0, 0.8));
  const p = await plan(ctx, modelId, analysis, o);
  const info = await pruneWith(ctx, modelId, p.remove, { minChannels: o.minChannels, roundTo: p.rounding?.roundTo ?? (o.roundTo === 'auto' ? undefined : o.roundTo), protect: o.protect, name: o.name, criterion: o.criterion, step: `pruned by ${o.criterion}: ${describeTarget(o)}` });
  let top1AfterPrune: number | undefined;
  let model = info;
  if (o.evaluate && datasetId) {
    const ev = await quickEval(ctx, info.id, datasetId, o.evalLimit ?? 1000, sub(0.8, 1));
    top1AfterPrune = ev.top1;
    model = (await ctx.store.updateMeta<ModelInfo>('model', info.id, (m) => ({ ...m, measures: { ...m.measures, afterPrune: ev } }))).meta;
  }
  return { model, plan: p, analysis, top1AfterPrune };
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
