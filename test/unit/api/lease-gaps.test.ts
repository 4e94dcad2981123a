/**
 * Short engine calls that build or read models run tensors too: they hold the backend lease shared (tfCall), so
 * they wait while a job holds it exclusively (a benchmark switching backends) instead of running on whichever
 * backend that job has switched to.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/api/worker/context';
import { EngineApi } from '../../../src/api/worker/engine-api';
import type { ImageDecoder } from '../../../src/engine/data/custom';
import { memoryKeyValue } from '../../../src/engine/storage/kv';

const noDecoder: ImageDecoder = async () => { throw new Error('no images in this test'); };

describe('lease gaps', () => {
  it('modelInfo and exportModel wait for an exclusive holder of the backend, then run', async () => {
    await tf.setBackend('cpu');
    const ctx = createContext(memoryKeyValue());
    const api = new EngineApi(ctx, noDecoder);
    const m = await api.createModel('resnet20', { numClasses: 10, inputSize: 32 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const exclusive = ctx.backend.exclusive('a benchmark switching backends', () => held);
    const order: string[] = [];
    const info = api.modelInfo(m.id).then((d) => { order.push('info'); return d; });
    const zip = api.exportModel(m.id).then((b) => { order.push('export'); return b; });
    await new Promise((r) => setTimeout(r, 100));
    expect(order).toEqual([]);
    order.push('released');
    release();
    await exclusive;
    expect((await info).layers.length).toBeGreaterThan(0);
    expect((await zip).size).toBeGreaterThan(0);
    expect(order[0]).toBe('released');
  });
});
