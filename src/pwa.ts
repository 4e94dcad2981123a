/**
 * Registers the service worker. On a static host without COOP/COEP headers the first visit is not cross-origin
 * isolated (no SharedArrayBuffer, so WASM runs single-threaded); once the service worker controls the page it adds
 * the headers, so we reload once (guarded against loops).
 */
const RELOAD_FLAG = 'pruning-studio-isolation-reload';

export async function registerServiceWorker(): Promise<void> {
  if (!('serviceWorker' in navigator) || import.meta.env.DEV) return;
  try {
    const reg = await navigator.serviceWorker.register(new URL('./sw.js', document.baseURI).href, { scope: './' });
    if (!window.crossOriginIsolated && !sessionStorage.getItem(RELOAD_FLAG)) {
      if (navigator.serviceWorker.controller) {
        sessionStorage.setItem(RELOAD_FLAG, '1');
        location.reload();
        await new Promise(() => undefined);
      }
      navigator.serviceWorker.addEventListener('controllerchange', () => {
        if (!window.crossOriginIsolated && !sessionStorage.getItem(RELOAD_FLAG)) {
          sessionStorage.setItem(RELOAD_FLAG, '1');
          location.reload();
        }
      });
    }
    void reg;
  } catch (e) {
    console.warn('Service worker registration failed; the studio works but not offline.', e);
  }
}
