/**
 * Worker-side registry of running jobs: each long call gets an AbortController (cancel) and a pause gate.
 * The page addresses jobs by the id it generated, so it can cancel a call it is still awaiting.
 */
import { StudioError, throwIfAborted } from '../engine/errors';

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

/** Messages tfjs and the browsers use when the GPU device or the WebGL context goes away under a running job. */
const DEVICE_LOST = /context (was )?lost|CONTEXT_LOST|device (was |is )?lost|GPUDevice.*(lost|destroyed)|DeviceLost|webgl.*lost/i;

/**
 * A lost WebGPU device / WebGL context surfaces as a plain Error from whatever op ran: this turns it into
 * `backend-unavailable` naming the backend and the job (the lease is released as the job ends, and the engine can go
 * on with another backend). Returns null for any other error.
 */
export function deviceLoss(e: unknown, backend: string, label: string): StudioError | null {
  if (e instanceof StudioError || !(e instanceof Error) || !DEVICE_LOST.test(`${e.name} ${e.message}`)) return null;
  return new StudioError('backend-unavailable', `The ${backend} backend was lost while ${label} ran (${e.message}): choose another backend (or reload the page) and run it again.`, { backend });
}

/** What the lease needs from the backend layer (probe.ts in the worker; a fake in tests). */
export interface BackendSwitcher {
  active(): string;
  switchTo(name: string): Promise<void>;
}

interface Holder { id: number; label: string; mode: 'shared' | 'exclusive'; backend: string | null }
interface Waiter extends Holder { want: string; jump: boolean; grant: () => void; fail: (e: unknown) => void }

/**
 * The lease on tfjs's one global backend. A job holds it SHARED on one backend for its whole run: any number of jobs
 * on the same backend run together, and nobody may switch away under them. A job that switches backends itself
 * (benchmark across backends, a bundle run, the training-speed probe) holds it EXCLUSIVE: it waits for the shared
 * holders to finish and runs alone. Waiters are served first come first served, so an exclusive request is not starved
 * by a stream of shared ones. `switchBackend` (probe.ts) asks `checkSwitch` first, so a stray switch fails loudly
 * instead of moving a running job.
 */
export class BackendLease {
  private readonly holders = new Map<number, Holder>();
  private readonly queue: Waiter[] = [];
  private heldOn: string | null = null;
  private switching: Promise<void> = Promise.resolve();
  private next = 1;

  constructor(private readonly switcher: BackendSwitcher) {}

  /**
   * Runs `fn` holding the backend `backend` ('current': whichever is active when the lease is granted) shared.
   * `jump`: a short call that may pass queued waiters when it can share with the jobs running now (so browsing a
   * model's feature maps during a long training does not wait behind a benchmark queued for after the training).
   */
  async shared<T>(backend: string, label: string, fn: () => Promise<T>, o: { signal?: AbortSignal; onWait?: (blockers: string[]) => void; jump?: boolean } = {}): Promise<T> {
    const h = await this.wait('shared', backend, label, o);
    try {
      await this.switching;
      if (h.backend !== null && this.switcher.active() !== h.backend) throw new StudioError('backend-unavailable', `The ${h.backend} backend could not be put in place for ${label}.`);
      try {
        return await fn();
      } catch (e) {
        throw deviceLoss(e, h.backend ?? this.switcher.active(), label) ?? e;
      }
    } finally {
      this.drop(h);
    }
  }

  /**
   * Runs `fn` as the only user of the backend: it may switch freely, and the backend active before is restored
   * afterwards (unless `restore: false`, for the user's own switch).
   */
  async exclusive<T>(label: string, fn: () => Promise<T>, o: { signal?: AbortSignal; onWait?: (blockers: string[]) => void; restore?: boolean } = {}): Promise<T> {
    const h = await this.wait('exclusive', '', label, o);
    const before = this.switcher.active();
    try {
      return await fn();
    } catch (e) {
      throw deviceLoss(e, this.switcher.active(), label) ?? e;
    } finally {
      if (o.restore !== false && this.switcher.active() !== before) await this.switcher.switchTo(before).catch(() => undefined);
      this.drop(h);
    }
  }

