/**
 * Crash safety of the artifact store: a write killed between its parts and its record leaves the previous version
 * readable; a kill after the record leaves the new one; damaged bytes fail their checksum; the orphan sweep never
 * touches a write another tab has in flight (Web Locks through an injected lock manager) or young chunks.
 */
import { describe, expect, it } from 'vitest';
import { ArtifactStore, CHUNK_BYTES } from '../../../src/engine/storage/artifacts';
import { memoryKeyValue, type KeyValue } from '../../../src/engine/storage/kv';
import { localLockManager } from '../../../src/engine/storage/locks';

class Crash extends Error {}

/** A KeyValue that "loses power" at the first set whose key matches `when` (that set and all later ones fail). */
function crashing(kv: ReturnType<typeof memoryKeyValue>, when: (key: string) => boolean): KeyValue & { dead: boolean } {
  const o = {
    dead: false,
    get: kv.get,
    keys: kv.keys,
    async set(k: string, v: unknown) {
      if (o.dead || when(k)) {
        o.dead = true;
        throw new Crash('power lost');
      }
      await kv.set(k, v);
    },
    async del(k: string) {
      if (o.dead) throw new Crash('power lost');
      await kv.del(k);
    },
  };
  return o;
}

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 255;
  return b;
}
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

describe('crash-safe writes', () => {
  it('a crash between the new parts and the record resumes from the previous checkpoint, intact', async () => {
    const kv = memoryKeyValue();
    const v1 = bytes(1000, 1);
    await new ArtifactStore(kv).put('run', 'r', { epoch: 1 }, { checkpoint: v1 });
    const dying = new ArtifactStore(crashing(kv, (k) => k.startsWith('meta/')));
    await expect(dying.put('run', 'r', { epoch: 2 }, { checkpoint: bytes(1000, 2) })).rejects.toBeInstanceOf(Crash);
    // The "reloaded" app sees epoch 1 and its bytes, verified by their checksum.
    const after = new ArtifactStore(kv);
    expect((await after.require<{ epoch: number }>('run', 'r')).meta.epoch).toBe(1);
    expect(same(await after.getPart('run', 'r', 'checkpoint'), v1)).toBe(true);
    // The new chunks are orphans; the sweep removes them (grace 0) and the checkpoint still reads.
    expect(await after.sweepOrphans({ graceMs: 0 })).toBe(1);
    expect(same(await after.getPart('run', 'r', 'checkpoint'), v1)).toBe(true);
  });

  it('a crash after the record (before the old parts are deleted) reads the new version; the sweep drops the old', async () => {
    const kv = memoryKeyValue();
    await new ArtifactStore(kv).put('run', 'r', { epoch: 1 }, { checkpoint: bytes(CHUNK_BYTES + 5, 1) });
    const inner = crashing(kv, () => false);
    const store = new ArtifactStore({ ...inner, set: inner.set, del: async () => { throw new Crash('power lost'); } });
    const v2 = bytes(300, 2);
    await expect(store.put('run', 'r', { epoch: 2 }, { checkpoint: v2 })).rejects.toBeInstanceOf(Crash);
    const after = new ArtifactStore(kv);
    expect((await after.require<{ epoch: number }>('run', 'r')).meta.epoch).toBe(2);
    expect(same(await after.getPart('run', 'r', 'checkpoint'), v2)).toBe(true);
    expect(await after.sweepOrphans({ graceMs: 0 })).toBe(2);
    expect([...kv.map.keys()].filter((k) => k.startsWith('blob/'))).toHaveLength(1);
  });

  it('a crash half-way through a multi-chunk model leaves no record and the previous parts untouched', async () => {
    const kv = memoryKeyValue();
    let sets = 0;
    const store = new ArtifactStore(crashing(kv, () => ++sets === 2));
    await expect(store.put('model', 'm', { n: 1 }, { weights: bytes(CHUNK_BYTES * 2 + 1, 3), 'model.json': bytes(10, 4) })).rejects.toBeInstanceOf(Crash);
    expect(await new ArtifactStore(kv).get('model', 'm')).toBeUndefined();
    expect(await new ArtifactStore(kv).list('model')).toEqual([]);
  });

  it('a failed write (quota) removes the chunks it wrote: nothing partial is left', async () => {
    const kv = memoryKeyValue();
    let sets = 0;
    const full: KeyValue = { ...kv, set: async (k, v) => { if (++sets === 3) throw new Error('QuotaExceededError'); await kv.set(k, v); } };
    await new ArtifactStore(kv).put('dataset', 'd', { n: 0 }, { labels: bytes(4, 0) });
    const before = [...kv.map.keys()].sort();
    await expect(new ArtifactStore(full).put('dataset', 'd', { n: 1 }, { images: bytes(CHUNK_BYTES * 3, 1) })).rejects.toThrow(/Quota/);
    expect([...kv.map.keys()].sort()).toEqual(before);
  });

  it('a flipped bit in a stored chunk fails the checksum with storage-damaged', async () => {
    const kv = memoryKeyValue();
    const store = new ArtifactStore(kv);
    await store.put('model', 'm', {}, { weights: bytes(64, 5) });
    const key = [...kv.map.keys()].find((k) => k.startsWith('blob/model/m/weights@'))!;
    (kv.map.get(key) as Uint8Array)[17]! ^= 4;
    await expect(store.getPart('model', 'm', 'weights')).rejects.toMatchObject({ code: 'storage-damaged', message: expect.stringMatching(/checksum/) });
    kv.map.delete(key);
    await expect(store.getPart('model', 'm', 'weights')).rejects.toMatchObject({ code: 'storage-damaged', message: expect.stringMatching(/missing chunk 0/) });
  });

  it('reads records written before versions and checksums existed, and replaces their parts safely', async () => {
    const kv = memoryKeyValue();
    await kv.set('blob/run/old/checkpoint/0', bytes(5, 9));
    await kv.set('meta/run/old', { kind: 'run', id: 'old', meta: { e: 1 }, parts: { checkpoint: 5 }, bytes: 5, updatedAt: 1 });
    const store = new ArtifactStore(kv);
    expect(same(await store.getPart('run', 'old', 'checkpoint'), bytes(5, 9))).toBe(true);
    await store.put('run', 'old', { e: 2 }, { checkpoint: bytes(6, 1) });
    expect(kv.map.has('blob/run/old/checkpoint/0')).toBe(false);
    expect(same(await store.getPart('run', 'old', 'checkpoint'), bytes(6, 1))).toBe(true);
  });
});

