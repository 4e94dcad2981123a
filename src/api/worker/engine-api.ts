/**
 * The worker-side implementation of StudioApi: a thin dispatcher over the feature modules in this folder.
 * Each long call runs as a job (cancel / pause by id) and reports progress through the proxied callback.
 */
import type { BackendName } from '../../engine/backends/types';
import type * as T from '../types';
import { STUDIO_VERSION } from '../version';
import type { WorkerContext } from './context';
import * as system from './system';

export class EngineApi implements Pick<T.StudioApi, 'version' | 'backends' | 'setBackend' | 'storage' | 'persistStorage' | 'ping' | 'cancel' | 'pause' | 'resume'> {
  /** Backends are probed once at start; every engine call waits for it so none runs on a half-initialised backend. */
  private readonly ready: Promise<unknown>;

  constructor(private readonly ctx: WorkerContext) {
    void ctx.store.sweepOrphans();
    this.ready = system.backends().catch(() => undefined);
  }

  async version() { return STUDIO_VERSION; }
  async backends(reprobe?: boolean) { await this.ready; return system.backends(reprobe); }
  setBackend(name: BackendName) { return system.setBackend(name); }
  storage() { return system.storage(this.ctx); }
  persistStorage() { return system.persistStorage(); }
  async ping() { await this.ready; return system.ping(); }
  async cancel(jobId: string) { this.ctx.jobs.cancel(jobId); }
  async pause(jobId: string) { this.ctx.jobs.pause(jobId); }
  async resume(jobId: string) { this.ctx.jobs.resume(jobId); }
}
