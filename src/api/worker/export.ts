/**
 * Model export for real apps: `.tflite` (LiteRT / TensorFlow Lite) and `.onnx` (ONNX Runtime and others) written
 * by src/engine/export, and verification of an exported file by its own runtime (LiteRT.js, onnxruntime-web) in
 * this worker on the dataset's test images against the tfjs model.
 */
import { StudioError } from '../../engine/errors';
import { exportOnnxModel } from '../../engine/export/export-onnx';
import { exportTfliteModel } from '../../engine/export/export-tflite';
import { ONNX_LAYOUTS } from '../../engine/export/onnx';
import type { OnnxLayout } from '../../engine/export/onnx';
import { OnnxRunner } from '../../engine/export/ort';
import { TfliteRunner, timeRunner } from '../../engine/export/litert';
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
import { workerOrtLoader } from './ort-loader';

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
