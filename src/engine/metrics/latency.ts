/**
 * Inference latency and throughput of a model on the current tfjs backend, plus a description of
 * the device as visible from a worker. Each timed run is predict + await data(), so queued GPU work
 * is included; warm-up runs (shader compilation, wasm JIT, allocator growth) come first.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError, throwIfAborted } from '../errors';
import { nextTick, type JobOptions } from '../progress';
import { mulberry32 } from '../random';

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
      onProgress?.({ phase: 'latency', fraction: (0.1 * (i + 1)) / warmup, message: `warm-up ${i + 1}/${warmup}` });
    }
    const start = now();
    for (;;) {
      throwIfAborted(signal);
      times.push(await timedRun(model, x));
      const elapsed = now() - start;
      const enough = times.length >= minRuns && elapsed >= minTime;
      const capped = elapsed >= maxTime && times.length >= 3;
      if (enough || capped) break;
      onProgress?.({ phase: 'latency', fraction: 0.1 + 0.65 * Math.min(0.99, Math.max(Math.min(times.length / minRuns, elapsed / minTime), elapsed / maxTime)), message: `${times.length} runs` });
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
      onProgress?.({ phase: 'latency', fraction: 0.75, message: `throughput at batch ${tb}` });
      while (spent < minTime / 2 || images < 3 * tb) {
        throwIfAborted(signal);
        spent += await timedRun(model, xb);
        images += tb;
        onProgress?.({ phase: 'latency', fraction: 0.75 + 0.24 * Math.min(1, Math.min(spent / (minTime / 2), images / (3 * tb))), message: `throughput at batch ${tb}: ${images} images` });
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

// ---------------------------------------------------------------------------------------------------------------
// Paired A/B latency: the two models are timed interleaved after warm-up, so drifting machine load hits both alike;
// the effect is the median of per-pair ratios with a bootstrap 95 % interval.

/** Median of values (a copy is sorted). */
export function median(values: readonly number[]): number {
  return quantile(values.slice().sort((a, b) => a - b), 0.5);
}

/** Per-pair ratios a[i] / b[i] (> 1: B is faster). */
export function pairRatios(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new StudioError('bad-input', `Paired timings differ in length (${a.length} vs ${b.length}).`);
  return a.map((v, i) => v / b[i]!);
}

/**
 * Percentile bootstrap interval of the median: `resamples` resamples with replacement (seeded, so a result is
 * reproducible), the (1 − confidence)/2 and (1 + confidence)/2 quantiles of their medians.
 */
export function bootstrapMedianInterval(values: readonly number[], opts: { resamples?: number; confidence?: number; seed?: number } = {}): [number, number] {
  const n = values.length;
  if (n === 0) return [NaN, NaN];
  const resamples = opts.resamples ?? 2000;
  const conf = opts.confidence ?? 0.95;
  if (!(conf > 0 && conf < 1)) throw new StudioError('bad-input', `Confidence must be between 0 and 1 (got ${conf}).`);
  const rnd = mulberry32(opts.seed ?? 0x5eed);
  const meds = new Float64Array(resamples);
  const sample = new Float64Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) sample[i] = values[Math.floor(rnd() * n)]!;
    sample.sort();
    meds[r] = n % 2 ? sample[(n - 1) / 2]! : (sample[n / 2 - 1]! + sample[n / 2]!) / 2;
  }
  meds.sort();
  const sorted = Array.from(meds);
  return [quantile(sorted, (1 - conf) / 2), quantile(sorted, (1 + conf) / 2)];
}

export interface TimingSummary { medianMs: number; p90Ms: number; minMs: number; meanMs: number; runs: number }

export function summarize(times: readonly number[]): TimingSummary {
  const sorted = times.slice().sort((a, b) => a - b);
  return { medianMs: quantile(sorted, 0.5), p90Ms: quantile(sorted, 0.9), minMs: sorted[0] ?? NaN, meanMs: times.reduce((s, v) => s + v, 0) / times.length, runs: times.length };
}

export type PairVerdict = 'b-faster' | 'a-faster' | 'no measurable difference';

/** The verdict of a ratio interval (a/b): entirely above 1 → B faster, below 1 → A faster, else no measurable difference. */
export function pairVerdict(interval: [number, number]): PairVerdict {
  if (interval[0] > 1) return 'b-faster';
  if (interval[1] < 1) return 'a-faster';
  return 'no measurable difference';
}

/**
 * A short fixed CPU workload on this thread: its median and best time over a few repetitions. median / min well
 * above 1 means other work is competing for the core (other tabs, processes, sessions).
 */
export interface CpuLoad { probeMs: number; minMs: number; contention: number }

