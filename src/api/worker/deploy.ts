/**
 * Deployment bundles (Step 4): export chosen models + the first N test images + the desktop's predictions as one
 * .psbundle; run a bundle on this device (the same PWA opened on a phone) on each available backend; and attach a
 * phone's results to the desktop's models as a device column (ModelInfo.measures.devices[deviceLabel][backend]).
 */
import * as tf from '@tensorflow/tfjs';
import { activeBackend, backendStatuses, switchBackend } from '../../engine/backends/probe';
import type { BackendName } from '../../engine/backends/types';
import { decodeBundle, encodeBundle, packModel } from '../../engine/deploy/bundle';
import { decodeResults } from '../../engine/deploy/results';
import { LITERT_BUNDLE_BACKEND, runBundle as runDecodedBundle } from '../../engine/deploy/run';
import { exportTfliteModel } from '../../engine/export/export-tflite';
import { TfliteRunner } from '../../engine/export/litert';
import type {
  BundleModelInput,
  BundleRole,
  DeployResults,
  DeviceLatencyRecord,
  ExportBundleOptions,
  ImportResultsSummary,
  RunBundleOptions,
} from '../../engine/deploy/types';
import { StudioError } from '../../engine/errors';
import { predictLabels } from '../../engine/metrics/evaluate';
import { describeDevice } from '../../engine/metrics/latency';
import { outputUnits, getStudioMeta } from '../../engine/models/metadata';
import type { ModelInfo } from '../../engine/models/types';
import type { JobOptions } from '../../engine/progress';
import { STUDIO_VERSION } from '../version';
import type { WorkerContext } from './context';
import { loadDataset, requireSplit } from './datasets';
import { loadModel, modelRecord } from './models';
import { workerLiteRtLoader } from './litert-loader';

export const DEFAULT_BUNDLE_IMAGES = 300;
/** The type the PWA manifest's file_handlers registers for .psbundle. */
export const BUNDLE_MIME = 'application/x-pruning-bundle';
export const DEFAULT_DEVICE_BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm'];

function roleOf(info: ModelInfo): BundleRole {
  return info.criterion !== undefined || info.pruneRatio !== undefined || info.lineage.some((s) => /prun/i.test(s)) ? 'pruned' : 'original';
}

/** Builds a .psbundle of `modelIds` with the first `images` test images of `datasetId`. */
export async function exportBundle(
  ctx: WorkerContext,
  modelIds: string[],
  datasetId: string,
  options: ExportBundleOptions = {},
  job: JobOptions = {},
): Promise<Blob> {
  if (modelIds.length === 0) throw new StudioError('bad-input', 'Pick at least one model for the bundle.');
  const ds = await loadDataset(ctx, datasetId);
  const test = requireSplit(ds, 'test');
  const want = options.images ?? DEFAULT_BUNDLE_IMAGES;
  if (!(Number.isInteger(want) && want >= 1)) throw new StudioError('bad-input', `Bundle image count must be a whole number ≥ 1 (got ${want}).`);
  const count = Math.min(want, test.count);
  const size = ds.info.imageSize;
  const px = size * size * 3;
  const images = test.images.slice(0, count * px);
  const labels = test.labels.slice(0, count);
  const models: BundleModelInput[] = [];
  const desktopPredictions: Record<string, Int16Array> = {};
  for (const [i, id] of modelIds.entries()) {
    const info = await modelRecord(ctx, id);
    const model = await loadModel(ctx, id);
    const [h, w] = info.inputShape;
    if (h !== size || w !== size) throw new StudioError('shape-mismatch', `Model "${info.name}" takes ${h}×${w} images but dataset "${ds.info.name}" has ${size}×${size}.`);
    if (outputUnits(model) !== ds.info.classes.length)
      throw new StudioError('classes-mismatch', `Model "${info.name}" has ${outputUnits(model)} outputs but dataset "${ds.info.name}" has ${ds.info.classes.length} classes.`);
    const pred = await predictLabels(model, images, size, getStudioMeta(model).input, {
      signal: job.signal,
      onProgress: job.onProgress ? (p) => job.onProgress!({ ...p, phase: 'desktop predictions', fraction: (i + p.fraction) / modelIds.length, message: info.name }) : undefined,
    });
    desktopPredictions[id] = Int16Array.from(pred);
    const { json, weights } = await packModel(model);
    // The float32 .tflite too, so the phone times LiteRT.js (a layer with no .tflite mapping: the bundle goes without).
    let tflite: Uint8Array | undefined;
    try {
      tflite = exportTfliteModel(model, { weights: 'float32', name: info.name, studioVersion: STUDIO_VERSION }).bytes;
    } catch (e) {
      if (!(e instanceof StudioError && e.code === 'unsupported-layer')) throw e;
    }
    models.push({ id, name: info.name, role: roleOf(info), info: { params: info.params, macs: info.macs, flops: info.flops, bytes: info.bytes, arch: info.arch, lineage: info.lineage }, json, weights, ...(tflite ? { tflite } : {}) });
  }
  const bytes = encodeBundle({
    studioVersion: STUDIO_VERSION,
    models,
    images,
    labels,
    imageSize: size,
    classes: ds.info.classes,
    desktopPredictions,
    benchmark: { warmup: options.warmup ?? 10, runs: options.runs ?? 50, minTimeMs: options.minTimeMs ?? 2000 },
    desktop: { ...describeDevice(), backend: tf.getBackend() },
  });
  job.onProgress?.({ phase: 'bundle', fraction: 1 });
  return new Blob([bytes as BlobPart], { type: BUNDLE_MIME });
}

