/**
 * Results that stay: analyses are stored with their model version and found again by a new engine over the same
 * storage (a reload), one per criterion, and deleted with the model; train, pruneModel and reconstruct evaluate the
 * new version on the first test images by default (Compare's top-1), `evaluate: false` skips it; a discarded run
 * is deleted.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type WorkerContext } from '../../../src/api/worker/context';
import { saveDataset } from '../../../src/api/worker/datasets';
import { EngineApi } from '../../../src/api/worker/engine-api';
import { saveModel } from '../../../src/api/worker/models';
import type { ImageDecoder } from '../../../src/engine/data/custom';
import { makeDemoDataset } from '../../../src/engine/data/demo';
import { smallCnn } from '../../helpers/small-cnn';
import { memoryKeyValue, type KeyValue } from '../../../src/engine/storage/kv';

const noDecoder: ImageDecoder = async () => { throw new Error('no images in this test'); };
let previous: string;
let kv: KeyValue;
let ctx: WorkerContext;
let api: EngineApi;
let modelId: string;
let datasetId: string;
const TEST_IMAGES = 120;

beforeAll(async () => {
  previous = tf.getBackend();
  await tf.setBackend('cpu');
  kv = memoryKeyValue();
  ctx = createContext(kv);
  api = new EngineApi(ctx, noDecoder);
  await api.backends(); // the start-up probe has settled
  await api.setBackend('cpu');
  const ds = makeDemoDataset({ trainPerClass: 20, testPerClass: TEST_IMAGES / 10, seed: 2 });
  datasetId = (await saveDataset(ctx, ds)).id;
  modelId = (await saveModel(ctx, smallCnn(ds.info.classes, { widths: [8, 16], seed: 3, arch: 'tiny-cnn' }), { name: 'tiny' })).id;
}, 120_000);

afterAll(async () => {
  await tf.setBackend(previous);
});

describe('analyses are stored with their model version', () => {
  it('a new engine over the same storage lists them (scores included), one per criterion; deleting the model deletes them', async () => {
    const l1 = await api.analyze(modelId, null, { criterion: 'l1' });
    expect(l1).toMatchObject({ modelId, criterion: 'l1', datasetId: null });
    const mean = await api.analyze(modelId, datasetId, { criterion: 'mean', batches: 1, batchSize: 16 });
    expect(mean.datasetId).toBe(datasetId);

    const reloaded = new EngineApi(createContext(kv), noDecoder); // a reload: new engine, same IndexedDB
    await reloaded.backends();
    await reloaded.setBackend('cpu');
    const stored = await reloaded.analyses(modelId);
    expect(stored.map((a) => a.criterion).sort()).toEqual(['l1', 'mean']);
    const back = stored.find((a) => a.criterion === 'mean')!;
    expect(back.images).toBe(mean.images);
    expect(back.groups.map((g) => g.id)).toEqual(mean.groups.map((g) => g.id));
    for (const [i, g] of back.groups.entries()) expect(g.scores).toEqual(mean.groups[i]!.scores.map((v) => Math.fround(v)));
    expect(stored[0]!.createdAt).toBeGreaterThanOrEqual(stored[1]!.createdAt); // newest first

    await reloaded.analyze(modelId, null, { criterion: 'l1', seed: 5 }); // replaces the earlier L1 analysis
    expect((await api.analyses(modelId)).length).toBe(2);
    expect(await api.analyses('model-none')).toEqual([]);

    const other = (await saveModel(ctx, smallCnn(makeDemoDataset({ trainPerClass: 1, testPerClass: 1 }).info.classes, { widths: [8, 16], seed: 3, arch: 'tiny-cnn' }), { name: 'other' })).id;
    await api.analyze(other, null, { criterion: 'fpgm' });
    await api.deleteModel(other);
    expect(await api.analyses(other)).toEqual([]);
    expect((await kv.keys()).filter((k) => k.includes(`/analysis/${other}`))).toEqual([]);
    expect((await api.analyses(modelId)).length).toBe(2); // the other model's analyses stay
  }, 120_000);
});

describe('auto-evaluation of new versions', () => {
  it('train, pruneModel and reconstruct record top-1 on the first test images; evaluate: false skips it', async () => {
    const tr = await api.train(modelId, datasetId, { epochs: 1, batchSize: 25, lr: 0.05, validateLimit: 0, backend: 'current', augment: false, images: 50 });
    expect(tr.evaluation).toMatchObject({ split: 'test', start: 0, end: TEST_IMAGES, count: TEST_IMAGES });
    expect(tr.model.measures?.evals?.[`test:0-${TEST_IMAGES}`]?.top1).toBe(tr.evaluation!.top1);
    const run = (await api.runs()).find((r) => r.runId === tr.runId)!;
    expect(run.evaluation?.top1).toBe(tr.evaluation!.top1); // stays with the run for its page after a reload

    const groups = (await api.dependencyGroups(tr.model.id)).filter((g) => g.prunable);
    const remove = { [groups[0]!.id]: [0, 1] };
    const pruned = await api.pruneModel(tr.model.id, { remove }, { datasetId, recover: 'none' });
    const small = await api.pruneModel(tr.model.id, { remove }, { datasetId, recover: 'none', evaluate: false });
    const rec = await api.reconstruct(small.id, tr.model.id, datasetId, { method: 'bn', calibrationImages: 40, evaluate: 50 });
    const rows = await api.report([tr.model.id, pruned.id, small.id, rec.model.id]);
    expect(rows.map((r) => r.top1 !== undefined)).toEqual([true, true, false, true]);
    expect(rows[3]!.evals?.['test:0-50']?.count).toBe(50);

    const noEval = await api.train(modelId, datasetId, { epochs: 1, batchSize: 25, validateLimit: 0, backend: 'current', evaluate: false, images: 50 });
    expect(noEval.evaluation).toBeUndefined();
    expect(noEval.model.measures?.evals).toBeUndefined();
    await expect(api.train(modelId, datasetId, { epochs: 1, validateLimit: 0, backend: 'current', evaluate: -3 as number })).rejects.toMatchObject({ code: 'bad-input' });

    await api.deleteRun(noEval.runId);
    expect((await api.runs()).some((r) => r.runId === noEval.runId)).toBe(false);
    expect((await api.models()).some((m) => m.id === noEval.model.id)).toBe(true); // its model stays
  }, 300_000);
});
