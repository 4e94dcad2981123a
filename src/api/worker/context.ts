/**
 * What every worker-side feature shares: the artifact store, the job registry, and small caches of the
 * dataset/model currently in use (a CIFAR dataset is ~180 MB: keep one or two decoded, not all).
 */
import { ArtifactStore } from '../../engine/storage/artifacts';
import type { KeyValue } from '../../engine/storage/kv';
import type { LockManagerLike } from '../../engine/storage/locks';
import { type BackendLease, JobRegistry } from '../jobs';
import { threadBackendLease } from './backend-lease';
import { ModelCache, MODEL_CACHE_BYTES } from './model-cache';
import type { StatPool } from '../../engine/importance/stat-pool';

export class LruCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly size: number, private readonly onEvict?: (v: V) => void) {}
  get(k: string): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    const old = this.map.get(k);
    if (old !== undefined && old !== v) this.onEvict?.(old);
    this.map.delete(k);
    this.map.set(k, v);
    while (this.map.size > this.size) {
      const first = this.map.keys().next().value as string;
      const ev = this.map.get(first)!;
      this.map.delete(first);
      this.onEvict?.(ev);
    }
  }
  delete(k: string): void {
    const v = this.map.get(k);
    if (v !== undefined) this.onEvict?.(v);
    this.map.delete(k);
  }
}

export interface WorkerContext {
  store: ArtifactStore;
  jobs: JobRegistry;
  /** Loaded models, bounded by bytes; jobs hold theirs (acquireModel / withModel in models.ts) so none is disposed in use. */
  models: ModelCache;
  /** Who may use or switch the one global tfjs backend (jobs hold it shared; a switch needs it to themselves). */
  backend: BackendLease;
  /** Workers for the HRank/CHIP statistics (the browser engine worker's pool); absent: on this thread. */
  statPool?: StatPool;
  /** Spawns a WASM timing worker (workers/timing.worker.ts) for latency at another thread count; absent in Node. */
  timingWorker?: () => Worker;
}

export interface ContextOptions {
  statPool?: StatPool;
  timingWorker?: () => Worker;
  /** Model cache budget in bytes of weights (default MODEL_CACHE_BYTES). */
  modelCacheBytes?: number;
  /** Web Locks (navigator.locks in the browser); tests inject one to play two tabs. */
  locks?: LockManagerLike;
}

export function createContext(kv: KeyValue, opts: StatPool | ContextOptions = {}): WorkerContext {
  const o: ContextOptions = isStatPool(opts) ? { statPool: opts } : opts;
  return {
    ...(o.statPool ? { statPool: o.statPool } : {}),
    ...(o.timingWorker ? { timingWorker: o.timingWorker } : {}),
    store: new ArtifactStore(kv, o.locks ? { locks: o.locks } : {}),
    jobs: new JobRegistry(),
    models: new ModelCache(o.modelCacheBytes ?? MODEL_CACHE_BYTES),
    backend: threadBackendLease(),
  };
}

function isStatPool(x: StatPool | ContextOptions): x is StatPool {
  return typeof (x as StatPool).run === 'function';
}
