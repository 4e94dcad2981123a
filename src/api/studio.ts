/**
 * `window.studio`: the scripting API (docs/api.md). Same methods as the worker API; long methods accept a trailing
 * `onProgress` callback and an options bag `{signal}` is not needed: `studio.cancel()` stops running jobs.
 */
import { JOB_METHODS, proxyFunctions, type StudioClient } from './client';
import type { OnProgress, StudioApi } from './types';

export { STUDIO_VERSION } from './version';
import { STUDIO_VERSION } from './version';

export const BACKEND_KEY = 'pruning-studio.backend';

/** Re-applies the backend the user chose last time, if it is still available here. */
export async function restoreBackend(studio: StudioApi): Promise<void> {
  let saved: string | null = null;
  try { saved = localStorage.getItem(BACKEND_KEY); } catch { return; }
  if (!saved) return;
  const list = await studio.backends();
  if (list.some((b) => b.name === saved && b.available && !b.active)) await studio.setBackend(saved as Parameters<StudioApi['setBackend']>[0]);
}

type Studio = StudioApi & {
  readonly version: string;
  cancel(jobId?: string): Promise<void>;
  readonly client: StudioClient;
};

export function createStudioFacade(client: StudioClient): Studio {
  const handler: ProxyHandler<object> = {
    get(_t, prop) {
      if (prop === 'version') return STUDIO_VERSION;
      if (prop === 'client') return client;
      if (prop === 'cancel') return (jobId?: string) => client.cancel(jobId);
      if (prop === 'then') return undefined; // not a thenable
      if (typeof prop !== 'string') return undefined;
      if (prop === 'setBackend') {
        // The choice survives a reload (a new worker starts on the default backend otherwise).
        return async (name: string) => {
          const res = await client.remote.setBackend(name as Parameters<StudioApi['setBackend']>[0]);
          client.rememberBackend(name);
          try { localStorage.setItem(BACKEND_KEY, name); } catch { /* storage unavailable: fine */ }
          return res;
        };
      }
      if (prop === 'runBundle') {
        // The page knows whether the tab was hidden during the measurement; the worker cannot see it.
        return async (...args: unknown[]) => {
          let hidden = typeof document !== 'undefined' && document.hidden;
          const onVis = () => { hidden ||= document.hidden; };
          document.addEventListener('visibilitychange', onVis);
          try {
            const onProgress = typeof args[2] === 'function' ? (args[2] as OnProgress) : undefined;
            const res = await client.job('runBundle', args.slice(0, 2), { onProgress });
            return { ...res, hiddenDuringRun: res.hiddenDuringRun || hidden };
          } finally {
            document.removeEventListener('visibilitychange', onVis);
          }
        };
      }
      if (prop in JOB_METHODS) {
        const at = JOB_METHODS[prop as keyof typeof JOB_METHODS];
        return (...args: unknown[]) => {
          const onProgress = typeof args[at - 1] === 'function' ? (args[at - 1] as Parameters<StudioClient['job']>[2] extends infer O ? O extends { onProgress?: infer P } ? P : never : never) : undefined;
          return client.job(prop as keyof typeof JOB_METHODS, args.slice(0, at - 1), { onProgress });
        };
      }
      const remote = client.remote as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      return (...args: unknown[]) => remote[prop]!(...args.map(proxyFunctions));
    },
  };
  return new Proxy({}, handler) as Studio;
}

declare global {
  interface Window { studio: Studio }
}
