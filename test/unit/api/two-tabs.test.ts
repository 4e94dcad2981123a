/**
 * Two tabs over one storage: a run executing in tab A (it holds the run's Web Lock) shows as running in tab B, not
 * interrupted, and tab B refuses to resume it; once tab A lets go, tab B sees it as interrupted and resumable.
 * Both "tabs" live in this process and share the in-process lock manager, as two tabs share navigator.locks.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../../../src/api/worker/context';
import { EngineApi } from '../../../src/api/worker/engine-api';
import type { ImageDecoder } from '../../../src/engine/data/custom';
import { memoryKeyValue } from '../../../src/engine/storage/kv';
import { RunLockSet, defaultLockManager, resumeLock, runsHeld } from '../../../src/engine/storage/locks';

const noDecoder: ImageDecoder = async () => { throw new Error('no images in this test'); };
let previous: string;

beforeAll(async () => {
  previous = tf.getBackend();
  await tf.setBackend('cpu');
});
afterAll(async () => {
  await tf.setBackend(previous);
});

describe('a run belongs to one tab', () => {
  it('tab B shows tab A\'s live run as running and refuses to resume it; after tab A stops, it is interrupted', async () => {
    const kv = memoryKeyValue();
    const runId = 'run-two-tabs-1';
    await kv.set(`meta/run/${runId}`, {
      kind: 'run', id: runId, parts: {}, bytes: 0, updatedAt: 1,
      meta: { runId, kind: 'train', modelId: 'm', datasetId: 'd', status: 'running', epochsDone: 1, epochs: 5, history: [], updatedAt: 1, options: { epochs: 5 } },
    });
    const tabA = new RunLockSet(); // tab A's executing runs
    tabA.add(runId);
    await new Promise((r) => setTimeout(r, 10));
    expect((await runsHeld(defaultLockManager())).has(runId)).toBe(true);
    const tabB = new EngineApi(createContext(kv), noDecoder);
    expect((await tabB.runs()).find((r) => r.runId === runId)?.status).toBe('running');
    await expect(tabB.resumeRun(runId)).rejects.toMatchObject({ code: 'busy-elsewhere' });
    tabA.delete(runId); // tab A closed (its locks are released)
    await new Promise((r) => setTimeout(r, 10));
    expect((await tabB.runs()).find((r) => r.runId === runId)?.status).toBe('interrupted');
  });

  it('two tabs that both see a run as interrupted cannot both resume it: the second is refused while the first resumes', async () => {
    const kv = memoryKeyValue();
    const runId = 'run-two-tabs-2';
    await kv.set(`meta/run/${runId}`, {
      kind: 'run', id: runId, parts: {}, bytes: 0, updatedAt: 1,
      meta: { runId, kind: 'train', modelId: 'model-missing', datasetId: 'd', status: 'running', epochsDone: 1, epochs: 5, history: [], updatedAt: 1, options: { epochs: 5 } },
    });
    const tabB = new EngineApi(createContext(kv), noDecoder);
    expect((await tabB.runs()).find((r) => r.runId === runId)?.status).toBe('interrupted');
    // tab A is between "it is interrupted" and holding the run's own lock: it holds the resume claim
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tabA = defaultLockManager().request(resumeLock(runId), { mode: 'exclusive' }, () => held);
    await new Promise((r) => setTimeout(r, 10));
    await expect(tabB.resumeRun(runId)).rejects.toMatchObject({ code: 'busy-elsewhere', message: expect.stringMatching(/being resumed in another tab/) });
    release();
    await tabA;
    // once tab A is done, tab B's resume goes ahead (and here fails on the run's missing model, not on the claim)
    await expect(tabB.resumeRun(runId)).rejects.toMatchObject({ code: 'not-found' });
    expect((await runsHeld(defaultLockManager())).has(runId)).toBe(false);
  });
});
