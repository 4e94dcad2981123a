/**
 * What every worker-side feature shares: the artifact store, the job registry, and small caches of the
 * dataset/model currently in use (a CIFAR dataset is ~180 MB: keep one or two decoded, not all).
 */
import type * as tf from '@tensorflow/tfjs';
import { ArtifactStore } from '../../engine/storage/artifacts';
import type { KeyValue } from '../../engine/storage/kv';
import { JobRegistry } from '../jobs';
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
  models: LruCache<tf.LayersModel>;
  /** Workers for the HRank/CHIP statistics (the browser engine worker's pool); absent: on this thread. */
  statPool?: StatPool;
}

export function createContext(kv: KeyValue, statPool?: StatPool): WorkerContext {
  return {
    ...(statPool ? { statPool } : {}),
    store: new ArtifactStore(kv),
    jobs: new JobRegistry(),
    models: new LruCache<tf.LayersModel>(4, (m) => m.dispose()),
  };
}
