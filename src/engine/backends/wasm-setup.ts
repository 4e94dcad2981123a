/**
 * WASM backend configuration: where the .wasm binaries are, and how many threads to use.
 * The app passes bundled asset URLs (so the service worker precaches them); Node tests pass a folder path.
 *
 * Thread-count fix (tfjs issue #8513): tfjs-backend-wasm 4.22 sizes its XNNPACK thread pool in a C++ static
 * initialiser as clamp(navigator.hardwareConcurrency / 2, 1, 4), before `setThreadsCount` is consulted, so a
 * 2-core machine always gets 1 thread and `setThreadsCount(2)` is ignored. While the module instantiates we
 * present `hardwareConcurrency = 2 × wanted`, so the pool gets the wanted size; the real value is restored right after.
 */
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';

export interface WasmPaths {
  'tfjs-backend-wasm.wasm': string;
  'tfjs-backend-wasm-simd.wasm': string;
  'tfjs-backend-wasm-threaded-simd.wasm': string;
}

let wantedThreads = 0;

export function configureWasm(paths: WasmPaths | string, threads?: number): void {
  if (typeof paths === 'string') setWasmPaths(paths);
  else setWasmPaths(paths);
  if (threads && threads > 0) {
    wantedThreads = Math.min(4, threads);
    setThreadsCount(wantedThreads);
  }
}

/** Initialises the wasm backend with the configured thread count (see the note above). */
export async function initWasmBackend(): Promise<boolean> {
  const nav = globalThis.navigator as Navigator | undefined;
  if (!nav || wantedThreads <= 0) return tf.setBackend('wasm');
  const own = Object.getOwnPropertyDescriptor(nav, 'hardwareConcurrency');
  Object.defineProperty(nav, 'hardwareConcurrency', { configurable: true, get: () => wantedThreads * 2 });
  try {
    return await tf.setBackend('wasm');
  } finally {
    if (own) Object.defineProperty(nav, 'hardwareConcurrency', own);
    else delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}

export { getThreadsCount };