describe('two tabs', () => {
  it('the orphan sweep of a new tab does not delete the chunks another tab is writing', async () => {
    const kv = memoryKeyValue();
    const locks = localLockManager(); // one browser: both tabs see the same Web Locks
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const atGate = new Promise<void>((r) => (reached = r));
    const slow: KeyValue = {
      ...kv,
      set: async (k, v) => {
        await kv.set(k, v);
        if (k.includes('images@') && k.endsWith('/0')) {
          reached();
          await gate;
        }
      },
    };
    const tabA = new ArtifactStore(slow, { locks });
    const tabB = new ArtifactStore(kv, { locks });
    const writing = tabA.put('dataset', 'd', { n: 1 }, { images: bytes(CHUNK_BYTES + 3, 7) });
    await atGate;
    expect(await tabB.sweepOrphans({ graceMs: 0 })).toBe(0); // A holds the write lock: B's sweep waits for a later start
    release();
    await writing;
    expect(same(await tabB.getPart('dataset', 'd', 'images'), bytes(CHUNK_BYTES + 3, 7))).toBe(true);
    expect(await tabB.sweepOrphans({ graceMs: 0 })).toBe(0);
  });

  it('without a lock, young orphan chunks survive the sweep (grace period) and old ones go', async () => {
    const kv = memoryKeyValue();
    let t = 1_000_000;
    const store = new ArtifactStore(kv, { now: () => t });
    await kv.set(`blob/dataset/x/images@${(t - 1000).toString(36)}-abc/0`, new Uint8Array(3));
    expect(await store.sweepOrphans()).toBe(0);
    t += 11 * 60 * 1000;
    expect(await store.sweepOrphans()).toBe(1);
  });

  it('two tabs importing at once both commit', async () => {
    const kv = memoryKeyValue();
    const locks = localLockManager();
    const a = new ArtifactStore(kv, { locks });
    const b = new ArtifactStore(kv, { locks });
    await Promise.all([a.put('dataset', 'da', { n: 'a' }, { images: bytes(5000, 1) }), b.put('dataset', 'db', { n: 'b' }, { images: bytes(7000, 2) }), b.sweepOrphans({ graceMs: 0 })]);
    expect((await a.list('dataset')).map((r) => r.id).sort()).toEqual(['da', 'db']);
    expect(same(await a.getPart('dataset', 'db', 'images'), bytes(7000, 2))).toBe(true);
    expect(same(await b.getPart('dataset', 'da', 'images'), bytes(5000, 1))).toBe(true);
  });
});