export function cpuLoadProbe(repeats = 7, iterations = 2_000_000): CpuLoad {
  const times: number[] = [];
  let acc = 0;
  for (let r = 0; r < repeats; r++) {
    const t0 = now();
    let x = 1.000001 + r * 1e-9;
    for (let i = 0; i < iterations; i++) x = x * 1.0000001 + 1e-9 * (i & 7);
    acc += x;
    times.push(now() - t0);
  }
  if (!Number.isFinite(acc)) throw new StudioError('internal', 'CPU probe overflowed.');
  const s = summarize(times);
  return { probeMs: s.medianMs, minMs: s.minMs, contention: s.medianMs / Math.max(s.minMs, 1e-6) };
}

export interface PairOptions {
  /** Untimed runs of each model first (default 10). */
  warmup?: number;
  /** At least this many pairs (default 60)… */
  pairs?: number;
  /** …and at least this much timed wall time (default 3000 ms). */
  minTimeMs?: number;
  /** Hard cap on timed wall time (default none; at least 5 pairs). */
  maxTimeMs?: number;
  batch?: number;
  /** Seed of the bootstrap (default fixed). */
  seed?: number;
}

export interface PairResult {
  backend: string;
  batch: number;
  /** WASM thread count (fixed when the backend initialised); absent on other backends. */
  threads?: number;
  pairs: number;
  a: TimingSummary;
  b: TimingSummary;
  /** Median of per-pair a/b time ratios (> 1: B is faster), with its bootstrap 95 % interval. */
  ratio: { median: number; low: number; high: number };
  verdict: PairVerdict;
  /** A short CPU probe on this thread before and after the timing. */
  load: { before: CpuLoad; after: CpuLoad };
}

/**
 * Times `a` and `b` interleaved on the active backend: warm-up of both, then pairs whose order alternates
 * (A B, B A, A B, …) so neither model always runs on a cache the other just warmed.
 */
export async function measurePair(a: tf.LayersModel, b: tf.LayersModel, opts: PairOptions & JobOptions & { threads?: number } = {}): Promise<PairResult> {
  const batch = opts.batch ?? 1;
  if (!(batch >= 1 && Number.isInteger(batch))) throw new StudioError('bad-input', `Latency batch must be a whole number ≥ 1 (got ${batch}).`);
  const sa = inputShape(a, batch);
  const sb = inputShape(b, batch);
  if (sa.join() !== sb.join()) throw new StudioError('shape-mismatch', `The two models take different inputs ([${sa.join(', ')}] vs [${sb.join(', ')}]).`);
  const x = tf.tidy(() => tf.randomUniform(sa, 0, 255, 'float32', 1234));
  try {
    return await measurePairRuns(() => timedRun(a, x), () => timedRun(b, x), { ...opts, backend: tf.getBackend(), batch });
  } finally {
    x.dispose();
  }
}

/**
 * The interleaved A/B timing itself, for any runtime: `runA` / `runB` perform one timed run each and return its
 * milliseconds (tfjs models above; LiteRT.js and onnxruntime-web sessions in the export code).
 */
export async function measurePairRuns(
  runA: () => Promise<number>,
  runB: () => Promise<number>,
  opts: PairOptions & JobOptions & { threads?: number; backend: string; batch: number },
): Promise<PairResult> {
  const warmup = opts.warmup ?? 10;
  const minPairs = Math.max(2, opts.pairs ?? 60);
  const minTime = opts.minTimeMs ?? 3000;
  const maxTime = opts.maxTimeMs ?? Infinity;
  const { signal, onProgress } = opts;
  const before = cpuLoadProbe();
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < warmup; i++) {
    throwIfAborted(signal);
    await runA();
    await runB();
  }
  const start = now();
  for (let i = 0; ; i++) {
    throwIfAborted(signal);
    if (i % 2 === 0) {
      ta.push(await runA());
      tb.push(await runB());
    } else {
      tb.push(await runB());
      ta.push(await runA());
    }
    const elapsed = now() - start;
    if ((ta.length >= minPairs && elapsed >= minTime) || (elapsed >= maxTime && ta.length >= 5)) break;
    onProgress?.({ phase: 'paired latency', fraction: Math.min(0.99, Math.max(ta.length / minPairs, elapsed / minTime)), message: `${ta.length} pairs` });
    if (ta.length % 10 === 0) await nextTick();
  }
  const after = cpuLoadProbe();
  const ratios = pairRatios(ta, tb);
  const [low, high] = bootstrapMedianInterval(ratios, { seed: opts.seed });
  onProgress?.({ phase: 'paired latency', fraction: 1 });
  return {
    backend: opts.backend,
    batch: opts.batch,
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    pairs: ta.length,
    a: summarize(ta),
    b: summarize(tb),
    ratio: { median: median(ratios), low, high },
    verdict: pairVerdict([low, high]),
    load: { before, after },
  };
}
