/**
 * Typed artifact store (datasets, models, runs, reports, checkpoints) on a KeyValue.
 * Layout: `meta/<kind>/<id>` holds the record; binary parts live in chunks `blob/<kind>/<id>/<part>/<i>` of at most
 * CHUNK_BYTES each. The meta record is written LAST, so it is the commit marker: a crashed or cancelled write leaves
 * only orphan chunks, which `sweepOrphans()` removes and `list()` never shows.
 */
import { StudioError } from '../errors';
import type { KeyValue } from './kv';

export type ArtifactKind = 'dataset' | 'model' | 'run' | 'report' | 'checkpoint';
export const CHUNK_BYTES = 32 * 1024 * 1024;

export interface ArtifactRecord<M> {
  kind: ArtifactKind;
  id: string;
  meta: M;
  /** Part name → byte length. */
  parts: Record<string, number>;
  bytes: number;
  updatedAt: number;
}

const metaKey = (kind: ArtifactKind, id: string) => `meta/${kind}/${id}`;
const chunkKey = (kind: ArtifactKind, id: string, part: string, i: number) => `blob/${kind}/${id}/${part}/${i}`;

export class ArtifactStore {
  constructor(private readonly kv: KeyValue) {}

  async put<M>(kind: ArtifactKind, id: string, meta: M, parts: Record<string, Uint8Array> = {}): Promise<ArtifactRecord<M>> {
    const previous = await this.kv.get<ArtifactRecord<M>>(metaKey(kind, id));
    const sizes: Record<string, number> = {};
    for (const [part, bytes] of Object.entries(parts)) {
      sizes[part] = bytes.byteLength;
      for (let i = 0, off = 0; off < bytes.byteLength || i === 0; i++, off += CHUNK_BYTES) {
        // Copy each chunk into its own buffer so IndexedDB stores just that slice.
        await this.kv.set(chunkKey(kind, id, part, i), bytes.slice(off, Math.min(off + CHUNK_BYTES, bytes.byteLength)));
        if (bytes.byteLength === 0) break;
      }
    }
    // Keep parts of a previous version that were not rewritten (meta-only updates).
    const allParts = { ...(previous?.parts ?? {}), ...sizes };
    const record: ArtifactRecord<M> = {
      kind, id, meta, parts: allParts,
      bytes: Object.values(allParts).reduce((a, b) => a + b, 0),
      updatedAt: Date.now(),
    };
    await this.kv.set(metaKey(kind, id), record);
    return record;
  }

  /** Updates only the meta of an existing record. */
  async updateMeta<M>(kind: ArtifactKind, id: string, update: (m: M) => M): Promise<ArtifactRecord<M>> {
    const rec = await this.require<M>(kind, id);
    const next = { ...rec, meta: update(rec.meta), updatedAt: Date.now() };
    await this.kv.set(metaKey(kind, id), next);
    return next;
  }

  /** Drops one binary part (e.g. a finished run's checkpoint) and keeps the record. */
  async removePart(kind: ArtifactKind, id: string, part: string): Promise<void> {
    const rec = await this.require(kind, id);
    if (rec.parts[part] === undefined) return;
    const parts = { ...rec.parts };
    delete parts[part];
    await this.kv.set(metaKey(kind, id), { ...rec, parts, bytes: Object.values(parts).reduce((a, b) => a + b, 0), updatedAt: Date.now() });
    const prefix = `blob/${kind}/${id}/${part}/`;
    for (const k of await this.kv.keys()) if (k.startsWith(prefix)) await this.kv.del(k);
  }

  get<M>(kind: ArtifactKind, id: string): Promise<ArtifactRecord<M> | undefined> {
    return this.kv.get<ArtifactRecord<M>>(metaKey(kind, id));
  }

  async require<M>(kind: ArtifactKind, id: string): Promise<ArtifactRecord<M>> {
    const rec = await this.get<M>(kind, id);
    if (!rec) throw new StudioError('not-found', `No ${kind} with id "${id}" in storage.`);
    return rec;
  }

  async getPart(kind: ArtifactKind, id: string, part: string): Promise<Uint8Array> {
    const rec = await this.require(kind, id);
    const size = rec.parts[part];
    if (size === undefined) throw new StudioError('not-found', `${kind} "${id}" has no part "${part}".`);
    const out = new Uint8Array(size);
    for (let i = 0, off = 0; off < size; i++) {
      const chunk = await this.kv.get<Uint8Array>(chunkKey(kind, id, part, i));
      if (!chunk) throw new StudioError('internal', `${kind} "${id}" part "${part}" is missing chunk ${i}: storage is damaged; delete and re-create it.`);
      out.set(chunk, off);
      off += chunk.byteLength;
    }
    return out;
  }

  async list<M>(kind: ArtifactKind): Promise<ArtifactRecord<M>[]> {
    const prefix = `meta/${kind}/`;
    const out: ArtifactRecord<M>[] = [];
    for (const k of await this.kv.keys()) {
      if (!k.startsWith(prefix)) continue;
      const rec = await this.kv.get<ArtifactRecord<M>>(k);
      if (rec) out.push(rec);
    }
    return out.sort((a, b) => a.updatedAt - b.updatedAt);
  }

  async delete(kind: ArtifactKind, id: string): Promise<void> {
    await this.kv.del(metaKey(kind, id)); // uncommit first, then the chunks
    const prefix = `blob/${kind}/${id}/`;
    for (const k of await this.kv.keys()) if (k.startsWith(prefix)) await this.kv.del(k);
  }

  /** Removes chunks whose record was never committed (crashed or cancelled writes). Returns how many. */
  async sweepOrphans(): Promise<number> {
    const all = await this.kv.keys();
    const committed = new Set(all.filter((k) => k.startsWith('meta/')).map((k) => k.slice(5)));
    let n = 0;
    for (const k of all) {
      if (!k.startsWith('blob/')) continue;
      const [, kind, id] = k.split('/');
      if (!committed.has(`${kind}/${id}`)) {
        await this.kv.del(k);
        n++;
      }
    }
    return n;
  }

  async totalBytes(): Promise<number> {
    let sum = 0;
    for (const k of await this.kv.keys()) {
      if (!k.startsWith('meta/')) continue;
      sum += (await this.kv.get<ArtifactRecord<unknown>>(k))?.bytes ?? 0;
    }
    return sum;
  }
}

/** Storage used/quota and persistence, where the platform exposes them. */
export async function storageEstimate(): Promise<{ usage: number; quota: number; persisted: boolean }> {
  const sm = (globalThis.navigator as Navigator | undefined)?.storage;
  if (!sm?.estimate) return { usage: 0, quota: 0, persisted: false };
  const { usage = 0, quota = 0 } = await sm.estimate();
  const persisted = sm.persisted ? await sm.persisted() : false;
  return { usage, quota, persisted };
}

export async function requestPersistentStorage(): Promise<boolean> {
  const sm = (globalThis.navigator as Navigator | undefined)?.storage;
  return sm?.persist ? sm.persist() : false;
}

export function newId(prefix: string): string {
  const rnd = Math.random().toString(36).slice(2, 8);
  return `${prefix}-${Date.now().toString(36)}-${rnd}`;
}
