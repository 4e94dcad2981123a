/**
 * Web Locks (navigator.locks) as the store uses them, so tabs of one origin coordinate: writers hold the store's
 * write lock shared, the orphan sweep takes it exclusive only when nobody is writing, and a run being executed holds
 * its own lock so other tabs see it as running, not interrupted. Where navigator.locks is missing (Node, very old
 * browsers) an in-process manager with the same semantics stands in; tests give two stores one manager to play
 * two tabs.
 */

export type LockMode = 'shared' | 'exclusive';
export interface LockInfoLike { name?: string; mode?: LockMode }

export interface LockManagerLike {
  request<T>(name: string, options: { mode?: LockMode; ifAvailable?: boolean; signal?: AbortSignal }, callback: (lock: LockInfoLike | null) => Promise<T> | T): Promise<T>;
  query(): Promise<{ held?: LockInfoLike[]; pending?: LockInfoLike[] }>;
}

/** The store's write lock: every multi-part write holds it shared; the orphan sweep needs it exclusive. */
export const WRITE_LOCK = 'pruning-studio:store-write';
/** The lock a tab holds while it executes run `runId`. */
export const runLock = (runId: string): string => `pruning-studio:run:${runId}`;
/**
 * The lock a tab holds for the whole of resuming run `runId` (taken with ifAvailable before anything else): two tabs
 * that both see a run as interrupted cannot both resume it, even before either holds the run's own lock.
 */
export const resumeLock = (runId: string): string => `pruning-studio:resume:${runId}`;

interface Waiter { mode: LockMode; start: () => void }
interface State { mode: LockMode; count: number; queue: Waiter[] }

/** An in-process lock manager with Web Locks semantics (FIFO, shared/exclusive, ifAvailable, signal). */
export function localLockManager(): LockManagerLike {
  const locks = new Map<string, State>();
  const grantable = (s: State | undefined, mode: LockMode, queued: boolean): boolean =>
    !s || s.count === 0 || (mode === 'shared' && s.mode === 'shared' && (!queued || s.queue.length === 0));
  const pump = (name: string) => {
    const s = locks.get(name);
    if (!s) return;
    while (s.queue.length > 0) {
      const w = s.queue[0]!;
      if (!(s.count === 0 || (w.mode === 'shared' && s.mode === 'shared'))) break;
      s.queue.shift();
      s.mode = w.mode;
      s.count++;
      w.start();
    }
    if (s.count === 0 && s.queue.length === 0) locks.delete(name);
  };
  return {
    async request(name, options, callback) {
      const mode = options.mode ?? 'exclusive';
      let s = locks.get(name);
      if (options.ifAvailable && !grantable(s, mode, true)) return callback(null);
      if (!s) {
        s = { mode, count: 0, queue: [] };
        locks.set(name, s);
      }
      const state = s;
      await new Promise<void>((resolve, reject) => {
        const w: Waiter = { mode, start: resolve };
        if (options.signal) {
          if (options.signal.aborted) return reject(new DOMException('The lock request was aborted.', 'AbortError'));
          options.signal.addEventListener('abort', () => {
            const i = state.queue.indexOf(w);
            if (i >= 0) {
              state.queue.splice(i, 1);
              reject(new DOMException('The lock request was aborted.', 'AbortError'));
              pump(name);
            }
          }, { once: true });
        }
        state.queue.push(w);
        pump(name);
      });
      try {
        return await callback({ name, mode });
      } finally {
        state.count--;
        pump(name);
      }
    },
    async query() {
      const held: LockInfoLike[] = [];
      const pending: LockInfoLike[] = [];
      for (const [name, s] of locks) {
        for (let i = 0; i < s.count; i++) held.push({ name, mode: s.mode });
        for (const w of s.queue) pending.push({ name, mode: w.mode });
      }
      return { held, pending };
    },
  };
}

let fallback: LockManagerLike | null = null;

/** navigator.locks where the platform has it, else one in-process manager for this thread. */
export function defaultLockManager(): LockManagerLike {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  if (nav?.locks && typeof nav.locks.request === 'function') return nav.locks;
  fallback ??= localLockManager();
  return fallback;
}

/** Names of the locks held right now (any tab), e.g. to see which runs another tab is executing. */
export async function heldLocks(locks: LockManagerLike): Promise<Set<string>> {
  const q = await locks.query();
  return new Set((q.held ?? []).map((l) => l.name).filter((n): n is string => typeof n === 'string'));
}

/**
 * The set of runs this thread is executing, where membership is also a Web Lock: `add(id)` takes the run's lock and
 * holds it until `delete(id)`, so other tabs can see (via `runsHeld`) that the run is alive here.
 */
export class RunLockSet extends Set<string> {
  private readonly releases = new Map<string, () => void>();
  constructor(private readonly locks: () => LockManagerLike = defaultLockManager) {
    super();
  }
  override add(id: string): this {
    if (!super.has(id) && this.releases !== undefined) {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      this.releases.set(id, release);
      void this.locks().request(runLock(id), { mode: 'exclusive' }, () => held).catch(() => undefined);
    }
    return super.add(id);
  }
  override delete(id: string): boolean {
    this.releases.get(id)?.();
    this.releases.delete(id);
    return super.delete(id);
  }
  override clear(): void {
    for (const id of [...this]) this.delete(id);
  }
}

/** Ids of the runs whose lock some tab holds right now (from the lock manager's snapshot). */
export async function runsHeld(locks: LockManagerLike): Promise<Set<string>> {
  const prefix = runLock('');
  return new Set([...(await heldLocks(locks))].filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length)));
}
