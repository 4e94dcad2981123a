/**
 * The worker's one backend lease (tfjs has one global backend per thread, so one lease per thread): jobs hold it
 * (engine-api.ts), and every backend switch in this thread is checked against it.
 */
import { activeBackend, setSwitchGuard, switchBackend } from '../../engine/backends/probe';
import type { BackendName } from '../../engine/backends/types';
import { BackendLease } from '../jobs';

let lease: BackendLease | null = null;

export function threadBackendLease(): BackendLease {
  if (!lease) {
    const l = new BackendLease({ active: () => activeBackend(), switchTo: async (name) => { await switchBackend(name as BackendName); } });
    setSwitchGuard((to) => l.checkSwitch(to));
    lease = l;
  }
  return lease;
}
