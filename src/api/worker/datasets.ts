/**
 * Dataset calls: import (CIFAR tarball / .bin files, custom folder or zip, URL), the demo set, listing, samples.
 * Pixel data is stored as parts `<split>.images` / `<split>.labels`; the record (meta) is written last, so an import
 * that fails or is cancelled leaves no dataset behind (orphan chunks are swept at start-up).
 */
import { importCifarArchive, importCifarFiles } from '../../engine/data/cifar';
import { entriesFromZipStream, importCustomDataset, type FileEntry, type ImageDecoder } from '../../engine/data/custom';
import { makeDemoDataset } from '../../engine/data/demo';
import { makeDatasetId } from '../../engine/data/ids';
import { measurePipeline } from '../../engine/data/throughput';
import type { Dataset, DatasetInfo, SplitData, SplitName } from '../../engine/data/types';
import { StudioError } from '../../engine/errors';
import type { JobOptions } from '../../engine/progress';
import type { DatasetSource, DatasetSummary, ImportDatasetOptions, NamedFile, SampleGrid } from '../types';
import { LruCache, type WorkerContext } from './context';

const datasetCache = new LruCache<Dataset>(2);
const SPLITS: SplitName[] = ['train', 'test', 'val'];

export function summary(info: DatasetInfo): DatasetSummary {
  const { id, name, kind, classes, counts, imageSize, bytes, createdAt, notes, labelSet, classCounts } = info;
  return { id, name, kind, classes, counts, imageSize, bytes, createdAt, notes, labelSet, classCounts };
}

function countLabels(split: SplitData | undefined, classes: number): number[] | undefined {
  if (!split) return undefined;
  const c = new Array<number>(classes).fill(0);
  for (let i = 0; i < split.count; i++) c[split.labels[i]!]!++;
  return c;
}

export async function saveDataset(ctx: WorkerContext, ds: Dataset): Promise<DatasetSummary> {
  const parts: Record<string, Uint8Array> = {};
  let bytes = 0;
  for (const s of SPLITS) {
    const split = ds.splits[s];
    if (!split) continue;
    parts[`${s}.images`] = split.images;
    parts[`${s}.labels`] = new Uint8Array(split.labels.buffer, split.labels.byteOffset, split.labels.byteLength);
    bytes += split.images.byteLength + split.labels.byteLength;
  }
  const k = ds.info.classes.length;
  const classCounts = { train: countLabels(ds.splits.train, k)!, test: countLabels(ds.splits.test, k)!, val: countLabels(ds.splits.val, k) };
  const info: DatasetInfo = { ...ds.info, bytes, classCounts };
  await ctx.store.put('dataset', info.id, info, parts);
  datasetCache.set(info.id, { info, splits: ds.splits });
  return summary(info);
}

export async function loadDataset(ctx: WorkerContext, id: string): Promise<Dataset> {
  const hit = datasetCache.get(id);
  if (hit) return hit;
  const rec = await ctx.store.require<DatasetInfo>('dataset', id);
  const splits: Partial<Record<SplitName, SplitData>> = {};
  for (const s of SPLITS) {
    if (rec.parts[`${s}.images`] === undefined) continue;
    const images = await ctx.store.getPart('dataset', id, `${s}.images`);
    const lb = await ctx.store.getPart('dataset', id, `${s}.labels`);
    const labels = new Uint16Array(lb.buffer, lb.byteOffset, lb.byteLength / 2);
    splits[s] = { images, labels, count: labels.length };
  }
  if (!splits.train || !splits.test) throw new StudioError('internal', `Dataset "${id}" is damaged in storage (a split is missing); delete and import it again.`);
  const ds: Dataset = { info: rec.meta, splits: { train: splits.train, test: splits.test, val: splits.val } };
  datasetCache.set(id, ds);
  return ds;
}

export function requireSplit(ds: Dataset, split: SplitName): SplitData {
  const s = ds.splits[split];
  if (!s) throw new StudioError('bad-input', `Dataset "${ds.info.name}" has no ${split} split.`);
  return s;
}

const lower = (s: string) => s.toLowerCase();
const isCifarFileName = (n: string) => /(data_batch_\d|test_batch|train|test)\.bin$|batches\.meta\.txt$|label_names\.txt$/.test(lower(n));

function fileEntries(files: NamedFile[]): FileEntry[] {
  return files.map((f) => ({ path: f.path, bytes: async () => new Uint8Array(await f.file.arrayBuffer()) }));
}

/** Blob-like with the name the CIFAR importer reads. */
function named(blob: Blob, name: string) {
  return { name, size: blob.size, stream: () => blob.stream() as ReadableStream<Uint8Array>, arrayBuffer: () => blob.arrayBuffer() };
}