/** Default device backends: webgpu/webgl/wasm, minus those already probed and found unavailable. */
function defaultBackends(): BackendName[] {
  const st = backendStatuses();
  return DEFAULT_DEVICE_BACKENDS.filter((b) => {
    const s = st.find((x) => x.name === b);
    return !s || s.available || s.reason === 'not probed yet';
  });
}

/** Runs a bundle on this device, backend by backend; the previously active backend is restored afterwards. */
export async function runBundle(ctx: WorkerContext, blob: Blob, options: RunBundleOptions = {}, job: JobOptions = {}): Promise<DeployResults> {
  void ctx; // nothing is stored on the device: results go back to the desktop
  const bundle = decodeBundle(new Uint8Array(await blob.arrayBuffer()));
  // LiteRT.js runs on every device that has the bundle's .tflite files.
  const backends = options.backends ?? [...defaultBackends(), ...(bundle.models.some((m) => m.tflite) ? [LITERT_BUNDLE_BACKEND] : [])];
  if (backends.length === 0) throw new StudioError('backend-unavailable', 'No backend is available on this device to run the bundle.');
  const before = activeBackend();
  const device: Record<string, string | number | boolean> = { ...(options.device ?? {}) };
  for (const b of backends) {
    const d = backendStatuses().find((s) => s.name === b)?.details;
    if (b === 'webgpu' && d) for (const [k, v] of Object.entries(d)) if (v !== '' && device[`gpu.${k}`] === undefined) device[`gpu.${k}`] = v;
  }
  try {
    return await runDecodedBundle(bundle, {
      backends,
      switchBackend: async (b) => {
        await switchBackend(b as BackendName);
      },
      warmup: options.warmup, runs: options.runs, minTimeMs: options.minTimeMs,
      device, hidden: options.hidden, signal: job.signal, onProgress: job.onProgress,
      openTflite: (bytes) => TfliteRunner.create(workerLiteRtLoader, bytes),
    });
  } finally {
    if (tf.getBackend() !== before) await switchBackend(before).catch(() => undefined);
  }
}

/** Stores a phone's latencies under measures.devices[deviceLabel][backend] of the bundle's models found here. */
export async function importResults(ctx: WorkerContext, text: string): Promise<ImportResultsSummary> {
  const r = decodeResults(text);
  const models: string[] = [];
  const missing: string[] = [];
  for (const { id } of r.models) {
    if (!(await ctx.store.get<ModelInfo>('model', id))) {
      missing.push(id);
      continue;
    }
    const column: Record<string, DeviceLatencyRecord> = {};
    for (const [backend, run] of Object.entries(r.backends)) {
      if ('error' in run) continue;
      const x = run.models[id];
      if (!x || 'error' in x) continue;
      column[backend] = { ...x.latency, at: r.finishedAt, top1: x.top1, agreement: x.agreement, hiddenDuringRun: r.hiddenDuringRun };
    }
    if (Object.keys(column).length === 0) continue;
    await ctx.store.updateMeta<ModelInfo>('model', id, (m) => ({
      ...m,
      measures: { ...m.measures, devices: { ...m.measures?.devices, [r.deviceLabel]: { ...m.measures?.devices?.[r.deviceLabel], ...column } } },
    }));
    models.push(id);
  }
  return { deviceLabel: r.deviceLabel, models, missing };
}