  /** Throws when switching to `to` now would move a job holding the lease shared on another backend. */
  checkSwitch(to: string): void {
    if ([...this.holders.values()].some((h) => h.mode === 'exclusive')) return;
    const shared = [...this.holders.values()].filter((h) => h.mode === 'shared');
    if (shared.length > 0 && this.heldOn !== null && this.heldOn !== to) {
      throw new StudioError('backend-busy', `Cannot switch to ${to}: ${shared.map((h) => h.label).join(', ')} ${shared.length === 1 ? 'is' : 'are'} running on ${this.heldOn}. Wait for ${shared.length === 1 ? 'it' : 'them'} to finish or cancel ${shared.length === 1 ? 'it' : 'them'}, then switch.`);
    }
  }

  /** Labels of the jobs holding the lease now, with their backend. */
  holding(): { label: string; mode: 'shared' | 'exclusive'; backend: string | null }[] {
    return [...this.holders.values()].map(({ label, mode, backend }) => ({ label, mode, backend }));
  }

  private wait(mode: 'shared' | 'exclusive', want: string, label: string, o: { signal?: AbortSignal; onWait?: (blockers: string[]) => void; jump?: boolean }): Promise<Holder> {
    throwIfAborted(o.signal);
    return new Promise<Holder>((resolve, reject) => {
      const w: Waiter = {
        id: this.next++, label, mode, want, backend: null, jump: o.jump === true,
        grant: () => {
          o.signal?.removeEventListener('abort', onAbort);
          resolve(w);
        },
        fail: reject,
      };
      const onAbort = () => {
        const i = this.queue.indexOf(w);
        if (i < 0) return;
        this.queue.splice(i, 1);
        reject(new StudioError('cancelled', 'The operation was cancelled while it waited for the backend.'));
        this.pump();
      };
      o.signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(w);
      this.pump();
      if (this.queue.includes(w)) o.onWait?.([...this.holders.values()].map((h) => h.label));
    });
  }

  private pump(): void {
    // Short calls that can share with the running holders go first (they never wait for a switch).
    const running = [...this.holders.values()];
    if (running.length > 0 && running.every((h) => h.mode === 'shared')) {
      for (const w of this.queue.filter((x) => x.jump && x.mode === 'shared' && (x.want === 'current' || x.want === this.heldOn))) {
        this.queue.splice(this.queue.indexOf(w), 1);
        w.backend = this.heldOn;
        this.holders.set(w.id, w);
        w.grant();
      }
    }
    while (this.queue.length > 0) {
      const w = this.queue[0]!;
      const all = [...this.holders.values()];
      if (w.mode === 'exclusive') {
        if (all.length > 0) return;
        this.queue.shift();
        this.holders.set(w.id, w);
        w.grant();
        continue;
      }
      if (all.some((h) => h.mode === 'exclusive')) return;
      const target = w.want === 'current' ? (all.length > 0 ? this.heldOn! : this.switcher.active()) : w.want;
      if (all.length > 0 && this.heldOn !== target) return;
      this.queue.shift();
      w.backend = target;
      if (all.length === 0) {
        this.heldOn = target;
        // The first holder puts its backend in place; holders granted with it wait for the same switch.
        if (this.switcher.active() !== target) {
          const sw = this.switcher.switchTo(target);
          this.switching = sw.catch(() => undefined);
          this.holders.set(w.id, w);
          sw.then(() => w.grant(), (e: unknown) => {
            this.holders.delete(w.id);
            if (this.holders.size === 0) this.heldOn = null;
            w.fail(e);
            this.pump();
          });
          continue;
        }
      }
      this.holders.set(w.id, w);
      w.grant();
    }
  }

  private drop(h: Holder): void {
    this.holders.delete(h.id);
    if (this.holders.size === 0) this.heldOn = null;
    this.pump();
  }
}
