/**
 * The exported files' runtimes as benchmark targets next to the tfjs backends: `litert-wasm` (LiteRT.js, XNNPACK,
 * the .tflite float32), `litert-webgpu` (LiteRT.js's GPU path, offered only on a real adapter) and `ort-wasm`
 * (onnxruntime-web's wasm EP, the .onnx NHWC). A session is opened from a tfjs model by exporting it in memory.
 */
import type * as tf from '@tensorflow/tfjs';
import { StudioError } from '../errors';
import { exportOnnxModel } from './export-onnx';
import { exportTfliteModel } from './export-tflite';
import { TfliteRunner } from './litert';
import type { LiteRtLoader, TimedRunner } from './litert';
import { OnnxRunner } from './ort';
import type { OrtLoader } from './ort';

export type ExportRuntime = 'litert-wasm' | 'litert-webgpu' | 'ort-wasm';
export const EXPORT_RUNTIMES: readonly ExportRuntime[] = ['litert-wasm', 'litert-webgpu', 'ort-wasm'];

export interface RuntimeSession extends TimedRunner {
  runtime: ExportRuntime;
  dispose(): Promise<void>;
}

export function isExportRuntime(v: unknown): v is ExportRuntime {
  return typeof v === 'string' && (EXPORT_RUNTIMES as readonly string[]).includes(v);
}

/** Exports `model` for `runtime` and opens it there. */
export async function openRuntime(model: tf.LayersModel, runtime: ExportRuntime, loaders: { litert: LiteRtLoader; ort: OrtLoader }): Promise<RuntimeSession> {
  if (runtime === 'ort-wasm') {
    const r = await OnnxRunner.create(loaders.ort, exportOnnxModel(model, { layout: 'nhwc' }).bytes);
    return { runtime, inputShape: r.inputShape, run: (x) => r.run(x), dispose: () => r.dispose() };
  }
  if (runtime === 'litert-wasm' || runtime === 'litert-webgpu') {
    const r = await TfliteRunner.create(loaders.litert, exportTfliteModel(model, { weights: 'float32' }).bytes, { accelerator: runtime === 'litert-webgpu' ? 'webgpu' : 'wasm' });
    return { runtime, inputShape: r.inputShape, run: (x) => r.run(x), dispose: async () => r.dispose() };
  }
  throw new StudioError('bad-input', `Unknown runtime '${String(runtime)}' (use ${EXPORT_RUNTIMES.join(', ')}).`);
}
