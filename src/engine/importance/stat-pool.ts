/**
 * Parallel feature-map statistics. HRank (a rank per map) and CHIP (an eigen-decomposition per layer
 * and image) cost far more than the forward pass that produces the maps, and every image is
 * independent, so analyze() can hand each capture's channel slice to a pool of workers while it
 * captures the next chunk, then fold the returned per-channel sums into its statistics.
 *
 * This module is the pool's contract plus the task itself (`runStatTask`, what a pool worker runs;
 * workers/stats.worker.ts) and an in-process pool (same code on the calling thread, for Node and as the
 * fallback). The browser pool of real Workers is src/api/worker/stat-pool.ts.
 */
import { chipStatistic } from './criteria/chip';
import { hrankStatistic } from './criteria/hrank';
import type { MapBatch, StatPartial } from './criteria/types';

/** The criteria whose statistics are worth a worker. */
export type PooledCriterion = 'hrank' | 'chip';
export const POOLED_CRITERIA: readonly string[] = ['hrank', 'chip'];

/** One unit of work: `n` images of one capture's `channels` maps, NHWC with exactly those channels. */
export interface StatTask {
  criterion: PooledCriterion;
  data: Float32Array;
  n: number;
  h: number;
  w: number;
  channels: number;
}

export interface StatPool {
  /** How many tasks run at once. */
  readonly size: number;
  run(task: StatTask): Promise<StatPartial>;
}

/** Computes one task's per-channel sums (pure; what every pool worker runs). */
export function runStatTask(t: StatTask): StatPartial {
  if (t.criterion !== 'hrank' && t.criterion !== 'chip') throw new Error(`No pooled statistic for "${String(t.criterion)}".`);
  if (t.data.length !== t.n * t.h * t.w * t.channels) throw new Error(`Stat task data has ${t.data.length} floats; expected ${t.n}×${t.h}×${t.w}×${t.channels}.`);
  const stat = (t.criterion === 'hrank' ? hrankStatistic : chipStatistic)(t.channels);
  stat.add({ data: t.data, n: t.n, h: t.h, w: t.w, c: t.channels, offset: 0, channels: t.channels });
  return stat.partial!();
}

/** Copies channels [offset, offset + channels) of an NHWC batch into a compact task buffer. */
export function sliceChannels(b: MapBatch): Float32Array {
  const pos = b.n * b.h * b.w;
  if (b.offset === 0 && b.channels === b.c) {
    // allocate + set: TypedArray.slice copies multi-megabyte ranges an order of magnitude slower in V8
    const all = new Float32Array(pos * b.c);
    all.set(b.data.subarray(0, pos * b.c));
    return all;
  }
  const out = new Float32Array(pos * b.channels);
  for (let p = 0; p < pos; p++) out.set(b.data.subarray(p * b.c + b.offset, p * b.c + b.offset + b.channels), p * b.channels);
  return out;
}

/** Runs tasks on the calling thread, one macrotask each (so progress and cancel still get a turn). */
export function inProcessPool(): StatPool {
  return {
    size: 1,
    run: (task) => new Promise((resolve, reject) => setTimeout(() => {
      try {
        resolve(runStatTask(task));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    }, 0)),
  };
}
