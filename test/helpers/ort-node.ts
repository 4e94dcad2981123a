/**
 * onnxruntime-web in Node for the unit tests: the package's Node build runs the same wasm EP (from its own dist/
 * folder) single-threaded, with no proxy worker.
 */
import type { OrtLoader, OrtModule } from '../../src/engine/export/ort';

export const nodeOrtLoader: OrtLoader = async () => {
  const ort = (await import('onnxruntime-web')) as unknown as OrtModule;
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  return ort;
};