async function fetchSource(url: string): Promise<{ blob: Blob; name: string }> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new StudioError('bad-input', `Could not fetch ${url}: ${e instanceof Error ? e.message : String(e)} (only this site's own URLs are allowed).`);
  }
  if (!res.ok) throw new StudioError('bad-input', `Could not fetch ${url}: HTTP ${res.status}.`);
  return { blob: await res.blob(), name: decodeURIComponent(new URL(url, self.location.href).pathname.split('/').pop() || 'download') };
}

export async function importDataset(
  ctx: WorkerContext,
  decoder: ImageDecoder,
  source: DatasetSource,
  options: ImportDatasetOptions = {},
  job: JobOptions = {},
): Promise<DatasetSummary> {
  const id = makeDatasetId('ds');
  const custom = (entries: FileEntry[], fallbackName: string) =>
    importCustomDataset(entries, {
      decoder, id, name: options.name ?? fallbackName, imageSize: options.imageSize, resizeMode: options.resize,
      testFraction: options.testFraction, valFraction: options.valFraction, seed: options.seed, ...job,
    });
  const cifarOpts = { id, datasetName: options.name, labelSet: options.labelSet, ...job };
  let ds: Dataset;
  if (typeof source === 'string') {
    const { blob, name } = await fetchSource(source);
    return importDataset(ctx, decoder, new File([blob], name), options, job);
  } else if (Array.isArray(source)) {
    if (source.length === 0) throw new StudioError('bad-input', 'No files were given.');
    if (source.every((f) => isCifarFileName(f.path))) ds = await importCifarFiles(source.map((f) => named(f.file, f.path.split('/').pop()!)), cifarOpts);
    else ds = await custom(fileEntries(source), source[0]!.path.split('/')[0] || 'custom');
  } else {
    const name = (source as File).name ?? 'upload';
    const n = lower(name);
    if (n.endsWith('.tar.gz') || n.endsWith('.tgz') || n.endsWith('.tar')) ds = await importCifarArchive(named(source, name), cifarOpts);
    else if (n.endsWith('.zip')) ds = await custom(await entriesFromZipStream(named(source, name), { name, signal: job.signal, onProgress: job.onProgress }), name.replace(/\.zip$/i, ''));
    else if (n.endsWith('.bin')) ds = await importCifarFiles([named(source, name)], cifarOpts);
    else throw new StudioError('bad-input', `"${name}" is not a dataset this studio reads: use cifar-10-binary.tar.gz, cifar-100-binary.tar.gz, CIFAR .bin files, a .zip of class folders, or a folder.`);
  }
  return saveDataset(ctx, ds);
}

export async function createDemoDataset(ctx: WorkerContext, options: { trainPerClass?: number; testPerClass?: number; seed?: number } = {}): Promise<DatasetSummary> {
  const ds = makeDemoDataset(options);
  return saveDataset(ctx, ds);
}

export async function listDatasets(ctx: WorkerContext): Promise<DatasetSummary[]> {
  return (await ctx.store.list<DatasetInfo>('dataset')).map((r) => summary(r.meta));
}

export async function deleteDataset(ctx: WorkerContext, id: string): Promise<void> {
  await ctx.store.require('dataset', id);
  datasetCache.delete(id);
  await ctx.store.delete('dataset', id);
}

export async function datasetSamples(ctx: WorkerContext, id: string, options: { perClass?: number; split?: SplitName } = {}): Promise<SampleGrid> {
  const ds = await loadDataset(ctx, id);
  const split = requireSplit(ds, options.split ?? 'train');
  const perClass = Math.max(1, Math.min(32, options.perClass ?? 8));
  const size = ds.info.imageSize;
  const px = size * size;
  const taken = new Array<number>(ds.info.classes.length).fill(0);
  const samples: SampleGrid['samples'] = [];
  for (let i = 0; i < split.count && samples.length < perClass * ds.info.classes.length; i++) {
    const label = split.labels[i]!;
    if (taken[label]! >= perClass) continue;
    taken[label]!++;
    const rgba = new Uint8ClampedArray(px * 4);
    const src = split.images.subarray(i * px * 3, (i + 1) * px * 3);
    for (let p = 0; p < px; p++) {
      rgba[p * 4] = src[p * 3]!;
      rgba[p * 4 + 1] = src[p * 3 + 1]!;
      rgba[p * 4 + 2] = src[p * 3 + 2]!;
      rgba[p * 4 + 3] = 255;
    }
    samples.push({ label, index: i, rgba });
  }
  samples.sort((a, b) => a.label - b.label || a.index - b.index);
  return { imageSize: size, classes: ds.info.classes, samples };
}

export async function pipelineThroughput(ctx: WorkerContext, id: string, o: { batchSize?: number; augment?: boolean; batches?: number } = {}) {
  const ds = await loadDataset(ctx, id);
  return measurePipeline(ds.splits.train, ds.info.imageSize, { batchSize: o.batchSize ?? 128, augment: o.augment ?? true, shuffle: true }, o.batches ?? 50);
}
