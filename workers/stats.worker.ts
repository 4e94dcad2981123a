/**
 * A feature-map statistics worker (HRank ranks, CHIP channel independence), spawned by the engine worker's
 * pool (src/api/worker/stat-pool.ts). Plain TypeScript, no tfjs: it receives a compact NHWC slice, returns
 * per-channel sums. Message in: {id, task}; out: {id, partial} or {id, error}.
 */
import { runStatTask, type StatTask } from '../src/engine/importance/stat-pool';

self.onmessage = (e: MessageEvent<{ id: number; task: StatTask }>) => {
  const { id, task } = e.data;
  try {
    const partial = runStatTask(task);
    (self as unknown as Worker).postMessage({ id, partial }, [partial.sum.buffer]);
  } catch (err) {
    (self as unknown as Worker).postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
};
