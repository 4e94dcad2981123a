/**
 * Runs a decoded bundle on this device: for each requested backend, each model is rebuilt on that backend, timed
 * with measureLatency, and run on the bundled images (top-1, and agreement with the desktop's argmax). A backend
 * that cannot be switched to, or a model that fails on one backend, is reported as {error} and the rest still runs.
 * The pseudo-backend `litert-wasm` runs each model's bundled .tflite in LiteRT.js instead (what a native TFLite app's
 * CPU path, XNNPACK, would see), timed the same way and checked against the desktop's predictions.
 */
import type * as tf from '@tensorflow/tfjs';
import { isStudioError, throwIfAborted } from '../errors';
import { predictLabels } from '../metrics/evaluate';
import { describeDevice, measureLatency } from '../metrics/latency';
import { timeRunner } from '../export/litert';
import type { TimedRunner } from '../export/litert';
import { getStudioMeta } from '../models/metadata';
import type { JobOptions } from '../progress';
import { loadBundleModel } from './bundle';
import { deviceLabelOf } from './device-label';
import { RESULTS_FORMAT, RESULTS_VERSION, type BackendRun, type DecodedBundle, type DeployResults, type DeviceFacts, type ModelRunResult, type RunError } from './types';

export const AGREEMENT_THRESHOLD = 0.99;
/** The bundle backend that runs the bundled .tflite files in LiteRT.js. */
export const LITERT_BUNDLE_BACKEND = 'litert-wasm';

/** Opens a .tflite in LiteRT.js (injected: the worker's loader, or Node's in tests). */
export type OpenTflite = (bytes: Uint8Array) => Promise<TimedRunner & { dispose(): void | Promise<void> }>;
export const DIFFERS_MESSAGE = 'results differ from the desktop: reduced precision?';

export interface RunBundleEngineOptions extends JobOptions {
  backends: string[];
  switchBackend: (backend: string) => Promise<void>;
  /** Override the bundle's benchmark settings. */
  warmup?: number;
  runs?: number;
  minTimeMs?: number;
  /** Batch of the throughput measurement (default 32). */
  throughputBatch?: number;
  /** Extra device facts (GPU adapter info, client hints, `label`). */
  device?: DeviceFacts;
  /** Polled before and after every measurement; any true makes hiddenDuringRun true. */
  hidden?: () => boolean | Promise<boolean>;
  /** Needed for the `litert-wasm` backend. */
  openTflite?: OpenTflite;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function rethrowIfCancelled(e: unknown): void {
  if (isStudioError(e) && e.code === 'cancelled') throw e;
}

/** Fraction of equal entries. */
export function agreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  if (n === 0) return 0;
  let same = 0;
  for (let i = 0; i < n; i++) if (a[i] === b[i]) same++;
  return same / n;
}

async function runModel(bundle: DecodedBundle, id: string, o: RunBundleEngineOptions, onFraction: (f: number) => void): Promise<ModelRunResult> {
  const b = bundle.manifest.benchmark;
  let model: tf.LayersModel | undefined;
  try {
    model = await loadBundleModel(bundle, id);
    const r = await measureLatency(model, {
      warmup: o.warmup ?? b.warmup, runs: o.runs ?? b.runs, minTimeMs: o.minTimeMs ?? b.minTimeMs,
      throughputBatch: o.throughputBatch, signal: o.signal,
      onProgress: (p) => onFraction(p.fraction * 0.8),
    });
    throwIfAborted(o.signal);
    const pred = await predictLabels(model, bundle.images, bundle.manifest.images.size, getStudioMeta(model).input, { signal: o.signal });
    onFraction(1);
    const agree = agreement(pred, bundle.desktopPredictions[id]!);
    const top1 = agreement(pred, bundle.labels);
    const out: ModelRunResult = {
      latency: { medianMs: r.medianMs, p90Ms: r.p90Ms, minMs: r.minMs, meanMs: r.meanMs, runs: r.runs, throughput: r.throughput },
      top1,
      agreement: agree,
    };
    if (agree < AGREEMENT_THRESHOLD) out.flag = DIFFERS_MESSAGE;
    return out;
  } finally {
    model?.dispose();
  }
}

