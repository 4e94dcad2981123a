/** Latency benchmarks per backend, the training-backend choice, and the comparison report. */
import { activeBackend, backendStatuses, switchBackend } from '../../engine/backends/probe';
import { pickTrainingBackend, trainingImagesPerSecond, type SpeedTable } from '../../engine/backends/training-speed';
import type { BackendName, BackendStatus } from '../../engine/backends/types';
import { getThreadsCount } from '../../engine/backends/wasm-setup';
import * as tf from '@tensorflow/tfjs';
import * as Comlink from 'comlink';
import { measureLatency, measurePair, type PairResult } from '../../engine/metrics/latency';
import { StudioError, throwIfAborted } from '../../engine/errors';
import type { TimingWorkerApi } from '../../../workers/timing.worker';
import type { LatencyRecord, ModelInfo } from '../../engine/models/types';
import type { JobOptions } from '../../engine/progress';
import type { BenchmarkOptions, BenchmarkPairOptions, BenchmarkPairResult, BenchmarkResult, ReportRow } from '../types';
import type { WorkerContext } from './context';
import { listModels, loadModel } from './models';
import { benchmarkPairRuntimes, benchmarkRuntimes, defaultRuntimes, runtimesOf } from './export';

async function onEach<T>(backends: BackendName[], fn: (b: BackendName) => Promise<T>): Promise<Partial<Record<BackendName, T | { error: string }>>> {
  const before = activeBackend();
  const out: Partial<Record<BackendName, T | { error: string }>> = {};
  try {
    for (const b of backends) {
      try {
        await switchBackend(b);
        out[b] = await fn(b);
      } catch (e) {
        if (e instanceof Error && (e as { code?: string }).code === 'cancelled') throw e;
        out[b] = { error: e instanceof Error ? e.message : String(e) };
      }
    }
  } finally {
    await switchBackend(before).catch(() => undefined);
  }
  return out;
}

export async function benchmark(ctx: WorkerContext, modelId: string, o: BenchmarkOptions = {}, job: JobOptions = {}): Promise<BenchmarkResult> {
  await ctx.store.require('model', modelId);
  if (o.runtimes) runtimesOf(o.runtimes); // an unknown runtime fails before anything is timed
  const home = activeBackend();
  const backends = o.backends ?? backendStatuses().filter((b) => b.available && b.name !== 'cpu').map((b) => b.name);
  let i = 0;
  const result = await onEach(backends, async (b) => {
    // On another backend, time a copy loaded from storage there: the cached model's weights never move. (A GPU
    // device lost mid-run, as software adapters do under load, hands moved weights back as zeros.)
    const own = b === home ? null : await loadModel(ctx, modelId, true);
    try {
      const r = await measureLatency(own ?? (await loadModel(ctx, modelId)), {
        warmup: o.warmup, runs: o.runs, minTimeMs: o.minTimeMs, ...(o.maxTimeMs !== undefined ? { maxTimeMs: o.maxTimeMs } : {}), signal: job.signal,
        onProgress: job.onProgress ? (p) => job.onProgress!({ ...p, phase: `latency ${b}`, fraction: (i + p.fraction) / backends.length }) : undefined,
      });
      i++;
      return { medianMs: r.medianMs, p90Ms: r.p90Ms, minMs: r.minMs, meanMs: r.meanMs, runs: r.runs, throughput: r.throughput, ...(b === 'wasm' ? { threads: getThreadsCount() } : {}) };
    } finally {
      own?.dispose();
    }
  });
  // Exported-file runtimes (LiteRT.js, onnxruntime-web) next to the tfjs backends: see export.ts.
  const runtimes = o.runtimes ?? (o.backends ? [] : defaultRuntimes());
  const all: BenchmarkResult = runtimes.length ? { ...result, ...(await benchmarkRuntimes(ctx, modelId, runtimes, o, job)) } : result;
  const latency: Record<string, LatencyRecord> = {};
  for (const [b, r] of Object.entries(all)) if (r && !('error' in r)) latency[b] = { ...r, at: Date.now() };
  await ctx.store.updateMeta<ModelInfo>('model', modelId, (m) => ({ ...m, measures: { ...m.measures, latency: { ...m.measures?.latency, ...latency } } }));
  return all;
}

