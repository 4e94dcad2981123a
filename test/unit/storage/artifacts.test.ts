import { describe, expect, it } from 'vitest';
import { ArtifactStore, CHUNK_BYTES } from '../../../src/engine/storage/artifacts';
import { memoryKeyValue } from '../../../src/engine/storage/kv';

describe('ArtifactStore', () => {
  it('round-trips meta and multi-chunk parts, and lists committed records only', async () => {
    const kv = memoryKeyValue();
    const store = new ArtifactStore(kv);
    const big = new Uint8Array(CHUNK_BYTES * 2 + 17);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
    await store.put('dataset', 'd1', { name: 'x' }, { images: big, labels: new Uint8Array([1, 2, 3]) });
    const chunks = [...kv.map.keys()].filter((k) => k.startsWith('blob/dataset/d1/images@'));
    expect(chunks).toHaveLength(3);
    for (const k of chunks) expect((kv.map.get(k) as Uint8Array).byteLength).toBeLessThanOrEqual(CHUNK_BYTES);
    const back = await store.getPart('dataset', 'd1', 'images');
    expect(back.byteLength).toBe(big.byteLength);
    expect(back[CHUNK_BYTES * 2 + 4096 * 0]).toBe(big[CHUNK_BYTES * 2]);
    expect(Buffer.compare(Buffer.from(back), Buffer.from(big))).toBe(0);
    const list = await store.list<{ name: string }>('dataset');
    expect(list.map((r) => [r.id, r.meta.name, r.bytes])).toEqual([['d1', 'x', big.byteLength + 3]]);
  });

  it('keeps uncommitted chunks invisible and sweeps them', async () => {
    const kv = memoryKeyValue();
    const store = new ArtifactStore(kv);
    await kv.set('blob/dataset/tmp-1/images/0', new Uint8Array(10));
    expect(await store.list('dataset')).toEqual([]);
    expect(await store.sweepOrphans()).toBe(1);
    expect(kv.map.size).toBe(0);
  });

  it('deletes a record with all its chunks and reports missing ones clearly', async () => {
    const kv = memoryKeyValue();
    const store = new ArtifactStore(kv);
    await store.put('model', 'm', { a: 1 }, { weights: new Uint8Array(5) });
    await store.delete('model', 'm');
    expect(kv.map.size).toBe(0);
    await expect(store.getPart('model', 'm', 'weights')).rejects.toThrow(/No model with id "m"/);
  });

  it('updates meta without touching parts', async () => {
    const store = new ArtifactStore(memoryKeyValue());
    await store.put('model', 'm', { name: 'a' }, { weights: new Uint8Array([9, 8]) });
    await store.updateMeta<{ name: string }>('model', 'm', (m) => ({ ...m, name: 'b' }));
    expect((await store.require<{ name: string }>('model', 'm')).meta.name).toBe('b');
    expect(Array.from(await store.getPart('model', 'm', 'weights'))).toEqual([9, 8]);
  });
});

describe('ArtifactStore.removePart', () => {
  it('drops one part and its chunks, keeping the record and other parts', async () => {
    const kv = memoryKeyValue();
    const store = new ArtifactStore(kv);
    await store.put('run', 'r', { s: 1 }, { checkpoint: new Uint8Array(10), other: new Uint8Array(3) });
    await store.removePart('run', 'r', 'checkpoint');
    const rec = await store.require('run', 'r');
    expect(rec.parts).toEqual({ other: 3 });
    expect(rec.bytes).toBe(3);
    expect([...kv.map.keys()].some((k) => k.includes('/checkpoint'))).toBe(false);
  });
});
