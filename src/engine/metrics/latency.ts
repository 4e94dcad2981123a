/**
 * Inference latency and throughput of a model on the current tfjs backend, plus a description of
 * the device as visible from a worker. Each timed run is predict + await data(), so queued GPU work
 * is included; warm-up runs (shader compilation, wasm JIT, allocator growth) come first.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError, throwIfAborted } from '../errors';
import { nextTick, type JobOptions } from '../progress';

export interface LatencyOptions {
  /** Untimed runs first (default 10). */
  warmup?: number;
  /** At least this many timed runs (default 50)… */
  runs?: number;
  /** …and at least this much timed wall time (default 2000 ms). */
  minTimeMs?: number;
  /** Optional hard cap on timed wall time (default none); at least 3 runs are always made. */
  maxTimeMs?: number;
  /** Images per latency run (default 1). */
  batch?: number;
  /** Batch size of the throughput measurement (default 32; 0 skips it and reports throughput 0). */
  throughputBatch?: number;
}

export interface LatencyResult {
  medianMs: number;
  p90Ms: number;
  minMs: number;
  meanMs: number;
  runs: number;
  /** Images per second at `throughputBatch`. */
  throughput: number;
  backend: string;
  batch: number;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Value at quantile q (0..1) of sorted values, linear interpolation between ranks. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function inputShape(model: tf.LayersModel, batch: number): number[] {
  const s = model.inputs[0]?.shape;
  if (!s || s.slice(1).some((d) => typeof d !== 'number' || d <= 0))
    throw new StudioError('bad-input', `Cannot time a model whose input shape is not fixed (${JSON.stringify(s)}).`);
  return [batch, ...(s.slice(1) as number[])];
}

async function timedRun(model: tf.LayersModel, x: tf.Tensor): Promise<number> {
  const t0 = now();
  const y = model.predict(x);
  const outs = Array.isArray(y) ? y : [y];
  try {
    await Promise.all(outs.map((o) => o.data()));
  } finally {
    tf.dispose(outs);
  }
  return now() - t0;
}

/** Measures latency at `batch` and throughput at `throughputBatch` on the active backend. */
export async function measureLatency(model: tf.LayersModel, opts: LatencyOptions & JobOptions = {}): Promise<LatencyResult> {
  const warmup = opts.warmup ?? 10;
  const minRuns = Math.max(1, opts.runs ?? 50);
  const minTime = opts.minTimeMs ?? 2000;
  const maxTime = opts.maxTimeMs ?? Infinity;
  const batch = opts.batch ?? 1;
  const tb = opts.throughputBatch ?? 32;
  if (!(batch >= 1 && Number.isInteger(batch))) throw new StudioError('bad-input', `Latency batch must be a whole number ≥ 1 (got ${batch}).`);
  if (!(tb >= 0 && Number.isInteger(tb))) throw new StudioError('bad-input', `Throughput batch must be a whole number ≥ 0 (got ${tb}).`);
  const { signal, onProgress } = opts;

  const x = tf.tidy(() => tf.randomUniform(inputShape(model, batch), 0, 255, 'float32', 1234));
  const times: number[] = [];
  try {
    for (let i = 0; i < warmup; i++) {
      throwIfAborted(signal);
      await timedRun(model, x);
    }
    const start = now();
    for (;;) {
      throwIfAborted(signal);
      times.push(await timedRun(model, x));
      const elapsed = now() - start;
      const enough = times.length >= minRuns && elapsed >= minTime;
      const capped = elapsed >= maxTime && times.length >= 3;
      if (enough || capped) break;
      onProgress?.({ phase: 'latency', fraction: Math.min(0.99, Math.max(times.length / minRuns, elapsed / minTime) * 0.75), message: `${times.length} runs` });
      if (times.length % 10 === 0) await nextTick();
    }
  } finally {
    x.dispose();
  }

  let throughput = 0;
  if (tb > 0) {
    const xb = tf.tidy(() => tf.randomUniform(inputShape(model, tb), 0, 255, 'float32', 4321));
    try {
      await timedRun(model, xb); // warm-up at this batch size (new shapes, new kernels)
      let images = 0;
      let spent = 0;
      while (spent < minTime / 2 || images < 3 * tb) {
        throwIfAborted(signal);
        spent += await timedRun(model, xb);
        images += tb;
        if (spent >= maxTime) break;
        await nextTick();
      }
      throughput = (images / spent) * 1000;
    } finally {
      xb.dispose();
    }
  }
  onProgress?.({ phase: 'latency', fraction: 1 });
  const sorted = times.slice().sort((a, b) => a - b);
  return {
    medianMs: quantile(sorted, 0.5),
    p90Ms: quantile(sorted, 0.9),
    minMs: sorted[0]!,
    meanMs: times.reduce((a, v) => a + v, 0) / times.length,
    runs: times.length,
    throughput,
    backend: tf.getBackend(),
    batch,
  };
}

export interface DeviceDescription {
  backend: string;
  hardwareConcurrency?: number;
  userAgent?: string;
  /** GiB, rounded by the browser (Chromium only). */
  deviceMemory?: number;
  platform?: string;
}

/** What the current (worker) context can see of the device; fields absent where not exposed (e.g. Node). */
export function describeDevice(): DeviceDescription {
  const d: DeviceDescription = { backend: tf.getBackend() };
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: unknown; userAgent?: unknown; deviceMemory?: unknown; platform?: unknown } }).navigator;
  if (nav) {
    if (typeof nav.hardwareConcurrency === 'number') d.hardwareConcurrency = nav.hardwareConcurrency;
    if (typeof nav.userAgent === 'string') d.userAgent = nav.userAgent;
    if (typeof nav.deviceMemory === 'number') d.deviceMemory = nav.deviceMemory;
    if (typeof nav.platform === 'string') d.platform = nav.platform;
  }
  return d;
}
