/**
 * Typed artifact store (datasets, models, runs, reports, checkpoints) on a KeyValue.
 * Layout: `meta/<kind>/<id>` holds the record; binary parts live in chunks `blob/<kind>/<id>/<part>@<version>/<i>` of
 * at most CHUNK_BYTES each. A write is crash-safe: every part goes to chunks under a NEW version, the record (which
 * names each part's version, chunk count and CRC-32) is written LAST as the commit marker, and only then are the
 * previous version's chunks deleted. A crash anywhere before the record leaves the previous record and its parts
 * intact (the new chunks are orphans); a crash after it leaves stale chunks. `sweepOrphans()` removes both, but only
 * while no tab is writing (Web Locks: writers hold WRITE_LOCK shared, the sweep needs it exclusive) and only chunks
 * older than a grace period. Reads verify each part's CRC-32 and fail with `storage-damaged` on a mismatch.
 * Records written before versions existed (chunks `blob/<kind>/<id>/<part>/<i>`, no checksum) are still read.
 */
import { StudioError } from '../errors';
import { crc32 } from './crc32';
import type { KeyValue } from './kv';
import { defaultLockManager, WRITE_LOCK, type LockManagerLike } from './locks';

export type ArtifactKind = 'dataset' | 'model' | 'run' | 'report' | 'checkpoint' | 'analysis';
export const CHUNK_BYTES = 32 * 1024 * 1024;
/** Orphan chunks younger than this are left alone by the sweep (a write in a tab without Web Locks). */
export const SWEEP_GRACE_MS = 10 * 60 * 1000;

/** Where a part's bytes are: its version, chunk count and CRC-32 of the whole part. */
export interface PartInfo { v: string; chunks: number; crc: number }

export interface ArtifactRecord<M> {
  kind: ArtifactKind;
  id: string;
  meta: M;
  /** Part name → byte length. */
  parts: Record<string, number>;
  /** Part name → version, chunks and checksum (absent for parts written before versions existed). */
  partInfo?: Record<string, PartInfo>;
  bytes: number;
  updatedAt: number;
}

export interface StoreOptions {
  locks?: LockManagerLike;
  /** The clock for versions and the sweep's grace period (tests). */
  now?: () => number;
}

const metaKey = (kind: ArtifactKind, id: string) => `meta/${kind}/${id}`;
const partDir = (kind: ArtifactKind, id: string, part: string, v?: string) => `blob/${kind}/${id}/${v ? `${part}@${v}` : part}/`;
const chunkCount = (size: number) => Math.max(1, Math.ceil(size / CHUNK_BYTES));
const sum = (parts: Record<string, number>) => Object.values(parts).reduce((a, b) => a + b, 0);

export class ArtifactStore {
  private readonly locks: LockManagerLike;
  private readonly now: () => number;

  constructor(private readonly kv: KeyValue, opts: StoreOptions = {}) {
    this.locks = opts.locks ?? defaultLockManager();
    this.now = opts.now ?? Date.now;
  }

  /** Holds the store's write lock shared and the record's lock exclusive (one writer per record, in any tab). */
  private writing<T>(kind: ArtifactKind, id: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.request(WRITE_LOCK, { mode: 'shared' }, () =>
      this.locks.request(`pruning-studio:record:${kind}/${id}`, { mode: 'exclusive' }, fn));
  }

