/**
 * The worker's cache of loaded models, bounded by the bytes of their weights (not by a count) and reference-counted:
 * a job acquires the models it uses and releases them when it ends, and a model that is held is never disposed.
 * Eviction (least recently used first) only ever picks models nobody holds; when everything cached is held the cache
 * may exceed its budget until a holder releases. A model replaced or deleted while held is disposed at its last
 * release.
 */
import type * as tf from '@tensorflow/tfjs';

/** Default budget: a few ResNets and a VGG-16 (~60 MB of float32 weights) fit; more than that is reloaded on demand. */
export const MODEL_CACHE_BYTES = 256 * 1024 * 1024;

interface Entry { model: tf.LayersModel; bytes: number; refs: number }

/** A held model: use `model` until `release()`; releasing twice is a no-op. */
export interface ModelLease {
  readonly model: tf.LayersModel;
  release(): void;
}

/** Bytes of a model's weights as stored (float32 unless a variable says otherwise). */
export function modelBytes(model: tf.LayersModel): number {
  let n = 0;
  for (const w of model.weights) {
    // float32 and int32 variables alike take 4 bytes an element.
    n += w.shape.reduce<number>((a, b) => a * (b ?? 1), 1) * 4;
  }
  return n;
}

export class ModelCache {
  private readonly map = new Map<string, Entry>();
  /** Entries no longer in `map` (replaced or deleted) that are still held: disposed at their last release. */
  private readonly orphaned = new Set<Entry>();

  constructor(readonly budgetBytes = MODEL_CACHE_BYTES) {}

  /** The cached instance (marked most recently used), without holding it. */
  get(id: string): tf.LayersModel | undefined {
    const e = this.touch(id);
    return e?.model;
  }

  has(id: string): boolean {
    return this.map.has(id);
  }

  /** Caches `model` under `id` (the cache now owns it). A different instance cached under `id` is dropped. */
  set(id: string, model: tf.LayersModel): void {
    const old = this.map.get(id);
    if (old?.model === model) {
      this.touch(id);
      return;
    }
    if (old) this.drop(id, old);
    this.map.set(id, { model, bytes: modelBytes(model), refs: 0 });
    this.evict();
  }

  /** Holds the cached model `id` (it must be cached: see `acquireModel` in models.ts, which loads it first). */
  acquire(id: string): ModelLease {
    const e = this.touch(id);
    if (!e) throw new Error(`model ${id} is not cached`);
    e.refs++;
    let released = false;
    return {
      model: e.model,
      release: () => {
        if (released) return;
        released = true;
        e.refs--;
        if (e.refs > 0) return;
        if (this.orphaned.delete(e)) e.model.dispose();
        else this.evict();
      },
    };
  }

  /** Forgets `id`; the model is disposed now, or at its last release if it is held. */
  delete(id: string): void {
    const e = this.map.get(id);
    if (e) this.drop(id, e);
  }

  /** How many holders `id` has (0 when not cached). */
  refs(id: string): number {
    return this.map.get(id)?.refs ?? 0;
  }

  /** Bytes of all cached models (held or not). */
  get bytes(): number {
    let n = 0;
    for (const e of this.map.values()) n += e.bytes;
    return n;
  }

  get size(): number {
    return this.map.size;
  }

  /** Disposes every model nobody holds (tests, memory pressure). */
  clear(): void {
    for (const [id, e] of [...this.map]) if (e.refs === 0) this.drop(id, e);
  }

  private touch(id: string): Entry | undefined {
    const e = this.map.get(id);
    if (e) {
      this.map.delete(id);
      this.map.set(id, e);
    }
    return e;
  }

  private drop(id: string, e: Entry): void {
    this.map.delete(id);
    if (e.refs > 0) this.orphaned.add(e);
    else e.model.dispose();
  }

  /** Drops least recently used unheld models until the budget holds; the most recent one always stays. */
  private evict(): void {
    let total = this.bytes;
    const entries = [...this.map];
    for (const [id, e] of entries.slice(0, -1)) {
      if (total <= this.budgetBytes) break;
      if (e.refs > 0) continue;
      this.drop(id, e);
      total -= e.bytes;
    }
  }
}
