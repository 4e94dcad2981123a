/**
 * Model calls: zoo, import, export, list, details. Models are stored as artifacts with parts `model.json`
 * (topology + weight specs + userDefinedMetadata) and `weights`; the record is the ModelInfo shown everywhere.
 * Every change (training, pruning, fine-tuning) writes a NEW model version; a stored model is never modified.
 */
import type * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../engine/errors';
import { countModel } from '../../engine/metrics/count';
import { exportModelFiles, exportModelZip, importModelFromFiles, modelFromArtifacts, modelToArtifacts, type NamedBytes } from '../../engine/models/io';
import { getStudioMeta, setStudioMeta } from '../../engine/models/metadata';
import { cutCandidates as cutPoints } from '../../engine/models/transfer';
import type { ModelInfo } from '../../engine/models/types';
import { createZooModel, isZooArch, ZOO } from '../../engine/models/zoo/index';
import { newId } from '../../engine/storage/artifacts';
import type { ModelDetails, ModelSource, ZooEntry } from '../types';
import type { WorkerContext } from './context';
import type { ModelLease } from './model-cache';
import { loadDataset } from './datasets';
import { deleteAnalysesOf } from './analyses';
import { importNames } from './names';

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface SaveOptions { name: string; parentId?: string; step?: string }

/** Stores `model` as a new version and returns its info. */
export async function saveModel(ctx: WorkerContext, model: tf.LayersModel, opts: SaveOptions): Promise<ModelInfo> {
  const meta = getStudioMeta(model);
  const parent = opts.parentId ? (await ctx.store.get<ModelInfo>('model', opts.parentId))?.meta : undefined;
  const lineage = [...(parent?.lineage ?? meta.lineage ?? []), ...(opts.step ? [opts.step] : [])];
  setStudioMeta(model, { ...meta, parentId: opts.parentId ?? meta.parentId, lineage });
  const a = await modelToArtifacts(model);
  const { weightData, ...json } = a;
  const weights = new Uint8Array(weightData as ArrayBuffer);
  const c = countModel(model);
  const shape = model.inputs[0]!.shape;
  const info: ModelInfo = {
    id: newId('model'),
    name: opts.name,
    arch: meta.arch,
    classes: meta.classes,
    inputShape: [shape[1] ?? -1, shape[2] ?? -1, shape[3] ?? 3],
    params: c.trainableParams,
    macs: c.macs,
    flops: c.flops,
    bytes: c.bytes,
    parentId: opts.parentId,
    createdAt: Date.now(),
    lineage,
  };
  await ctx.store.put('model', info.id, info, { 'model.json': enc.encode(JSON.stringify(json)), weights });
  ctx.models.set(info.id, model);
  return info;
}

/**
 * Loads a stored model. The cached instance is shared and must be treated as read-only; it is only borrowed: another
 * load may evict it once the caller awaits, unless a job holds it (`acquireModel` / `withModel`; every long job in
 * engine-api.ts holds the models it names for its whole run). Pass `fresh` to get a private copy that may be trained
 * or changed (and is the caller's to dispose).
 */
export async function loadModel(ctx: WorkerContext, id: string, fresh = false): Promise<tf.LayersModel> {
  if (!fresh) {
    const hit = ctx.models.get(id);
    if (hit) return hit;
  }
  const model = await readModel(ctx, id);
  if (fresh) return model;
  // Another call may have loaded the same id while this one read storage: keep the cached one.
  const raced = ctx.models.get(id);
  if (raced) {
    model.dispose();
    return raced;
  }
  ctx.models.set(id, model);
  return model;
}

async function readModel(ctx: WorkerContext, id: string): Promise<tf.LayersModel> {
  await ctx.store.require('model', id);
  const json = JSON.parse(dec.decode(await ctx.store.getPart('model', id, 'model.json'))) as tf.io.ModelArtifacts;
  const weights = await ctx.store.getPart('model', id, 'weights');
  return modelFromArtifacts({ ...json, weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer });
}

/** Loads (or finds) model `id` in the cache and holds it until `release()`: it is never disposed while held. */
export async function acquireModel(ctx: WorkerContext, id: string): Promise<ModelLease> {
  for (;;) {
    await loadModel(ctx, id);
    // loadModel returned the cached instance; it is still cached unless a concurrent load evicted it in between.
    if (ctx.models.has(id)) return ctx.models.acquire(id);
  }
}

/** Runs `fn` with model `id` held for its whole duration (released however `fn` ends). */
export async function withModel<T>(ctx: WorkerContext, id: string, fn: (model: tf.LayersModel) => Promise<T> | T): Promise<T> {
  const lease = await acquireModel(ctx, id);
  try {
    return await fn(lease.model);
  } finally {
    lease.release();
  }
}

/** Holds every listed model (duplicates and undefined skipped) for the duration of `fn`. */
export async function withModels<T>(ctx: WorkerContext, ids: (string | undefined)[], fn: () => Promise<T>): Promise<T> {
  const leases: ModelLease[] = [];
  try {
    for (const id of new Set(ids.filter((x): x is string => typeof x === 'string'))) leases.push(await acquireModel(ctx, id));
    return await fn();
  } finally {
    for (const l of leases) l.release();
  }
}

export async function modelRecord(ctx: WorkerContext, id: string): Promise<ModelInfo> {
  return (await ctx.store.require<ModelInfo>('model', id)).meta;
}

