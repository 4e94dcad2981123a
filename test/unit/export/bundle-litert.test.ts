/**
 * The phone bundle carries each version's float32 .tflite; the bundle run's `litert-wasm` backend times it in the
 * real LiteRT.js runtime (Node) and checks its predictions against the desktop's.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeBundle, encodeBundle } from '../../../src/engine/deploy/bundle';
import { LITERT_BUNDLE_BACKEND, runBundle } from '../../../src/engine/deploy/run';
import type { ModelRunResult } from '../../../src/engine/deploy/types';
import { exportTfliteModel } from '../../../src/engine/export/export-tflite';
import { TfliteRunner } from '../../../src/engine/export/litert';
import { nodeLiteRtLoader } from '../../helpers/litert-node';
import { makeBundleInput, makeModel, makeSplit } from '../deploy/fixtures';

describe('bundle with .tflite files, run in LiteRT.js', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('encodes, decodes and runs the .tflite of each version; agreement with the desktop is 1', async () => {
    const split = makeSplit(12);
    const a = makeModel(1);
    const b = makeModel(2);
    const input = await makeBundleInput([['m-orig', a], ['m-pruned', b]], split);
    input.models = input.models.map((m, i) => ({ ...m, tflite: exportTfliteModel(i === 0 ? a : b, { weights: 'float32' }).bytes }));
    const decoded = decodeBundle(encodeBundle(input));
    expect(decoded.models.map((m) => m.entry.files.tflite)).toEqual(['models/m-orig/model.tflite', 'models/m-pruned/model.tflite']);
    expect(decoded.models[0]!.tflite).toEqual(input.models[0]!.tflite);
    const r = await runBundle(decoded, {
      backends: [LITERT_BUNDLE_BACKEND], switchBackend: async () => { throw new Error('no tfjs switch for LiteRT'); },
      warmup: 1, runs: 3, minTimeMs: 0,
      openTflite: (bytes) => TfliteRunner.create(nodeLiteRtLoader, bytes),
    });
    const run = r.backends[LITERT_BUNDLE_BACKEND]!;
    expect('models' in run).toBe(true);
    for (const id of ['m-orig', 'm-pruned']) {
      const m = (run as { models: Record<string, ModelRunResult> }).models[id]!;
      expect(m.agreement).toBe(1);
      expect(m.latency.medianMs).toBeGreaterThan(0);
      expect(m.latency.runs).toBeGreaterThanOrEqual(3);
      expect(m.flag).toBeUndefined();
    }
    a.dispose();
    b.dispose();
  });

  it('a bundle without .tflite files reports the LiteRT backend as an error per model, the rest still runs', async () => {
    const split = makeSplit(4);
    const a = makeModel(1);
    const decoded = decodeBundle(encodeBundle(await makeBundleInput([['m-orig', a]], split)));
    const r = await runBundle(decoded, { backends: [LITERT_BUNDLE_BACKEND], switchBackend: async () => undefined, warmup: 0, runs: 1, minTimeMs: 0, openTflite: (bytes) => TfliteRunner.create(nodeLiteRtLoader, bytes) });
    const run = r.backends[LITERT_BUNDLE_BACKEND] as { models: Record<string, { error: string }> };
    expect(run.models['m-orig']!.error).toMatch(/no \.tflite/);
    a.dispose();
  });
});
