/**
 * The page side of the engine bridge (one typed Comlink bridge, as in Squoosh): spawns the module worker, wraps it,
 * proxies progress callbacks, tracks running jobs for the status bar, and cancels: a cancelled call first asks the
 * worker to stop cooperatively; if the worker does not settle within a grace period it is terminated and respawned.
 */
import * as Comlink from 'comlink';
import type { OnProgress, Progress, StudioApi } from './types';

/** Methods that run as jobs: the index of their trailing `jobId` parameter (the `onProgress` one is right before it). */
export const JOB_METHODS = {
  importDataset: 3, train: 4, resumeRun: 2, evaluate: 4, transfer: 4, analyze: 4, prune: 4, fineTune: 4, benchmark: 3, pruneIteratively: 4, exportBundle: 4, runBundle: 3, sensitivity: 5, reconstruct: 5, pruneModel: 4, allocate: 5,
  optimize: 3, benchmarkPair: 4, verifyTflite: 5, benchmarkTflite: 3, latencyTable: 3,
  verifyOnnx: 5, benchmarkOnnx: 3,
} as const satisfies Partial<Record<keyof StudioApi, number>>;
type JobMethod = keyof typeof JOB_METHODS;

/**
 * Functions cannot be cloned to the worker: a top-level callback becomes a Comlink proxy; Comlink does not proxy
 * functions nested in option objects, so those are dropped (the page handles them, e.g. visibility for runBundle).
 */
export function proxyFunctions(arg: unknown): unknown {
  if (typeof arg === 'function') return Comlink.proxy(arg as () => unknown);
  if (arg && typeof arg === 'object' && Object.getPrototypeOf(arg) === Object.prototype) {
    const entries = Object.entries(arg as Record<string, unknown>);
    if (entries.some(([, v]) => typeof v === 'function')) return Object.fromEntries(entries.filter(([, v]) => typeof v !== 'function'));
  }
  return arg;
}

export interface JobState { jobId: string; method: string; progress?: Progress; startedAt: number }

export interface CallOptions { signal?: AbortSignal; onProgress?: OnProgress }

const CANCEL_GRACE_MS = 4000;

export interface ClientOptions {
  /** How long a cancelled job may take to stop before the worker is restarted (default 4 s). */
  cancelGraceMs?: number;
}

export class StudioClient {
  private worker!: Worker;
  private api!: Comlink.Remote<StudioApi>;
  private readonly jobs = new Map<string, JobState>();
  private readonly listeners = new Set<(jobs: JobState[]) => void>();
  private readonly rejecters = new Map<string, (e: Error) => void>();
  private counter = 0;
  private chosenBackend: string | null = null;
  private readonly graceMs: number;
  /** Resolves when the respawned worker has the chosen backend back (tests, the status bar). */
  restored: Promise<void> = Promise.resolve();

  constructor(private readonly spawn: () => Worker, opts: ClientOptions = {}) {
    this.graceMs = opts.cancelGraceMs ?? CANCEL_GRACE_MS;
    this.start();
  }

  private start(): void {
    this.worker = this.spawn();
    this.api = Comlink.wrap<StudioApi>(this.worker);
  }

  /** Remembers the backend the user chose, so a respawned worker is put back on it. */
  rememberBackend(name: string): void {
    this.chosenBackend = name;
  }

  /** Direct access to the remote API (for calls that are not jobs). */
  get remote(): Comlink.Remote<StudioApi> {
    return this.api;
  }

  onJobs(fn: (jobs: JobState[]) => void): () => void {
    this.listeners.add(fn);
    fn([...this.jobs.values()]);
    return () => this.listeners.delete(fn);
  }

  private emit(): void {
    const list = [...this.jobs.values()];
    for (const l of this.listeners) l(list);
  }

  /** Calls a job method with progress tracking and cancellation. `args` excludes onProgress and jobId. */
  async job<M extends JobMethod>(method: M, args: unknown[], opts: CallOptions = {}): Promise<Awaited<ReturnType<StudioApi[M]>>> {
    const jobId = `${method}-${++this.counter}-${Date.now().toString(36)}`;
    const at = JOB_METHODS[method];
    const full = args.slice(0, at - 1).map(proxyFunctions);
    while (full.length < at - 1) full.push(undefined);
    const state: JobState = { jobId, method, startedAt: Date.now() };
    this.jobs.set(jobId, state);
    this.emit();
    const progress = (p: Progress) => {
      state.progress = p;
      this.emit();
      opts.onProgress?.(p);
    };
    full.push(Comlink.proxy(progress), jobId);
    const onAbort = () => void this.cancel(jobId);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      type R = Awaited<ReturnType<StudioApi[M]>>;
      const fn = this.api[method] as unknown as (...a: unknown[]) => Promise<R>;
      return await new Promise<R>((resolve, reject) => {
        this.rejecters.set(jobId, reject);
        fn(...full).then(resolve, reject);
      });
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      this.rejecters.delete(jobId);
      this.jobs.delete(jobId);
      this.emit();
    }
  }

  /**
   * Cancels one job (or all): the worker is asked to stop it cooperatively; only if it has not settled after the
   * grace period is the worker terminated and respawned. Then the cancelled job rejects with `cancelled`, every other
   * job that was running rejects with `engine-restarted` (saying which job forced the restart; training runs can
   * be resumed from their last checkpoint), and the new worker is put back on the backend the user chose.
   */
  async cancel(jobId?: string): Promise<void> {
    const ids = jobId ? [jobId] : [...this.jobs.keys()];
    await Promise.all(ids.map((id) => this.api.cancel(id).catch(() => undefined)));
    setTimeout(() => {
      const stuck = ids.filter((id) => this.jobs.has(id));
      if (stuck.length === 0) return;
      // The worker did not stop in time (e.g. inside one long kernel): terminate and respawn it.
      this.worker.terminate();
      const names = stuck.map((id) => this.jobs.get(id)?.method ?? id).join(', ');
      for (const id of [...this.jobs.keys()]) {
        const cancelled = stuck.includes(id);
        const err = Object.assign(
          new Error(cancelled
            ? 'Cancelled: the engine was restarted because the job did not stop in time.'
            : `Interrupted: the engine was restarted to stop ${names}, which did not stop in time; this ${this.jobs.get(id)?.method ?? 'job'} was stopped with it. Start it again (a training run resumes from its last checkpoint).`),
          { name: 'StudioError', code: cancelled ? 'cancelled' : 'engine-restarted' },
        );
        this.rejecters.get(id)?.(err);
      }
      this.start();
      const b = this.chosenBackend;
      if (b) this.restored = this.api.setBackend(b as Parameters<StudioApi['setBackend']>[0]).then(() => undefined, () => undefined);
    }, this.graceMs);
  }

  pause(jobId: string): Promise<void> {
    return this.api.pause(jobId);
  }

  resume(jobId: string): Promise<void> {
    return this.api.resume(jobId);
  }

  terminate(): void {
    this.worker.terminate();
  }
}
