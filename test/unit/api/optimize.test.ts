/**
 * studio.optimize at the worker level: a new version with parentId, lineage and optimizedFrom, checked against its
 * source, stored so that it reloads with the same logits; the source is untouched; an optimised version is refused.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type WorkerContext } from '../../../src/api/worker/context';
import { createDemoDataset } from '../../../src/api/worker/datasets';
import { loadModel, saveModel } from '../../../src/api/worker/models';
import { optimize, optimizedVersionOf } from '../../../src/api/worker/optimize';
import { maxRelativeDifference } from '../../../src/engine/deploy/optimize';
import { memoryKeyValue } from '../../../src/engine/storage/kv';
import { initWasmForNode } from '../../helpers/wasm';
import { loadAkamaster, loadCifarRecords } from '../models/akamaster';

let ctx: WorkerContext;
let previous: string;
beforeAll(async () => {
  previous = tf.getBackend();
  await initWasmForNode();
  await tf.setBackend('wasm');
  ctx = createContext(memoryKeyValue());
});
afterAll(async () => {
  await tf.setBackend(previous);
});

describe('optimize (worker)', () => {
  it('writes a checked, reloadable optimised version of akamaster ResNet-20', async () => {
    const src = await saveModel(ctx, await loadAkamaster(20), { name: 'r20', step: 'imported' });
    const ds = await createDemoDataset(ctx, { trainPerClass: 2, testPerClass: 2, seed: 1 });
    const r = await optimize(ctx, src.id, { datasetId: ds.id });
    expect(r.maxRelDiff).toBeLessThan(1e-4);
    expect(r.checkedOn).toMatch(/test images/);
    expect(r.model).toMatchObject({ parentId: src.id, optimizedFrom: src.id, name: 'r20 · optimised', macs: src.macs });
    expect(r.model.lineage.at(-1)).toMatch(/optimised for deployment \(19 BN folded/);
    expect(r.report.keptSelectionConvs).toHaveLength(2);
    expect(r.model.params).toBeLessThan(src.params);
    expect((await optimizedVersionOf(ctx, src.id))?.id).toBe(r.model.id);

    // stored and reloaded from model.json + weights: same logits as the source on real CIFAR-10 images
    ctx.models.delete(r.model.id);
    const reloaded = await loadModel(ctx, r.model.id, true);
    const original = await loadModel(ctx, src.id);
    const { x } = loadCifarRecords();
    const images = tf.tensor4d(x.subarray(0, 4 * 3072), [4, 32, 32, 3]);
    expect(maxRelativeDifference(original, reloaded, images)).toBeLessThan(1e-4);
    expect(reloaded.layers.filter((l) => l.getClassName() === 'BatchNormalization')).toHaveLength(0);
    images.dispose();
    reloaded.dispose();

    await expect(optimize(ctx, r.model.id)).rejects.toMatchObject({ code: 'bad-input' });
    const tensors = tf.memory().numTensors;
    const again = await optimize(ctx, src.id); // random check images, no dataset
    expect(again.checkedOn).toMatch(/random/);
    // only the new cached model's weights remain
    expect(tf.memory().numTensors - tensors).toBe((await loadModel(ctx, again.model.id)).weights.length);
  });
});
