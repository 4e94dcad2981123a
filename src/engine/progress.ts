/** Progress reporting with ETA, shared by every long engine operation. */
export interface Progress {
  /** Short machine-friendly phase name, e.g. 'decompress', 'epoch', 'capture'. */
  phase: string;
  /** 0..1 over the whole operation. */
  fraction: number;
  /** Estimated milliseconds left, when it can be estimated. */
  etaMs?: number;
  /** Human-readable detail, e.g. 'epoch 3/10, loss 0.812'. */
  message?: string;
  /** Optional structured payload (e.g. live training metrics). */
  data?: Record<string, number | string | number[]>;
  /** The backend the job runs on (set by the job wrapper for jobs that hold one backend). */
  backend?: string;
}

export type ProgressFn = (p: Progress) => void;

/** Options every long engine operation accepts. */
export interface JobOptions {
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

/**
 * Wraps a ProgressFn and fills in `etaMs` from elapsed time and fraction done.
 * Calls are throttled to at most one every `minIntervalMs` (except fraction 0 and 1).
 */
export function progressReporter(onProgress: ProgressFn | undefined, minIntervalMs = 100, now: () => number = () => performance.now()) {
  const start = now();
  let last = -Infinity;
  return (phase: string, fraction: number, message?: string, data?: Progress['data']): void => {
    if (!onProgress) return;
    const t = now();
    const f = Math.min(1, Math.max(0, fraction));
    if (f > 0 && f < 1 && t - last < minIntervalMs) return;
    last = t;
    const elapsed = t - start;
    const etaMs = f > 0.001 ? (elapsed * (1 - f)) / f : undefined;
    onProgress({ phase, fraction: f, etaMs, message, data });
  };
}

/** Yields to the event loop so cancellation and progress messages get through. */
export function nextTick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** The job options of a sub-step that covers fractions [lo, hi] of the whole job's progress. */
export function subJob<J extends JobOptions>(job: J, lo: number, hi: number): J {
  const on = job.onProgress;
  return on ? { ...job, onProgress: (p: Progress) => on({ ...p, fraction: lo + (hi - lo) * p.fraction }) } : job;
}

/**
 * The progress a job reports to the page: every event gets `backend` (when the job holds one) and, when the
 * operation did not estimate one, an ETA from the elapsed time and the fraction done since the fraction last went
 * back (a new pass or phase restarting at 0). No ETA in the first 500 ms or at fraction 0.
 */
export function jobProgress(on: ProgressFn, o: { backend?: () => string | undefined; now?: () => number } = {}): ProgressFn {
  const now = o.now ?? (() => performance.now());
  let t0: number | undefined;
  let f0 = 0;
  let last = 0;
  return (p) => {
    const t = now();
    if (t0 === undefined || p.fraction < last - 1e-9 || p.phase === 'queued') {
      t0 = t;
      f0 = p.fraction;
    }
    last = p.fraction;
    let etaMs = p.etaMs;
    if (etaMs === undefined && p.fraction > f0 && p.fraction < 1 && t - t0! >= 500) etaMs = ((t - t0!) * (1 - p.fraction)) / (p.fraction - f0);
    const backend = p.backend ?? o.backend?.();
    on({ ...p, ...(etaMs !== undefined ? { etaMs } : {}), ...(backend ? { backend } : {}) });
  };
}
