/**
 * Starts onnxruntime-web (wasm execution provider) inside the engine worker. Its emscripten glue (.mjs) and .wasm
 * are bundled assets (precached by the service worker like tfjs's), and `env.wasm.wasmPaths` points at them, so
 * nothing is fetched from a CDN. In the cross-origin-isolated worker it runs as many threads as tfjs-wasm
 * (hardwareConcurrency, at most 4), its pthreads being module workers of the same glue file; no proxy worker.
 * The CSP needs nothing beyond 'wasm-unsafe-eval'.
 */
import ortMjs from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import type { OrtLoader, OrtModule } from '../../engine/export/ort';

/** Threads ORT uses here (reported with benchmark results). */
export function ortThreads(): number {
  const isolated = (self as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  return isolated ? Math.max(1, Math.min(4, self.navigator.hardwareConcurrency || 1)) : 1;
}

export const workerOrtLoader: OrtLoader = async () => {
  const ort = (await import('onnxruntime-web/wasm')) as unknown as OrtModule;
  const base = self.location.href;
  ort.env.wasm.wasmPaths = { mjs: new URL(ortMjs, base).href, wasm: new URL(ortWasm, base).href };
  ort.env.wasm.numThreads = ortThreads();
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  return ort;
};
