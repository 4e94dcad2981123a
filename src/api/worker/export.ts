/**
 * Model export for real apps: `.tflite` (LiteRT / TensorFlow Lite) and `.onnx` (ONNX Runtime and others) written
 * by src/engine/export, and verification of an exported file by its own runtime (LiteRT.js, onnxruntime-web) in
 * this worker on the dataset's test images against the tfjs model.
 */
import { backendStatuses } from '../../engine/backends/probe';
import { isSoftwareAdapter } from '../../engine/backends/inference-default';
import { StudioError } from '../../engine/errors';
import { exportOnnxModel } from '../../engine/export/export-onnx';
import { exportTfliteModel } from '../../engine/export/export-tflite';
import { ONNX_LAYOUTS } from '../../engine/export/onnx';
import type { OnnxLayout } from '../../engine/export/onnx';
import { OnnxRunner } from '../../engine/export/ort';
import { TfliteRunner, timedRunOf, timeRunner } from '../../engine/export/litert';
import { EXPORT_RUNTIMES, isExportRuntime, openRuntime } from '../../engine/export/runtimes';
import type { ExportRuntime } from '../../engine/export/runtimes';
import { measurePairRuns } from '../../engine/metrics/latency';
import type { PairResult } from '../../engine/metrics/latency';
import type { LatencyStats } from '../types';
import type { RuntimeLatency } from '../../engine/export/litert';
import { WEIGHT_MODES } from '../../engine/export/tflite';
import type { WeightMode } from '../../engine/export/tflite';
import { verifyAgainstTfjs } from '../../engine/export/verify';
import type { ExportEncoding, RunImage, VerifyResult } from '../../engine/export/verify';
import { getStudioMeta } from '../../engine/models/metadata';
import type { JobOptions } from '../../engine/progress';
import { STUDIO_VERSION } from '../version';
import type { WorkerContext } from './context';
import { loadDataset, requireSplit } from './datasets';
import { workerLiteRtLoader } from './litert-loader';
import { loadModel, modelRecord } from './models';
import { ortThreads, workerOrtLoader } from './ort-loader';

export const TFLITE_MIME = 'application/vnd.tflite';
export const ONNX_MIME = 'application/onnx';
export const DEFAULT_VERIFY_IMAGES = 200;

function weightsOf(w: unknown): WeightMode {
  const m = (w ?? 'float32') as WeightMode;
  if (!WEIGHT_MODES.includes(m)) throw new StudioError('bad-input', `Unknown weight encoding '${String(w)}' (use ${WEIGHT_MODES.join(', ')}).`);
  return m;
}

/** The model as a .tflite file (batch 1, raw 0–255 RGB NHWC in, logits out). */
export async function exportTflite(ctx: WorkerContext, modelId: string, options: { weights?: WeightMode } = {}): Promise<Blob> {
  const weights = weightsOf(options.weights);
  const info = await modelRecord(ctx, modelId);
  const model = await loadModel(ctx, modelId);
  const { bytes } = exportTfliteModel(model, { weights, name: info.name, studioVersion: STUDIO_VERSION });
  return new Blob([bytes as BlobPart], { type: TFLITE_MIME });
}

/** Runs `run` on the first `images` test images of `datasetId` and compares with the tfjs model. */
async function verifyWith(
  ctx: WorkerContext,
  modelId: string,
  datasetId: string,
  images: number | undefined,
  runtime: { name: string; encoding: ExportEncoding; open: () => Promise<{ run: RunImage; dispose: () => void | Promise<void> }> },
  job: JobOptions,
): Promise<VerifyResult> {
  const model = await loadModel(ctx, modelId);
  const info = await modelRecord(ctx, modelId);
  const ds = await loadDataset(ctx, datasetId);
  const test = requireSplit(ds, 'test');
  const size = ds.info.imageSize;
  const [h, w] = info.inputShape;
  if (h !== size || w !== size) throw new StudioError('shape-mismatch', `Model "${info.name}" takes ${h}×${w} images but dataset "${ds.info.name}" has ${size}×${size}.`);
  const want = images ?? DEFAULT_VERIFY_IMAGES;
  if (!(Number.isInteger(want) && want >= 1)) throw new StudioError('bad-input', `Verification image count must be a whole number ≥ 1 (got ${want}).`);
  const count = Math.min(want, test.count);
  const px = size * size * 3;
  job.onProgress?.({ phase: `load ${runtime.name}`, fraction: 0 });
  const session = await runtime.open();
  try {
    return await verifyAgainstTfjs(
      model,
      session.run,
      { images: test.images.subarray(0, count * px), labels: test.labels.subarray(0, count), size, input: getStudioMeta(model).input },
      { runtime: runtime.name, encoding: runtime.encoding, signal: job.signal, onProgress: job.onProgress },
    );
  } finally {
    await session.dispose();
  }
}