export function zoo(): ZooEntry[] {
  return Object.entries(ZOO).map(([arch, e]) => ({ arch, label: e.label, paperParams: e.paperParams, paperMacs: e.paperMacs, description: e.description }));
}

export async function createModel(
  ctx: WorkerContext,
  arch: string,
  o: { numClasses?: number; inputSize?: number; classes?: string[]; datasetId?: string; seed?: number; name?: string },
): Promise<ModelInfo> {
  if (!isZooArch(arch)) throw new StudioError('bad-input', `Unknown architecture "${arch}". Choose one of: ${Object.keys(ZOO).join(', ')}.`);
  let { numClasses, inputSize, classes } = o;
  if (o.datasetId) {
    const ds = await loadDataset(ctx, o.datasetId);
    classes ??= ds.info.classes;
    numClasses ??= ds.info.classes.length;
    inputSize ??= ds.info.imageSize;
  }
  const model = createZooModel(arch, { numClasses: numClasses ?? classes?.length ?? 10, inputSize: inputSize ?? 32, classes, seed: o.seed });
  return saveModel(ctx, model, { name: o.name ?? `${ZOO[arch].label} (untrained)` });
}

async function bytesOf(b: Blob): Promise<Uint8Array> {
  return new Uint8Array(await b.arrayBuffer());
}

async function fetchModelFiles(url: string): Promise<NamedBytes[]> {
  const get = async (u: string) => {
    const res = await fetch(u).catch((e: unknown) => {
      throw new StudioError('bad-input', `Could not fetch ${u}: ${e instanceof Error ? e.message : String(e)}`);
    });
    if (!res.ok) throw new StudioError(res.status === 404 ? 'missing-file' : 'bad-input', `Could not fetch ${u}: HTTP ${res.status}.`);
    return new Uint8Array(await res.arrayBuffer());
  };
  const base = new URL(url, self.location.href);
  const jsonBytes = await get(base.href);
  if (base.pathname.toLowerCase().endsWith('.zip')) return [{ name: 'model.zip', bytes: jsonBytes }];
  const manifest = (JSON.parse(dec.decode(jsonBytes)) as { weightsManifest?: { paths: string[] }[] }).weightsManifest ?? [];
  const files: NamedBytes[] = [{ name: 'model.json', bytes: jsonBytes }];
  for (const group of manifest) for (const p of group.paths) files.push({ name: p, bytes: await get(new URL(p, base).href) });
  return files;
}

export async function importModel(ctx: WorkerContext, source: ModelSource, options: { name?: string } = {}): Promise<ModelInfo> {
  let files: NamedBytes[];
  let fallbackName: string | undefined;
  if (typeof source === 'string') {
    files = await fetchModelFiles(source);
    fallbackName = source.split('/').slice(-2).join('/');
  } else if (Array.isArray(source)) {
    files = await Promise.all(source.map(async (f) => ({ name: f.path.split('/').pop()!, bytes: await bytesOf(f.file) })));
    const dir = source[0]?.path.split('/');
    if (dir && dir.length > 1) fallbackName = dir[dir.length - 2]!;
  } else {
    const name = (source as File).name ?? 'model.zip';
    files = [{ name, bytes: await bytesOf(source) }];
    fallbackName = name.replace(/\.(zip|json)$/i, '');
  }
  const model = await importModelFromFiles(files);
  const meta = getStudioMeta(model);
  const archLabel = isZooArch(meta.arch) ? ZOO[meta.arch].label : meta.arch !== 'imported' ? meta.arch : undefined;
  const names = importNames(archLabel, fallbackName);
  return saveModel(ctx, model, { name: options.name ?? names.name, step: names.step });
}

export async function listModels(ctx: WorkerContext): Promise<ModelInfo[]> {
  return (await ctx.store.list<ModelInfo>('model')).map((r) => r.meta);
}

export async function deleteModel(ctx: WorkerContext, id: string): Promise<void> {
  await ctx.store.require('model', id);
  ctx.models.delete(id);
  await ctx.store.delete('model', id);
  await deleteAnalysesOf(ctx, id);
}

export async function exportModel(ctx: WorkerContext, id: string): Promise<Blob> {
  const info = await modelRecord(ctx, id);
  const zip = await withModel(ctx, id, (m) => exportModelZip(m, info.name));
  return new Blob([zip as BlobPart], { type: 'application/zip' });
}

export async function exportFiles(ctx: WorkerContext, id: string): Promise<{ name: string; blob: Blob }[]> {
  const files = await withModel(ctx, id, (m) => exportModelFiles(m));
  return files.map((f) => ({ name: f.name, blob: new Blob([f.bytes as BlobPart], { type: f.name.endsWith('.json') ? 'application/json' : 'application/octet-stream' }) }));
}

export async function modelInfo(ctx: WorkerContext, id: string): Promise<ModelDetails> {
  const info = await modelRecord(ctx, id);
  const c = await withModel(ctx, id, (m) => countModel(m));
  return { ...info, layers: c.layers.map(({ name, className, params, macs, outShape }) => ({ name, className, params, macs, outShape })), trainableParams: c.trainableParams, countWarnings: c.warnings };
}

export async function cutCandidates(ctx: WorkerContext, id: string): Promise<string[]> {
  return withModel(ctx, id, (m) => cutPoints(m));
}
