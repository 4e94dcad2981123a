/**
 * Worker-side registry of running jobs: each long call gets an AbortController (cancel) and a pause gate.
 * The page addresses jobs by the id it generated, so it can cancel a call it is still awaiting.
 */
import { StudioError } from '../engine/errors';

export interface JobControl {
  signal: AbortSignal;
  pause: { paused(): boolean; wait(): Promise<void> };
}

interface Entry { ctl: AbortController; paused: boolean; waiters: (() => void)[] }

export class JobRegistry {
  private readonly jobs = new Map<string, Entry>();

  /** Runs `fn` as job `jobId` (a fresh id when absent); the job is forgotten when fn settles. */
  async run<T>(jobId: string | undefined, fn: (job: JobControl) => Promise<T>): Promise<T> {
    const id = jobId ?? `job-${Math.random().toString(36).slice(2)}`;
    if (this.jobs.has(id)) throw new StudioError('bad-input', `A job with id "${id}" is already running.`);
    const entry: Entry = { ctl: new AbortController(), paused: false, waiters: [] };
    this.jobs.set(id, entry);
    const pause = {
      paused: () => entry.paused,
      wait: () => (entry.paused && !entry.ctl.signal.aborted ? new Promise<void>((r) => entry.waiters.push(r)) : Promise.resolve()),
    };
    try {
      return await fn({ signal: entry.ctl.signal, pause });
    } finally {
      this.jobs.delete(id);
    }
  }

  cancel(jobId: string): void {
    const e = this.jobs.get(jobId);
    if (!e) return;
    e.ctl.abort();
    this.release(e);
  }

  pause(jobId: string): void {
    const e = this.jobs.get(jobId);
    if (e) e.paused = true;
  }

  resume(jobId: string): void {
    const e = this.jobs.get(jobId);
    if (e) this.release(e);
  }

  running(): string[] {
    return [...this.jobs.keys()];
  }

  private release(e: Entry): void {
    e.paused = false;
    const ws = e.waiters.splice(0);
    for (const w of ws) w();
  }
}
