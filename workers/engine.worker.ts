/**
 * The engine worker: all ML work happens here. Registers the tfjs backends (WebGPU, WebGL, WASM with bundled
 * binaries, CPU), the project's WASM training kernels, and exposes the typed studio API through Comlink.
 */
import * as Comlink from 'comlink';
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { configureWasm } from '../src/engine/backends/wasm-setup';
import { idbKeyValue } from '../src/engine/storage/idb';
import { createContext } from '../src/api/worker/context';
import { createWorkerStatPool } from '../src/api/worker/stat-pool';
import { EngineApi } from '../src/api/worker/engine-api';
import { installErrorTransfer } from '../src/api/errors-transfer';
import { registerWasmTrainingKernels } from '../src/engine/kernels/wasm/register';
import { createBrowserImageDecoder } from '../src/engine/data/decode-browser';

configureWasm(
  {
    'tfjs-backend-wasm.wasm': wasmPlain,
    'tfjs-backend-wasm-simd.wasm': wasmSimd,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
  },
  Math.max(1, Math.min(8, self.navigator.hardwareConcurrency || 1)),
);
installErrorTransfer();
registerWasmTrainingKernels();

// HRank/CHIP statistics run on one worker per core while this worker captures the next chunk of maps.
const statPool = createWorkerStatPool(
  () => new Worker(new URL('./stats.worker.ts', import.meta.url), { type: 'module', name: 'stats' }),
  Math.max(1, Math.min(8, self.navigator.hardwareConcurrency || 1)),
);
// latency at another WASM thread count than this worker's (studio.benchmarkPair {threads})
const timingWorker = () => new Worker(new URL('./timing.worker.ts', import.meta.url), { type: 'module', name: 'timing' });
const api = new EngineApi(createContext(idbKeyValue(), { statPool, timingWorker }), createBrowserImageDecoder());
Comlink.expose(api);