async function runTfliteModel(bundle: DecodedBundle, id: string, o: RunBundleEngineOptions, onFraction: (f: number) => void): Promise<ModelRunResult> {
  const b = bundle.manifest.benchmark;
  const m = bundle.models.find((x) => x.entry.id === id)!;
  if (!m.tflite) throw new Error('this bundle carries no .tflite for the model (re-export the bundle)');
  if (!o.openTflite) throw new Error('LiteRT.js is not available here');
  const runner = await o.openTflite(m.tflite);
  try {
    const r = await timeRunner(runner, { warmup: o.warmup ?? b.warmup, runs: o.runs ?? b.runs, minTimeMs: o.minTimeMs ?? b.minTimeMs, signal: o.signal });
    onFraction(0.8);
    const size = bundle.manifest.images.size;
    const px = size * size * 3;
    const count = bundle.manifest.images.count;
    const pred = new Int16Array(count);
    const x = new Float32Array(px);
    for (let i = 0; i < count; i++) {
      if (i % 20 === 0) throwIfAborted(o.signal);
      for (let k = 0; k < px; k++) x[k] = bundle.images[i * px + k]!;
      const y = await runner.run(x);
      let best = 0;
      for (let c = 1; c < y.length; c++) if (y[c]! > y[best]!) best = c;
      pred[i] = best;
    }
    onFraction(1);
    const agree = agreement(pred, bundle.desktopPredictions[id]!);
    const out: ModelRunResult = {
      latency: { ...r, throughput: 1000 / r.meanMs },
      top1: agreement(pred, bundle.labels),
      agreement: agree,
    };
    if (agree < AGREEMENT_THRESHOLD) out.flag = DIFFERS_MESSAGE;
    return out;
  } finally {
    await runner.dispose();
  }
}

/** Runs every model of `bundle` on every backend in `o.backends`; never throws for a backend/model failure. */
export async function runBundle(bundle: DecodedBundle, o: RunBundleEngineOptions): Promise<DeployResults> {
  const startedAt = Date.now();
  let hidden = false;
  const poll = async () => {
    if (o.hidden && !hidden) hidden = (await o.hidden()) === true;
  };
  const ids = bundle.models.map((m) => m.entry.id);
  const steps = Math.max(1, o.backends.length * ids.length);
  let step = 0;
  const backends: Record<string, BackendRun> = {};
  for (const backend of o.backends) {
    throwIfAborted(o.signal);
    const litert = backend === LITERT_BUNDLE_BACKEND;
    try {
      if (!litert) await o.switchBackend(backend);
    } catch (e) {
      rethrowIfCancelled(e);
      backends[backend] = { error: message(e) };
      step += ids.length;
      continue;
    }
    const models: Record<string, ModelRunResult | RunError> = {};
    for (const id of ids) {
      await poll();
      const base = step;
      const name = bundle.models.find((m) => m.entry.id === id)!.entry.name;
      try {
        models[id] = await (litert ? runTfliteModel : runModel)(bundle, id, o, (f) =>
          o.onProgress?.({ phase: `${backend}`, fraction: Math.min(1, (base + f) / steps), message: `${name} on ${backend}` }),
        );
      } catch (e) {
        rethrowIfCancelled(e);
        models[id] = { error: message(e) };
      }
      step++;
      await poll();
    }
    backends[backend] = { models };
  }
  o.onProgress?.({ phase: 'done', fraction: 1 });
  const device: DeviceFacts = { ...describeDevice(), ...(o.device ?? {}) };
  delete device.backend; // the backend is per result, not a device fact
  const b = bundle.manifest.benchmark;
  return {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    bundleId: bundle.manifest.bundleId,
    bundleCreatedAt: bundle.manifest.createdAt,
    models: bundle.models.map((m) => ({ id: m.entry.id, name: m.entry.name, role: m.entry.role })),
    images: bundle.manifest.images.count,
    benchmark: { warmup: o.warmup ?? b.warmup, runs: o.runs ?? b.runs, minTimeMs: o.minTimeMs ?? b.minTimeMs },
    deviceLabel: deviceLabelOf(device),
    device,
    hiddenDuringRun: hidden,
    startedAt,
    finishedAt: Date.now(),
    backends,
  };
}
