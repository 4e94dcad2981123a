/**
 * Simulated faults through the engine API: storage full half-way through an import (the Nth write fails as
 * IndexedDB's QuotaExceededError does once idb.ts has mapped it) and a GPU device / WebGL context lost under a
 * running job. Each ends with a specific code, leaves nothing partial, keeps earlier data, and the engine goes on.
 */
import * as tf from '@tensorflow/tfjs';
import { zipSync } from 'fflate';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../../../src/api/worker/context';
import { EngineApi } from '../../../src/api/worker/engine-api';
import { deviceLoss } from '../../../src/api/jobs';
import type { ImageDecoder } from '../../../src/engine/data/custom';
import { StudioError } from '../../../src/engine/errors';
import { memoryKeyValue, type KeyValue } from '../../../src/engine/storage/kv';

const pngDecoder: ImageDecoder = async (bytes) => {
  const png = PNG.sync.read(Buffer.from(bytes));
  return { width: png.width, height: png.height, data: new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length) };
};

function png(seed: number): Uint8Array {
  const p = new PNG({ width: 6, height: 6 });
  for (let i = 0; i < p.data.length; i++) p.data[i] = i % 4 === 3 ? 255 : (seed * 13 + i) & 0xff;
  return new Uint8Array(PNG.sync.write(p));
}

/** A memory store whose writes fail with quota-exceeded from the `failAt`-th write after `arm()`. */
function quotaStore(): KeyValue & { map: Map<string, unknown>; arm(failAt: number): void; writes: number } {
  const kv = memoryKeyValue();
  let armed = false;
  let left = 0;
  const s = {
    map: kv.map, writes: 0,
    arm(failAt: number) { armed = true; left = failAt; },
    get: kv.get, del: kv.del, keys: kv.keys,
    async set(k: string, v: unknown) {
      s.writes++;
      if (armed && --left <= 0) throw new StudioError('quota-exceeded', 'Browser storage is full: delete datasets or model versions you no longer need, then try again.');
      return kv.set(k, v);
    },
  };
  return s;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('simulated faults', () => {
  it('quota exceeded half-way through an import: quota-exceeded, nothing partial, the earlier dataset intact', async () => {
    const kv = quotaStore();
    const api = new EngineApi(createContext(kv), pngDecoder);
    const old = await api.createDemoDataset({ trainPerClass: 4, testPerClass: 2 });
    const before = JSON.stringify([...kv.map.keys()].sort());
    const files: Record<string, Uint8Array> = {};
    for (const c of ['cat', 'dog']) for (let i = 0; i < 5; i++) files[`pets/${c}/${i}.png`] = png(i + (c === 'cat' ? 0 : 50));
    const zip = new File([zipSync(files) as BlobPart], 'pets.zip');
    for (const failAt of [1, 2, 3, 5]) {
      kv.arm(failAt);
      await expect(api.importDataset(zip)).rejects.toMatchObject({ code: 'quota-exceeded' });
      expect([...kv.map.keys()].sort(), `fail at write ${failAt}`).toEqual(JSON.parse(before));
    }
    expect((await api.datasets()).map((d) => d.id)).toEqual([old.id]);
    expect((await api.datasetSamples(old.id, { perClass: 1 })).samples.length).toBe(old.classes.length);
    kv.arm(Infinity);
    expect((await api.importDataset(zip)).counts.train).toBeGreaterThan(0);
  });

  it('a GPU device lost mid-job: backend-unavailable naming it, the lease is released, the engine goes on', async () => {
    const ctx = createContext(memoryKeyValue());
    const api = new EngineApi(ctx, pngDecoder);
    const m = await api.createModel('resnet20', { numClasses: 10, inputSize: 32 });
    const before = tf.memory().numTensors;
    const job = ctx.backend.shared('current', 'evaluation', async () => {
      tf.tidy(() => { tf.add(tf.ones([4]), tf.ones([4])); });
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('WebGL context was lost.');
    });
    await expect(job).rejects.toMatchObject({ code: 'backend-unavailable', message: expect.stringMatching(/backend was lost while evaluation ran/) });
    expect(ctx.backend.holding()).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
    // Another job, and a backend switch, go through afterwards.
    const other = await ctx.backend.shared('cpu', 'another job', async () => tf.tidy(() => tf.sum(tf.ones([3])).dataSync()[0]));
    expect(other).toBe(3);
    await api.setBackend('cpu');
    expect((await api.modelInfo(m.id)).layers.length).toBeGreaterThan(0);
    // WebGPU's wording and an exclusive job map the same; ordinary errors pass through untouched.
    expect(deviceLoss(new Error('GPUDevice was lost: destroyed'), 'webgpu', 'a benchmark')?.code).toBe('backend-unavailable');
    await expect(ctx.backend.exclusive('a benchmark', async () => { throw new Error('Device is lost'); })).rejects.toMatchObject({ code: 'backend-unavailable' });
    expect(deviceLoss(new TypeError('x is undefined'), 'webgl', 'a job')).toBeNull();
  });
});
