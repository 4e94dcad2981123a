/**
 * A timing worker: tfjs-wasm with its own thread count (the engine worker's WASM thread pool is sized once, when its
 * backend starts), so studio.benchmarkPair can time batch-1 latency at 1 thread and at N threads on one device. It
 * receives both models as in-memory artifacts, times them interleaved (metrics/latency.ts measurePair) and is
 * terminated by the engine afterwards. Inference only: no storage, no training kernels.
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { configureWasm, getThreadsCount, initWasmBackend } from '../src/engine/backends/wasm-setup';
import { measurePair, type PairOptions, type PairResult } from '../src/engine/metrics/latency';

const api = {
  async pair(threads: number, a: tf.io.ModelArtifacts, b: tf.io.ModelArtifacts, o: PairOptions): Promise<PairResult> {
    configureWasm({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded }, threads);
    if (!(await initWasmBackend())) throw new Error('The WASM backend did not start in the timing worker.');
    const [ma, mb] = await Promise.all([tf.loadLayersModel(tf.io.fromMemory(a)), tf.loadLayersModel(tf.io.fromMemory(b))]);
    try {
      return await measurePair(ma, mb, { ...o, threads: getThreadsCount() });
    } finally {
      ma.dispose();
      mb.dispose();
    }
  },
};
export type TimingWorkerApi = typeof api;
Comlink.expose(api);
