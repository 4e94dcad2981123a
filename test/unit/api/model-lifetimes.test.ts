/**
 * Model lifetimes in the worker cache: a model a job holds (a fine-tune's teacher) survives any amount of browsing
 * (loading 10 other models through a cache that fits two), deleting it while held defers the dispose to the last
 * release, the cache stays bounded by bytes, and nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type WorkerContext } from '../../../src/api/worker/context';
import { modelBytes } from '../../../src/api/worker/model-cache';
import { acquireModel, deleteModel, exportModel, loadModel, modelInfo, saveModel, withModel } from '../../../src/api/worker/models';
import { setStudioMeta } from '../../../src/engine/models/metadata';
import { RAW_INPUT } from '../../../src/engine/models/types';
import { memoryKeyValue } from '../../../src/engine/storage/kv';

function tinyCnn(seed: number): tf.LayersModel {
  const inp = tf.input({ shape: [8, 8, 3] });
  const c = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(inp) as tf.SymbolicTensor;
  const p = tf.layers.globalAveragePooling2d({}).apply(c) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(p) as tf.SymbolicTensor;
  const m = tf.model({ inputs: inp, outputs: out });
  setStudioMeta(m, { arch: 'tiny', classes: ['a', 'b', 'c'], input: { ...RAW_INPUT }, lineage: ['test'] });
  return m;
}

let previous: string;
let ctx: WorkerContext;
let ids: string[];
let perModel: number;

const x = () => tf.randomUniform([2, 8, 8, 3], 0, 255, 'float32', 3);
async function predict(m: tf.LayersModel): Promise<number[]> {
  const input = x();
  const y = m.predict(input) as tf.Tensor;
  const v = Array.from(await y.data());
  tf.dispose([input, y]);
  return v;
}

/** Predicting on a disposed model throws; the input is disposed either way. */
function predictThrows(m: tf.LayersModel): boolean {
  const input = x();
  try {
    tf.dispose(m.predict(input) as tf.Tensor);
    return false;
  } catch (e) {
    return /disposed/.test(String(e));
  } finally {
    input.dispose();
  }
}

beforeAll(async () => {
  previous = tf.getBackend();
  await tf.setBackend('cpu');
  perModel = modelBytes(tinyCnn(0));
  // A budget of two models: browsing the third evicts the least recently used one that nobody holds.
  ctx = createContext(memoryKeyValue(), { modelCacheBytes: perModel * 2 });
  ids = [];
  for (let i = 0; i < 12; i++) ids.push((await saveModel(ctx, tinyCnn(10 * i + 1), { name: `m${i}` })).id);
  ctx.models.clear();
});

afterAll(async () => {
  ctx.models.clear();
  await tf.setBackend(previous);
});

describe('model cache lifetimes', () => {
  it('a held teacher stays usable while 10 other models are loaded, and the cache stays within its byte budget', async () => {
    const before = tf.memory().numTensors;
    const teacher = await acquireModel(ctx, ids[0]!);
    const expected = await predict(teacher.model);
    for (const id of ids.slice(1, 11)) {
      const m = await loadModel(ctx, id);
      await predict(m);
      await modelInfo(ctx, id);
      expect(ctx.models.bytes).toBeLessThanOrEqual(perModel * 2 + perModel); // budget + the held teacher at most
    }
    expect(await predict(teacher.model)).toEqual(expected); // not "Tensor is disposed"
    expect(ctx.models.refs(ids[0]!)).toBe(1);
    teacher.release();
    teacher.release(); // idempotent
    expect(ctx.models.refs(ids[0]!)).toBe(0);
    ctx.models.clear();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('without holding, the same browsing evicts and disposes the model (the old failure), so holding is what saves it', async () => {
    const m = await loadModel(ctx, ids[0]!);
    for (const id of ids.slice(1, 4)) await loadModel(ctx, id);
    expect(predictThrows(m)).toBe(true);
    ctx.models.clear();
  });

  it('deleting a model while a job holds it disposes it at the last release, not before', async () => {
    const before = tf.memory().numTensors;
    const extra = (await saveModel(ctx, tinyCnn(99), { name: 'doomed' })).id;
    const a = await acquireModel(ctx, extra);
    const b = await acquireModel(ctx, extra);
    expect(b.model).toBe(a.model);
    await deleteModel(ctx, extra);
    await predict(a.model);
    a.release();
    await predict(b.model);
    b.release();
    expect(predictThrows(b.model)).toBe(true);
    ctx.models.clear();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('withModel releases on success and on error; concurrent loads of one id share one instance', async () => {
    const before = tf.memory().numTensors;
    await expect(withModel(ctx, ids[1]!, () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(ctx.models.refs(ids[1]!)).toBe(0);
    const [m1, m2] = await Promise.all([loadModel(ctx, ids[2]!), loadModel(ctx, ids[2]!)]);
    expect(m1).toBe(m2);
    const blob = await exportModel(ctx, ids[3]!);
    expect(blob.size).toBeGreaterThan(0);
    ctx.models.clear();
    expect(tf.memory().numTensors).toBe(before);
  });
});
