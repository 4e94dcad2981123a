/**
 * WASM backend configuration: where the .wasm binaries are, and how many threads to use.
 * The app passes bundled asset URLs (so the service worker precaches them); Node tests pass a folder path.
 */
import { setThreadsCount, setWasmPaths, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';

export interface WasmPaths {
  'tfjs-backend-wasm.wasm': string;
  'tfjs-backend-wasm-simd.wasm': string;
  'tfjs-backend-wasm-threaded-simd.wasm': string;
}

export function configureWasm(paths: WasmPaths | string, threads?: number): void {
  if (typeof paths === 'string') setWasmPaths(paths);
  else setWasmPaths(paths);
  if (threads && threads > 0) setThreadsCount(threads);
}

export { getThreadsCount };
