/**
 * The engine worker's pool of statistics workers (workers/stats.worker.ts): `size` Workers, spawned on first
 * use, each task sent to the least busy one with its buffer transferred. A worker that dies fails its
 * tasks with a clear error and is replaced on the next task.
 */
import { StudioError } from '../../engine/errors';
import type { StatPartial } from '../../engine/importance/criteria/types';
import type { StatPool, StatTask } from '../../engine/importance/stat-pool';

interface Slot {
  worker: Worker | null;
  busy: number;
}

type Reply = { id: number; partial: StatPartial } | { id: number; error: string };

export function createWorkerStatPool(spawn: () => Worker, size: number): StatPool {
  const slots: Slot[] = Array.from({ length: Math.max(1, size) }, () => ({ worker: null, busy: 0 }));
  const pending = new Map<number, { slot: Slot; resolve: (p: StatPartial) => void; reject: (e: Error) => void }>();
  let nextId = 1;

  const failSlot = (slot: Slot, why: string): void => {
    slot.worker?.terminate();
    slot.worker = null;
    slot.busy = 0;
    for (const [id, p] of pending) {
      if (p.slot !== slot) continue;
      pending.delete(id);
      p.reject(new StudioError('internal', `A statistics worker failed: ${why}`));
    }
  };

  const start = (slot: Slot): Worker => {
    const w = spawn();
    w.onmessage = (e: MessageEvent<Reply>) => {
      const p = pending.get(e.data.id);
      if (!p) return;
      pending.delete(e.data.id);
      slot.busy--;
      if ('error' in e.data) p.reject(new StudioError('internal', `Statistics worker: ${e.data.error}`));
      else p.resolve(e.data.partial);
    };
    w.onerror = (e) => {
      e.preventDefault();
      failSlot(slot, e.message || 'it could not start or crashed');
    };
    slot.worker = w;
    return w;
  };

  return {
    size: slots.length,
    run(task: StatTask): Promise<StatPartial> {
      const slot = slots.reduce((a, b) => (b.busy < a.busy ? b : a));
      const w = slot.worker ?? start(slot);
      const id = nextId++;
      slot.busy++;
      return new Promise((resolve, reject) => {
        pending.set(id, { slot, resolve, reject });
        w.postMessage({ id, task }, [task.data.buffer]);
      });
    },
  };
}
