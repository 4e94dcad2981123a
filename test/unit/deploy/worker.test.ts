import * as tf from '@tensorflow/tfjs';
import { unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { createContext, type WorkerContext } from '../../../src/api/worker/context';
import { saveDataset } from '../../../src/api/worker/datasets';
import { exportBundle, importResults, runBundle } from '../../../src/api/worker/deploy';
import { saveModel } from '../../../src/api/worker/models';
import { decodeBundle } from '../../../src/engine/deploy/bundle';
import { encodeResults, encodeResultsForQr } from '../../../src/engine/deploy/results';
import type { DeployResults, DeviceLatencyRecord } from '../../../src/engine/deploy/types';
import type { ModelInfo } from '../../../src/engine/models/types';
import { memoryKeyValue } from '../../../src/engine/storage/kv';
import { expectNoLeak } from '../../helpers/leak';
import { CLASSES, makeModel, makeSplit, SIZE } from './fixtures';

let ctx: WorkerContext;
let ids: string[];
let datasetId: string;

beforeAll(async () => {
  ctx = createContext(memoryKeyValue());
  const ds = await saveDataset(ctx, {
    info: { id: 'ds-tiny', name: 'tiny', kind: 'custom', classes: CLASSES, imageSize: SIZE, counts: { train: 8, test: 40 }, bytes: 0, createdAt: 0 },
    splits: { train: makeSplit(8, 1), test: makeSplit(40, 2) },
  });
  datasetId = ds.id;
  const orig = await saveModel(ctx, makeModel(5), { name: 'tiny original' });
  const pruned = await saveModel(ctx, makeModel(6, SIZE, 2), { name: 'tiny pruned', parentId: orig.id, step: 'pruned l1 50% MACs' });
  ids = [orig.id, pruned.id];
});

describe('worker deploy feature', () => {
  let results: DeployResults;

  it('exports a bundle of stored models with the first N test images', async () => {
    const blob = await expectNoLeak(() => exportBundle(ctx, ids, datasetId, { images: 30, warmup: 1, runs: 2, minTimeMs: 0 }));
    const d = decodeBundle(new Uint8Array(await blob.arrayBuffer()));
    expect(d.manifest.models.map((m) => [m.id, m.role])).toEqual([[ids[0], 'original'], [ids[1], 'pruned']]);
    expect(d.manifest.images.count).toBe(30);
    expect(Array.from(d.labels)).toEqual(Array.from(makeSplit(40, 2).labels.slice(0, 30)));
    expect(d.manifest.desktop.backend).toBe('cpu');
    expect(d.manifest.models[1]!.info.lineage).toContain('pruned l1 50% MACs');
    expect(Object.keys(unzipSync(new Uint8Array(await blob.arrayBuffer())))).toContain(`pred/${ids[1]}.bin`);
    // more images than the split has: all of them
    const all = decodeBundle(new Uint8Array(await (await exportBundle(ctx, ids.slice(0, 1), datasetId, {})).arrayBuffer()));
    expect(all.manifest.images.count).toBe(40);

    results = await expectNoLeak(() => runBundle(ctx, blob, { backends: ['cpu', 'no-such-backend'], device: { label: 'bench phone' }, hidden: () => false }));
    expect(tf.getBackend()).toBe('cpu');
    expect(results.deviceLabel).toBe('bench phone');
    expect('error' in results.backends['no-such-backend']!).toBe(true);
    const cpu = results.backends.cpu!;
    if ('error' in cpu) throw new Error(cpu.error);
    for (const id of ids) {
      const x = cpu.models[id]!;
      if ('error' in x) throw new Error(x.error);
      expect(x.agreement).toBe(1);
    }
  });

  it('refuses a model whose input size does not fit the dataset', async () => {
    const big = await saveModel(ctx, makeModel(9, SIZE * 2), { name: 'big' });
    await expect(exportBundle(ctx, [big.id], datasetId)).rejects.toMatchObject({ code: 'shape-mismatch' });
  });

  it('importResults attaches a device column to the local models (file and QR forms)', async () => {
    const withGhost: DeployResults = { ...results, models: [...results.models, { id: 'model-not-here', name: 'gone', role: 'pruned' }] };
    const s = await importResults(ctx, encodeResults(withGhost));
    expect(s).toEqual({ deviceLabel: 'bench phone', models: ids, missing: ['model-not-here'] });
    for (const id of ids) {
      const info = (await ctx.store.require<ModelInfo>('model', id)).meta;
      const col = info.measures?.devices?.['bench phone']?.cpu as DeviceLatencyRecord | undefined;
      const cpu = results.backends.cpu as { models: Record<string, { latency: { medianMs: number } }> };
      expect(col?.medianMs).toBe(cpu.models[id]!.latency.medianMs);
      expect(col?.agreement).toBe(1);
      expect(info.measures?.devices?.['bench phone']?.['no-such-backend']).toBeUndefined();
    }
    const other: DeployResults = { ...results, deviceLabel: 'second phone' };
    expect((await importResults(ctx, encodeResultsForQr(other))).models).toEqual(ids);
    const info = (await ctx.store.require<ModelInfo>('model', ids[0]!)).meta;
    expect(Object.keys(info.measures?.devices ?? {}).sort()).toEqual(['bench phone', 'second phone']);
  });
});