/** Runs `file` in LiteRT.js on the first `images` test images of `datasetId` and compares with the tfjs model. */
export async function verifyTflite(
  ctx: WorkerContext,
  modelId: string,
  file: Blob,
  datasetId: string,
  options: { images?: number; weights?: WeightMode } = {},
  job: JobOptions = {},
): Promise<VerifyResult> {
  const weights = weightsOf(options.weights);
  return verifyWith(ctx, modelId, datasetId, options.images, {
    name: 'litert-wasm', encoding: weights,
    open: async () => {
      const runner = await TfliteRunner.create(workerLiteRtLoader, new Uint8Array(await file.arrayBuffer()));
      return { run: (x) => runner.run(x), dispose: () => runner.dispose() };
    },
  }, job);
}

function layoutOf(l: unknown): OnnxLayout {
  const m = (l ?? 'nhwc') as OnnxLayout;
  if (!ONNX_LAYOUTS.includes(m)) throw new StudioError('bad-input', `Unknown ONNX input layout '${String(l)}' (use ${ONNX_LAYOUTS.join(' or ')}).`);
  return m;
}

/** The model as an .onnx file (opset 17, batch 1, raw 0–255 RGB in, NHWC by default or NCHW, logits out). */
export async function exportOnnx(ctx: WorkerContext, modelId: string, options: { layout?: OnnxLayout } = {}): Promise<Blob> {
  const layout = layoutOf(options.layout);
  const info = await modelRecord(ctx, modelId);
  const model = await loadModel(ctx, modelId);
  const { bytes } = exportOnnxModel(model, { layout, name: info.name, studioVersion: STUDIO_VERSION });
  return new Blob([bytes as BlobPart], { type: ONNX_MIME });
}

/** Runs `file` in onnxruntime-web (wasm EP) on the first `images` test images of `datasetId` and compares with tfjs. */
export async function verifyOnnx(
  ctx: WorkerContext,
  modelId: string,
  file: Blob,
  datasetId: string,
  options: { images?: number } = {},
  job: JobOptions = {},
): Promise<VerifyResult> {
  return verifyWith(ctx, modelId, datasetId, options.images, {
    name: 'ort-wasm', encoding: 'float32',
    open: async () => {
      const runner = await OnnxRunner.create(workerOrtLoader, new Uint8Array(await file.arrayBuffer()));
      return { run: (x) => runner.runNhwc(x), dispose: () => runner.dispose() };
    },
  }, job);
}

/** Batch-1 latency of an .onnx file in onnxruntime-web (wasm EP) in this worker. */
export async function benchmarkOnnx(file: Blob, options: { warmup?: number; runs?: number; minTimeMs?: number } = {}, job: JobOptions = {}): Promise<RuntimeLatency> {
  const runner = await OnnxRunner.create(workerOrtLoader, new Uint8Array(await file.arrayBuffer()));
  try {
    return await timeRunner(runner, { ...options, signal: job.signal });
  } finally {
    await runner.dispose();
  }
}

/** Batch-1 latency of a .tflite file in LiteRT.js (CPU / XNNPACK, single thread) in this worker. */
export async function benchmarkTflite(file: Blob, options: { warmup?: number; runs?: number; minTimeMs?: number } = {}, job: JobOptions = {}): Promise<RuntimeLatency> {
  const runner = await TfliteRunner.create(workerLiteRtLoader, new Uint8Array(await file.arrayBuffer()));
  try {
    return await timeRunner(runner, { ...options, signal: job.signal });
  } finally {
    runner.dispose();
  }
}

