/**
 * Stored importance analyses: every `analyze` result is kept with the model version it scored (one per criterion
 * and model: a new analysis with the same criterion replaces the older one), so the Analyse and Prune steps find
 * their scores again after a reload. Stored as an artifact of kind 'analysis': the record holds the groups without
 * their scores, and the scores of every group, concatenated, are one float32 part (written crash-safe with a CRC-32
 * like every part). Deleting the model deletes its analyses.
 */
import { StudioError } from '../../engine/errors';
import type { AnalysisResult, StoredAnalysis } from '../types';
import type { WorkerContext } from './context';

interface AnalysisMeta {
  id: string;
  modelId: string;
  datasetId: string | null;
  createdAt: number;
  criterion: AnalysisResult['criterion'];
  groups: { id: string; layers: string[]; channels: number; scores: number }[];
  warnings: string[];
  images: number;
  ms: number;
  workers?: number;
  batches?: number;
  batchSize?: number;
  seed?: number;
}

/** One stored analysis per model and criterion. */
export const analysisId = (modelId: string, criterion: string): string => `${modelId}~${criterion}`;

export async function storeAnalysis(
  ctx: WorkerContext, modelId: string, datasetId: string | null, a: AnalysisResult, settings: { batches?: number; batchSize?: number; seed?: number } = {},
): Promise<StoredAnalysis> {
  const id = analysisId(modelId, a.criterion);
  const total = a.groups.reduce((n, g) => n + g.scores.length, 0);
  const scores = new Float32Array(total);
  let off = 0;
  for (const g of a.groups) {
    scores.set(g.scores, off);
    off += g.scores.length;
  }
  const meta: AnalysisMeta = {
    id, modelId, datasetId, createdAt: Date.now(), criterion: a.criterion,
    groups: a.groups.map((g) => ({ id: g.id, layers: g.layers, channels: g.channels, scores: g.scores.length })),
    warnings: a.warnings, images: a.images, ms: a.ms, ...(a.workers !== undefined ? { workers: a.workers } : {}),
    ...(settings.batches !== undefined ? { batches: settings.batches } : {}),
    ...(settings.batchSize !== undefined ? { batchSize: settings.batchSize } : {}),
    ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
  };
  await ctx.store.put('analysis', id, meta, { scores: new Uint8Array(scores.buffer) });
  return { ...a, id, modelId, datasetId, createdAt: meta.createdAt };
}

async function readAnalysis(ctx: WorkerContext, meta: AnalysisMeta): Promise<StoredAnalysis> {
  const bytes = await ctx.store.getPart('analysis', meta.id, 'scores');
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let off = 0;
  const groups = meta.groups.map((g) => {
    const scores = Array.from(all.subarray(off, off + g.scores));
    off += g.scores;
    return { id: g.id, layers: g.layers, channels: g.channels, scores };
  });
  if (off !== all.length) throw new StudioError('storage-damaged', `Analysis "${meta.id}" has ${all.length} scores; its record says ${off}.`);
  return {
    criterion: meta.criterion, groups, warnings: meta.warnings, images: meta.images, ms: meta.ms,
    ...(meta.workers !== undefined ? { workers: meta.workers } : {}),
    id: meta.id, modelId: meta.modelId, datasetId: meta.datasetId, createdAt: meta.createdAt,
  };
}

/** The model's stored analyses, newest first. */
export async function listAnalyses(ctx: WorkerContext, modelId: string): Promise<StoredAnalysis[]> {
  const recs = (await ctx.store.list<AnalysisMeta>('analysis')).filter((r) => r.meta.modelId === modelId);
  const out = await Promise.all(recs.map((r) => readAnalysis(ctx, r.meta)));
  return out.sort((a, b) => b.createdAt - a.createdAt);
}

export async function deleteAnalysis(ctx: WorkerContext, id: string): Promise<void> {
  await ctx.store.require('analysis', id);
  await ctx.store.delete('analysis', id);
}

/** Deletes every analysis of `modelId` (when the model is deleted). */
export async function deleteAnalysesOf(ctx: WorkerContext, modelId: string): Promise<void> {
  for (const r of await ctx.store.list<AnalysisMeta>('analysis')) if (r.meta.modelId === modelId) await ctx.store.delete('analysis', r.id);
}
