/**
 * LiteRT.js (@litertjs/core) as the studio's .tflite runtime: load the WASM runtime once, compile a .tflite on the
 * CPU (XNNPACK) accelerator, run single images. How the runtime's emscripten loader script gets evaluated depends on
 * where we are (a module worker has no usable importScripts; Node has no script tags), so the caller injects a
 * `LiteRtLoader` (workers: src/api/worker/litert-loader.ts; Node tests: test/helpers/litert-node.ts).
 */
import { getGlobalLiteRtPromise, loadAndCompile, Tensor } from '@litertjs/core';
import type { CompiledModel } from '@litertjs/core';
import { StudioError } from '../errors';

/** Loads the LiteRT.js WASM runtime (calls `loadLiteRt` with whatever this environment needs). */
export type LiteRtLoader = () => Promise<void>;

let loading: Promise<void> | null = null;

/** Loads the runtime once per thread; a failed load can be retried. */
export async function ensureLiteRt(loader: LiteRtLoader): Promise<void> {
  if (getGlobalLiteRtPromise()) {
    await getGlobalLiteRtPromise();
    return;
  }
  if (!loading) {
    loading = loader().catch((e: unknown) => {
      loading = null;
      throw new StudioError('backend-unavailable', `LiteRT.js could not start here: ${e instanceof Error ? e.message : String(e)}`);
    });
  }
  await loading;
}

/** A compiled .tflite on LiteRT's CPU path, batch 1, one float32 input and output. */
export class TfliteRunner {
  private constructor(
    private readonly model: CompiledModel,
    readonly inputShape: number[],
    readonly outputSize: number,
    readonly accelerator: 'wasm' | 'webgpu',
  ) {}

  /** `accelerator` 'webgpu' runs LiteRT's GPU path (only worth it on a real, non-software adapter). */
  static async create(loader: LiteRtLoader, bytes: Uint8Array, opts: { threads?: number; accelerator?: 'wasm' | 'webgpu' } = {}): Promise<TfliteRunner> {
    await ensureLiteRt(loader);
    let model: CompiledModel;
    const accelerator = opts.accelerator ?? 'wasm';
    try {
      model = await loadAndCompile(bytes.slice(), accelerator === 'webgpu' ? { accelerator } : { accelerator, cpuOptions: opts.threads ? { numThreads: opts.threads } : {} });
    } catch (e) {
      throw new StudioError('internal', `LiteRT.js refused the .tflite file: ${e instanceof Error ? e.message : String(e)}`);
    }
    const inputs = model.getInputDetails();
    const outputs = model.getOutputDetails();
    if (inputs.length !== 1 || outputs.length !== 1) {
      model.delete();
      throw new StudioError('internal', `LiteRT.js sees ${inputs.length} inputs and ${outputs.length} outputs; expected one of each.`);
    }
    const outShape = [...outputs[0]!.shape];
    return new TfliteRunner(model, [...inputs[0]!.shape], outShape.reduce((a, b) => a * b, 1), accelerator);
  }

  /** Runs one input (already laid out as inputShape) and returns a copy of the output. */
  async run(input: Float32Array): Promise<Float32Array> {
    const t = new Tensor(input, this.inputShape);
    let outs: Tensor[] = [];
    try {
      outs = await this.model.run(t);
      const data = this.accelerator === 'webgpu' ? await outs[0]!.data() : outs[0]!.toTypedArray();
      return Float32Array.from(data as Float32Array);
    } finally {
      t.delete();
      for (const o of outs) o.delete();
    }
  }

  dispose(): void {
    if (!this.model.deleted) this.model.delete();
  }
}

export interface RuntimeLatency { medianMs: number; p90Ms: number; minMs: number; meanMs: number; runs: number }

/** A timed run of a runner: milliseconds for one `run` on a fixed input. */
export function timedRunOf(runner: TimedRunner): () => Promise<number> {
  const size = runner.inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(size).map((_, i) => (i * 31) % 256);
  return async () => {
    const t0 = performance.now();
    await runner.run(x);
    return performance.now() - t0;
  };
}

/** What `timeRunner` needs of a runtime session (TfliteRunner, OnnxRunner). */
export interface TimedRunner {
  readonly inputShape: number[];
  run(input: Float32Array): Promise<Float32Array>;
}

/** Batch-1 latency of a runner: `warmup` untimed runs, then at least `runs` timed runs lasting at least `minTimeMs`. */
export async function timeRunner(runner: TimedRunner, opts: { warmup?: number; runs?: number; minTimeMs?: number; maxTimeMs?: number; signal?: AbortSignal } = {}): Promise<RuntimeLatency> {
  const size = runner.inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(size).map((_, i) => (i * 31) % 256);
  for (let i = 0; i < (opts.warmup ?? 10); i++) await runner.run(x);
  const times: number[] = [];
  const start = performance.now();
  const runs = opts.runs ?? 50;
  const minTime = opts.minTimeMs ?? 2000;
  const maxTime = opts.maxTimeMs ?? Infinity;
  while (times.length < runs || performance.now() - start < minTime) {
    if (times.length >= 3 && performance.now() - start >= maxTime) break;
    if (opts.signal?.aborted) throw new StudioError('cancelled', 'The operation was cancelled.');
    const t0 = performance.now();
    await runner.run(x);
    times.push(performance.now() - t0);
    if (times.length >= 100_000) break;
  }
  const sorted = [...times].sort((a, b) => a - b);
  const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return { medianMs: q(0.5), p90Ms: q(0.9), minMs: sorted[0]!, meanMs: times.reduce((a, b) => a + b, 0) / times.length, runs: times.length };
}