/** The runtimes this device can time: LiteRT.js and ORT on wasm always; LiteRT.js on WebGPU on a real adapter only. */
export function defaultRuntimes(): ExportRuntime[] {
  const gpu = backendStatuses().find((b) => b.name === 'webgpu');
  const realGpu = !!gpu?.available && !isSoftwareAdapter(gpu.details);
  return realGpu ? ['litert-wasm', 'litert-webgpu', 'ort-wasm'] : ['litert-wasm', 'ort-wasm'];
}

/** Validates a runtime list (`bad-input` naming an unknown one). */
export function runtimesOf(list: readonly unknown[]): ExportRuntime[] {
  for (const r of list) if (!isExportRuntime(r)) throw new StudioError('bad-input', `Unknown runtime '${String(r)}' (use ${EXPORT_RUNTIMES.join(', ')}).`);
  return [...list] as ExportRuntime[];
}

function threadsOf(r: ExportRuntime): number {
  return r === 'ort-wasm' ? ortThreads() : 1;
}

const LOADERS = { litert: workerLiteRtLoader, ort: workerOrtLoader };

/**
 * Batch-1 latency of a model in each runtime (exported in memory, float32; the .onnx NHWC), timed like the tfjs
 * backends. `throughput` is batch-1 images/s (1000 / mean); a runtime that fails gets `{ error }`.
 */
export async function benchmarkRuntimes(
  ctx: WorkerContext,
  modelId: string,
  list: readonly unknown[],
  o: { warmup?: number; runs?: number; minTimeMs?: number; maxTimeMs?: number },
  job: JobOptions = {},
): Promise<Partial<Record<ExportRuntime, LatencyStats | { error: string }>>> {
  const runtimes = runtimesOf(list);
  const out: Partial<Record<ExportRuntime, LatencyStats | { error: string }>> = {};
  for (const [i, r] of runtimes.entries()) {
    job.onProgress?.({ phase: `latency ${r}`, fraction: i / runtimes.length });
    try {
      const session = await openRuntime(await loadModel(ctx, modelId), r, LOADERS);
      try {
        const t = await timeRunner(session, { ...o, signal: job.signal });
        out[r] = { ...t, throughput: 1000 / t.meanMs, threads: threadsOf(r) };
      } finally {
        await session.dispose();
      }
    } catch (e) {
      if (e instanceof Error && (e as { code?: string }).code === 'cancelled') throw e;
      out[r] = { error: e instanceof Error ? e.message : String(e) };
    }
  }
  return out;
}

/** A vs B interleaved in each runtime (the same paired timing as the tfjs backends, metrics/latency.ts). */
export async function benchmarkPairRuntimes(
  ctx: WorkerContext,
  aId: string,
  bId: string,
  list: readonly unknown[],
  o: { warmup?: number; pairs?: number; minTimeMs?: number; maxTimeMs?: number; batch?: number },
  job: JobOptions = {},
): Promise<Partial<Record<ExportRuntime, PairResult | { error: string }>>> {
  const runtimes = runtimesOf(list);
  if ((o.batch ?? 1) !== 1) throw new StudioError('bad-input', 'Runtimes are timed at batch 1 (the exported files take one image).');
  const out: Partial<Record<ExportRuntime, PairResult | { error: string }>> = {};
  for (const [i, r] of runtimes.entries()) {
    try {
      const sa = await openRuntime(await loadModel(ctx, aId), r, LOADERS);
      try {
        const sb = await openRuntime(await loadModel(ctx, bId), r, LOADERS);
        try {
          if (sa.inputShape.join() !== sb.inputShape.join()) throw new StudioError('shape-mismatch', `The two models take different inputs ([${sa.inputShape.join(', ')}] vs [${sb.inputShape.join(', ')}]).`);
          out[r] = await measurePairRuns(timedRunOf(sa), timedRunOf(sb), {
            ...o, batch: 1, backend: r, threads: threadsOf(r), signal: job.signal,
            onProgress: job.onProgress ? (p) => job.onProgress!({ ...p, phase: `paired latency ${r}`, fraction: (i + p.fraction) / runtimes.length }) : undefined,
          });
        } finally {
          await sb.dispose();
        }
      } finally {
        await sa.dispose();
      }
    } catch (e) {
      if (e instanceof Error && (e as { code?: string }).code === 'cancelled') throw e;
      out[r] = { error: e instanceof Error ? e.message : String(e) };
    }
  }
  return out;
}
