/// <reference lib="webworker" />
/**
 * The app's service worker: precaches the whole build (incl. tfjs wasm binaries) so the studio works offline, and
 * serves every same-origin response with COOP/COEP/CSP headers so the page is cross-origin isolated (WASM threads)
 * even on a static host that cannot set headers. The first visit is not yet controlled: the page reloads once.
 */
import { precache, matchPrecache, cleanupOutdatedCaches } from 'workbox-precaching';
import { ISOLATION_HEADERS } from './security';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> };

precache(self.__WB_MANIFEST);
cleanupOutdatedCaches();

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function withHeaders(res: Response): Response {
  if (res.status === 0 || res.type === 'opaque') return res;
  const headers = new Headers(res.headers);
  for (const [k, v] of Object.entries(ISOLATION_HEADERS)) headers.set(k, v);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  event.respondWith(
    (async () => {
      const scope = new URL(self.registration.scope);
      const key = req.mode === 'navigate' ? new URL('index.html', scope).href : url.origin + url.pathname;
      const cached = await matchPrecache(key);
      if (cached) return withHeaders(cached);
      try {
        return withHeaders(await fetch(req));
      } catch {
        return new Response('Offline and not cached: ' + url.pathname, { status: 504 });
      }
    })(),
  );
});