  async put<M>(kind: ArtifactKind, id: string, meta: M, parts: Record<string, Uint8Array> = {}): Promise<ArtifactRecord<M>> {
    for (const part of Object.keys(parts)) {
      if (!part || /[/@]/.test(part)) throw new StudioError('bad-input', `Part name "${part}" may not be empty or contain "/" or "@".`);
    }
    return this.writing(kind, id, async () => {
      const previous = await this.kv.get<ArtifactRecord<M>>(metaKey(kind, id));
      const sizes: Record<string, number> = {};
      const info: Record<string, PartInfo> = {};
      const written: string[] = [];
      try {
        for (const [part, bytes] of Object.entries(parts)) {
          const v = `${this.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
          const n = chunkCount(bytes.byteLength);
          for (let i = 0; i < n; i++) {
            const key = `${partDir(kind, id, part, v)}${i}`;
            // Copy each chunk into its own buffer so IndexedDB stores just that slice.
            await this.kv.set(key, bytes.slice(i * CHUNK_BYTES, Math.min((i + 1) * CHUNK_BYTES, bytes.byteLength)));
            written.push(key);
          }
          sizes[part] = bytes.byteLength;
          info[part] = { v, chunks: n, crc: crc32(bytes) };
        }
      } catch (e) {
        await this.dropWritten(written);
        throw e;
      }
      // Keep parts of a previous version that were not rewritten (meta-only updates).
      const allParts = { ...(previous?.parts ?? {}), ...sizes };
      const prevInfo = previous?.partInfo ?? {};
      const allInfo: Record<string, PartInfo> = {};
      for (const p of Object.keys(allParts)) {
        const pi = info[p] ?? prevInfo[p];
        if (pi) allInfo[p] = pi;
      }
      const record: ArtifactRecord<M> = { kind, id, meta, parts: allParts, partInfo: allInfo, bytes: sum(allParts), updatedAt: this.now() };
      try {
        await this.kv.set(metaKey(kind, id), record); // the commit
      } catch (e) {
        // The record itself did not fit (quota): the previous one still stands, so the new chunks must go too.
        await this.dropWritten(written);
        throw e;
      }
      if (previous) for (const p of Object.keys(sizes)) if (previous.parts[p] !== undefined) await this.deleteChunks(kind, id, p, previous);
      return record;
    });
  }

  /** Nothing partial: drops the chunks a failed write made (best effort; the sweep gets the rest). */
  private async dropWritten(keys: string[]): Promise<void> {
    for (const k of keys) await this.kv.del(k).catch(() => undefined);
  }

  /** Deletes the chunks of part `part` as `rec` describes them (its version, or the legacy unversioned layout). */
  private async deleteChunks(kind: ArtifactKind, id: string, part: string, rec: ArtifactRecord<unknown>): Promise<void> {
    const pi = rec.partInfo?.[part];
    const n = pi ? pi.chunks : chunkCount(rec.parts[part] ?? 0);
    const dir = partDir(kind, id, part, pi?.v);
    for (let i = 0; i < n; i++) await this.kv.del(`${dir}${i}`);
  }

  /** Updates only the meta of an existing record. */
  async updateMeta<M>(kind: ArtifactKind, id: string, update: (m: M) => M): Promise<ArtifactRecord<M>> {
    return this.writing(kind, id, async () => {
      const rec = await this.require<M>(kind, id);
      const next = { ...rec, meta: update(rec.meta), updatedAt: this.now() };
      await this.kv.set(metaKey(kind, id), next);
      return next;
    });
  }

  /** Drops one binary part (e.g. a finished run's checkpoint) and keeps the record. */
  async removePart(kind: ArtifactKind, id: string, part: string): Promise<void> {
    return this.writing(kind, id, async () => {
      const rec = await this.require(kind, id);
      if (rec.parts[part] === undefined) return;
      const parts = { ...rec.parts };
      delete parts[part];
      const partInfo = { ...(rec.partInfo ?? {}) };
      delete partInfo[part];
      await this.kv.set(metaKey(kind, id), { ...rec, parts, partInfo, bytes: sum(parts), updatedAt: this.now() });
      await this.deleteChunks(kind, id, part, rec);
    });
  }

  get<M>(kind: ArtifactKind, id: string): Promise<ArtifactRecord<M> | undefined> {
    return this.kv.get<ArtifactRecord<M>>(metaKey(kind, id));
  }

  async require<M>(kind: ArtifactKind, id: string): Promise<ArtifactRecord<M>> {
    const rec = await this.get<M>(kind, id);
    if (!rec) throw new StudioError('not-found', `No ${kind} with id "${id}" in storage.`);
    return rec;
  }

  /** Reads a part and verifies its checksum (`storage-damaged` when a chunk is missing or the bytes changed). */
  async getPart(kind: ArtifactKind, id: string, part: string): Promise<Uint8Array> {
    let rec = await this.require(kind, id);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.readPart(rec, part);
      } catch (e) {
        // A writer may have committed a new version and deleted the one this read started on: read the new one.
        const now = await this.require(kind, id);
        if (attempt < 2 && now.partInfo?.[part]?.v !== rec.partInfo?.[part]?.v) {
          rec = now;
          continue;
        }
        throw e;
      }
    }
  }

  private async readPart(rec: ArtifactRecord<unknown>, part: string): Promise<Uint8Array> {
    const { kind, id } = rec;
    const size = rec.parts[part];
    if (size === undefined) throw new StudioError('not-found', `${kind} "${id}" has no part "${part}".`);
    const pi = rec.partInfo?.[part];
    const dir = partDir(kind, id, part, pi?.v);
    const damaged = (why: string) => new StudioError('storage-damaged', `${kind} "${id}" part "${part}" ${why}: storage is damaged; delete and re-create it.`, { kind, id, part });
    const out = new Uint8Array(size);
    let off = 0;
    const n = pi ? pi.chunks : chunkCount(size);
    for (let i = 0; i < n && (pi || off < size); i++) {
      const chunk = await this.kv.get<Uint8Array>(`${dir}${i}`);
      if (!chunk) throw damaged(`is missing chunk ${i}`);
      if (off + chunk.byteLength > size) throw damaged(`has ${off + chunk.byteLength} bytes or more; its record says ${size}`);
      out.set(chunk, off);
      off += chunk.byteLength;
    }
    if (off !== size) throw damaged(`has ${off} bytes; its record says ${size}`);
    if (pi) {
      const crc = crc32(out);
      if (crc !== pi.crc) throw damaged(`fails its checksum (CRC-32 ${crc.toString(16)}, recorded ${pi.crc.toString(16)})`);
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
    return this.writing(kind, id, async () => {
      await this.kv.del(metaKey(kind, id)); // uncommit first, then the chunks
      const prefix = `blob/${kind}/${id}/`;
      for (const k of await this.kv.keys()) if (k.startsWith(prefix)) await this.kv.del(k);
    });
  }

  /**
   * Removes chunks no committed record points at (crashed or cancelled writes, versions replaced by a crash-interrupted
   * write). Runs only when no tab is writing (returns 0 otherwise: try again later) and skips chunks younger than
   * `graceMs`. Returns how many chunks it removed.
   */
  async sweepOrphans(o: { graceMs?: number } = {}): Promise<number> {
    const grace = o.graceMs ?? SWEEP_GRACE_MS;
    return this.locks.request(WRITE_LOCK, { mode: 'exclusive', ifAvailable: true }, async (lock) => {
      if (!lock) return 0;
      const all = await this.kv.keys();
      const live = new Set<string>();
      for (const k of all) {
        if (!k.startsWith('meta/')) continue;
        const rec = await this.kv.get<ArtifactRecord<unknown>>(k);
        if (!rec) continue;
        for (const p of Object.keys(rec.parts)) live.add(partDir(rec.kind, rec.id, p, rec.partInfo?.[p]?.v));
      }
      const now = this.now();
      let n = 0;
      for (const k of all) {
        if (!k.startsWith('blob/')) continue;
        const dir = k.slice(0, k.lastIndexOf('/') + 1);
        if (live.has(dir)) continue;
        const v = /@([0-9a-z]+)-[0-9a-z]*\/$/.exec(dir)?.[1];
        if (v !== undefined && now - parseInt(v, 36) < grace) continue;
        await this.kv.del(k);
        n++;
      }
      return n;
    });
  }

  async totalBytes(): Promise<number> {
    let total = 0;
    for (const k of await this.kv.keys()) {
      if (!k.startsWith('meta/')) continue;
      total += (await this.kv.get<ArtifactRecord<unknown>>(k))?.bytes ?? 0;
    }
    return total;
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