/**
 * Honest A/B latency: the two versions timed interleaved on each backend (default: the active one) after warm-up;
 * the median of per-pair time ratios (a/b, > 1: B is faster) with a bootstrap 95 % interval, the medians, p90 and
 * min of each, the WASM thread count, and a CPU-load probe before and after. Nothing is stored.
 */
export async function benchmarkPair(ctx: WorkerContext, aId: string, bId: string, o: BenchmarkPairOptions = {}, job: JobOptions = {}): Promise<BenchmarkPairResult> {
  if (aId === bId) throw new StudioError('bad-input', 'Pick two different model versions to compare.');
  await ctx.store.require('model', aId);
  await ctx.store.require('model', bId);
  if (o.runtimes) runtimesOf(o.runtimes);
  const home = activeBackend();
  const backends = o.backends ?? (o.runtimes?.length ? [] : [home]);
  let i = 0;
  const result: BenchmarkPairResult = await onEach(backends, async (b) => {
    // Off the active backend, time private copies (the cached models' weights never move), as benchmark() does.
    const own = b === home ? null : await Promise.all([loadModel(ctx, aId, true), loadModel(ctx, bId, true)]);
    try {
      const [ma, mb] = own ?? [await loadModel(ctx, aId), await loadModel(ctx, bId)];
      const r = await measurePair(ma!, mb!, {
        warmup: o.warmup, pairs: o.pairs, minTimeMs: o.minTimeMs, batch: o.batch, ...(o.maxTimeMs !== undefined ? { maxTimeMs: o.maxTimeMs } : {}),
        ...(b === 'wasm' ? { threads: getThreadsCount() } : {}),
        signal: job.signal,
        onProgress: job.onProgress ? (p) => job.onProgress!({ ...p, phase: `paired latency ${b}`, fraction: (i + p.fraction) / backends.length }) : undefined,
      });
      i++;
      return r;
    } finally {
      own?.forEach((m) => m.dispose());
    }
  });
  if (o.threads?.length) result.wasmThreads = await pairAtThreads(ctx, aId, bId, o, job);
  if (!o.runtimes?.length) return result;
  return { ...result, ...(await benchmarkPairRuntimes(ctx, aId, bId, o.runtimes, o, job)) };
}

/** benchmarkPair on wasm at each of `o.threads`: the engine's own count here, others in a timing worker each. */
async function pairAtThreads(ctx: WorkerContext, aId: string, bId: string, o: BenchmarkPairOptions, job: JobOptions): Promise<Record<number, PairResult | { error: string }>> {
  const out: Record<number, PairResult | { error: string }> = {};
  const pairOpts = { warmup: o.warmup, pairs: o.pairs, minTimeMs: o.minTimeMs, batch: o.batch, ...(o.maxTimeMs !== undefined ? { maxTimeMs: o.maxTimeMs } : {}) };
  const mine = activeBackend() === 'wasm' ? getThreadsCount() : -1;
  for (const t of [...new Set(o.threads)].sort((x, y) => x - y)) {
    throwIfAborted(job.signal);
    job.onProgress?.({ phase: `paired latency wasm, ${t} thread${t === 1 ? '' : 's'}`, fraction: 0.5 });
    try {
      if (!(Number.isInteger(t) && t >= 1 && t <= 8)) throw new StudioError('bad-input', `A WASM thread count is a whole number from 1 to 8 (got ${t}).`);
      if (t === mine) {
        out[t] = await measurePair(await loadModel(ctx, aId), await loadModel(ctx, bId), { ...pairOpts, threads: t, signal: job.signal });
        continue;
      }
      if (!ctx.timingWorker) throw new StudioError('backend-unavailable', 'Timing at another thread count needs a timing worker (the browser engine has one).');
      const [a, b] = await Promise.all([artifactsOf(ctx, aId), artifactsOf(ctx, bId)]);
      const w = ctx.timingWorker();
      const remote = Comlink.wrap<TimingWorkerApi>(w);
      const stop = () => w.terminate();
      job.signal?.addEventListener('abort', stop);
      try {
        out[t] = await remote.pair(t, a, b, pairOpts);
      } finally {
        job.signal?.removeEventListener('abort', stop);
        w.terminate();
      }
      throwIfAborted(job.signal);
    } catch (e) {
      if (job.signal?.aborted) throw e;
      out[t] = { error: e instanceof Error ? e.message : String(e) };
    }
  }
  return out;
}

