/**
 * studio.benchmark on several backends must not touch the cached model: each other backend times its own copy
 * loaded from storage. (Moving the cached weights to a GPU backend whose device is then lost corrupted them.)
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type WorkerContext } from '../../../src/api/worker/context';
import { benchmark, benchmarkPair } from '../../../src/api/worker/measures';
import { loadModel, saveModel } from '../../../src/api/worker/models';
import { setStudioMeta } from '../../../src/engine/models/metadata';
import { RAW_INPUT } from '../../../src/engine/models/types';
import { memoryKeyValue } from '../../../src/engine/storage/kv';
import { initWasmForNode } from '../../helpers/wasm';

let ctx: WorkerContext;
let id: string;
let previous: string;

function tinyCnn(): tf.LayersModel {
  const inp = tf.input({ shape: [8, 8, 3] });
  const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(inp) as tf.SymbolicTensor;
  const p = tf.layers.globalAveragePooling2d({}).apply(c) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(p) as tf.SymbolicTensor;
  const m = tf.model({ inputs: inp, outputs: out });
  setStudioMeta(m, { arch: 'tiny', classes: ['a', 'b', 'c'], input: { ...RAW_INPUT }, lineage: ['test'] });
  return m;
}

type EngineState = { state: { tensorInfo: WeakMap<object, { backend: tf.KernelBackend }> } };

beforeAll(async () => {
  previous = tf.getBackend();
  await initWasmForNode();
  await tf.setBackend('cpu');
  ctx = createContext(memoryKeyValue());
  id = (await saveModel(ctx, tinyCnn(), { name: 'tiny' })).id;
});

afterAll(async () => {
  await tf.setBackend(previous);
});

describe('benchmark', () => {
  it('times other backends on their own copy: the cached model stays on the active backend, no tensors left', async () => {
    const cached = await loadModel(ctx, id);
    const x = tf.ones([1, 8, 8, 3]);
    const before = tf.tidy(() => (cached.predict(x) as tf.Tensor).arraySync());
    const tensorsBefore = tf.memory().numTensors;
    const cpu = tf.engine().findBackend('cpu');
    const info = (tf.engine() as unknown as EngineState).state.tensorInfo;
    // wasm alone: the cached weights would have to move there (and would stay there) if they were used
    const r1 = await benchmark(ctx, id, { backends: ['wasm'], warmup: 1, runs: 2, minTimeMs: 0 });
    for (const w of cached.weights) expect(info.get(w.read().dataId)?.backend).toBe(cpu);
    const r2 = await benchmark(ctx, id, { backends: ['wasm', 'cpu'], warmup: 1, runs: 2, minTimeMs: 0 });
    expect(tf.getBackend()).toBe('cpu');
    for (const v of [r1.wasm, r2.wasm, r2.cpu]) expect(v && 'medianMs' in v && v.medianMs > 0).toBe(true);
    expect(r1.wasm && 'threads' in r1.wasm && r1.wasm.threads! >= 1).toBe(true);
    expect(await loadModel(ctx, id)).toBe(cached);
    expect(tf.tidy(() => (cached.predict(x) as tf.Tensor).arraySync())).toEqual(before);
    // the wasm copy was disposed
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    tf.dispose(x);
  });
});

describe('benchmarkPair', () => {
  it('times two versions interleaved on the active and another backend, on copies there; reports ratio, interval, load, threads', async () => {
    const other = (await saveModel(ctx, tinyCnn(), { name: 'tiny 2' })).id;
    const tensorsBefore = tf.memory().numTensors;
    const r = await benchmarkPair(ctx, id, other, { backends: ['cpu', 'wasm'], warmup: 1, pairs: 4, minTimeMs: 0 });
    expect(tf.getBackend()).toBe('cpu');
    for (const b of ['cpu', 'wasm'] as const) {
      const v = r[b]!;
      expect('error' in v).toBe(false);
      if ('error' in v) continue;
      expect(v.pairs).toBeGreaterThanOrEqual(4);
      expect(v.backend).toBe(b);
      expect(v.ratio.low).toBeLessThanOrEqual(v.ratio.high);
      expect(['b-faster', 'a-faster', 'no measurable difference']).toContain(v.verdict);
      expect(v.load.after.probeMs).toBeGreaterThan(0);
    }
    const w = r.wasm!;
    expect('threads' in w && typeof w.threads === 'number' && w.threads >= 1).toBe(true);
    // the wasm copies were disposed; the cached models stayed where they were
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    await expect(benchmarkPair(ctx, id, id)).rejects.toMatchObject({ code: 'bad-input' });
    await expect(benchmarkPair(ctx, id, 'model-nope')).rejects.toMatchObject({ code: 'not-found' });
  });
});
