import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);
let ready: Promise<void> | null = null;

/** Registers the wasm backend for Node tests (files from node_modules, no network). */
export function initWasmForNode(): Promise<void> {
  if (!ready) {
    ready = (async () => {
      const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
      setWasmPaths(dist + '/');
      await import('@tensorflow/tfjs-backend-wasm');
    })();
  }
  return ready;
}

/** Runs fn with the given backend active, restoring the previous one afterwards. */
export async function withBackend<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  const prev = tf.getBackend();
  if (name === 'wasm') await initWasmForNode();
  await tf.setBackend(name);
  await tf.ready();
  try {
    return await fn();
  } finally {
    await tf.setBackend(prev);
  }
}