/** A stored model as in-memory artifacts (topology + weights), for a timing worker. */
async function artifactsOf(ctx: WorkerContext, id: string): Promise<tf.io.ModelArtifacts> {
  const m = await loadModel(ctx, id);
  let out: tf.io.ModelArtifacts | null = null;
  await m.save(tf.io.withSaveHandler(async (a) => {
    out = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return out!;
}


let sessionChoice: { backend: BackendName; reason: string } | null = null;
/** The training-speed measurement's images/s per backend (this session). */
let sessionSpeeds: SpeedTable = {};

/** Statuses with the training speed this session measured on each backend (for the status bar's hint). */
export function withTrainingSpeeds(statuses: BackendStatus[]): BackendStatus[] {
  return statuses.map((s) => (sessionSpeeds[s.name] !== undefined ? { ...s, trainingImagesPerSecond: sessionSpeeds[s.name] } : s));
}

/**
 * Puts the backend a training run asked for in place: a named one, the current one, or ('auto') the fastest
 * trainer measured once per session. Returns the backend used and why.
 */
export async function useTrainingBackend(mode: BackendName | 'auto' | 'current' = 'auto'): Promise<{ backend: BackendName; reason: string }> {
  if (mode === 'current') return { backend: activeBackend(), reason: 'the active backend (as requested)' };
  if (mode !== 'auto') {
    await switchBackend(mode);
    return { backend: mode, reason: 'chosen by the user' };
  }
  if (!sessionChoice) sessionChoice = await chooseTrainingBackend();
  else await switchBackend(sessionChoice.backend);
  return sessionChoice;
}

/** The backend `useTrainingBackend(mode)` will put in place, when known without measuring ('auto' before its probe: null). */
export function plannedTrainingBackend(mode: BackendName | 'auto' | 'current' = 'auto'): BackendName | 'current' | null {
  if (mode !== 'auto') return mode;
  return sessionChoice?.backend ?? null;
}

export async function chooseTrainingBackend(onStep?: (done: number, of: number, backend: BackendName) => void): Promise<{ backend: BackendName; reason: string; imagesPerSecond: SpeedTable }> {
  const candidates = backendStatuses().filter((b) => b.available && b.name !== 'cpu').map((b) => b.name);
  let done = 0;
  const speeds = await onEach(candidates, async (b) => {
    onStep?.(done, candidates.length, b);
    try {
      return await trainingImagesPerSecond();
    } finally {
      done++;
    }
  });
  onStep?.(done, candidates.length, activeBackend());
  const table: SpeedTable = {};
  for (const [b, v] of Object.entries(speeds)) if (typeof v === 'number') table[b as BackendName] = v;
  const pick = pickTrainingBackend(table, activeBackend());
  await switchBackend(pick.backend);
  sessionChoice = pick;
  sessionSpeeds = table;
  return { ...pick, imagesPerSecond: table };
}

export async function report(ctx: WorkerContext, modelIds?: string[]): Promise<ReportRow[]> {
  const all = await listModels(ctx);
  const chosen = modelIds ? modelIds.map((id) => all.find((m) => m.id === id)).filter((m): m is ModelInfo => !!m) : all;
  return chosen.map((m) => {
    const evals = m.measures?.evals ?? {};
    const main = evals['test:0-1000'] ?? Object.values(evals).sort((a, b) => b.at - a.at)[0];
    return {
      id: m.id, name: m.name, parentId: m.parentId, arch: m.arch, criterion: m.criterion, pruneRatio: m.pruneRatio,
      top1: main?.top1, top5: main?.top5, top1AfterPrune: m.measures?.afterPrune?.top1,
      params: m.params, macs: m.macs, flops: m.flops, bytes: m.bytes, latency: m.measures?.latency,
      fineTuneEpochs: m.measures?.fineTuneEpochs, lineage: m.lineage, optimizedFrom: m.optimizedFrom, devices: m.measures?.devices,
      evals: Object.fromEntries(Object.entries(evals).map(([k, v]) => [k, { top1: v.top1, top5: v.top5, count: v.count }])),
      notes: main ? `top-1 on ${main.split} ${main.start}–${main.end}` : undefined,
    };
  });
}
