import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectNoLeak } from '../../helpers/leak';
import { initWasmForNode, withBackend } from '../../helpers/wasm';
import { makeDemoDataset } from '../../../src/engine/data/demo';
import { registerWasmTrainingKernels } from '../../../src/engine/kernels/wasm/register';
import { evaluate, predictLabels } from '../../../src/engine/metrics/evaluate';
import type { InputSpec } from '../../../src/engine/models/types';
import { isStudioError } from '../../../src/engine/errors';
import { train, type TrainCheckpoint, type TrainOptions } from '../../../src/engine/train/trainer';
import { maxAbsDiff, quadrantSplit, smallCnn, weightsOf } from './fixtures';

const UNIT: InputSpec = { range: [0, 1], mean: [0, 0, 0], std: [1, 1, 1], normalizeOutside: false };

/** Strided 3-conv CNN for 32×32 inputs. */
function demoCnn(seed: number): tf.LayersModel {
  const inp = tf.input({ shape: [32, 32, 3] });
  let x = inp as tf.SymbolicTensor;
  [16, 24, 32].forEach((f, i) => {
    x = tf.layers.conv2d({ filters: f, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: seed + i }) }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ momentum: 0.9 }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 9 }) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: x });
}

describe('train() through the input pipeline', () => {
  it('trains a small CNN on the demo dataset (wasm): learns its training images; evaluate/predictLabels agree', async () => {
    await initWasmForNode();
    registerWasmTrainingKernels();
    await withBackend('wasm', async () => {
      const ds = makeDemoDataset({ trainPerClass: 100, testPerClass: 10, seed: 1 });
      const { train: tr, test } = ds.splits;
      const model = demoCnn(1);
      const opts: TrainOptions = { epochs: 6, batchSize: 32, lr: 0.02, schedule: 'cosine', augment: false, seed: 1, validate: { split: test, every: 3, limit: 50 } };
      const { history } = await expectNoLeak(() => train(model, tr, 32, UNIT, opts));
      expect(history).toHaveLength(6);
      expect(history[5]!.valAcc).toBeTypeOf('number');
      expect(history[5]!.valLoss).toBeTypeOf('number');
      // The demo set needs far more epochs than a unit test can afford to generalise; within the
      // budget the model clearly learns its training images (inference mode, BN moving stats).
      const onTrain = await expectNoLeak(() => evaluate(model, tr, 32, UNIT, { end: 300 }));
      expect(onTrain.top1, JSON.stringify(history)).toBeGreaterThan(0.3); // chance: 0.1
      expect(history[5]!.loss).toBeLessThan(history[0]!.loss);
      const r = await expectNoLeak(() => evaluate(model, test, 32, UNIT, { batchSize: 40 }));
      expect(r.count).toBe(100);
      expect(r.top5).toBeGreaterThanOrEqual(r.top1);
      expect(r.confusion.flat().reduce((a, v) => a + v, 0)).toBe(100);
      const preds = await expectNoLeak(() => predictLabels(model, test.images, 32, UNIT, { batchSize: 33 }));
      let hits = 0;
      preds.forEach((p, i) => (hits += p === test.labels[i] ? 1 : 0));
      expect(hits / 100).toBeCloseTo(r.top1, 10);
      const part = await expectNoLeak(() => evaluate(model, test, 32, UNIT, { start: 10, end: 30 }));
      expect(part.count).toBe(20);
      model.dispose();
    });
  });

  it('resume with augmentation continues the same sequence (cpu)', async () => {
    const split = quadrantSplit(64, 8, 4);
    const opts: TrainOptions = { epochs: 2, batchSize: 16, lr: 0.05, schedule: 'cosine', augment: true, seed: 7 };
    const a = smallCnn(8, 4, 3);
    await train(a, split, 8, UNIT, opts);
    const b = smallCnn(8, 4, 3);
    const ac = new AbortController();
    let cp: TrainCheckpoint | undefined;
    try {
      await train(b, split, 8, UNIT, opts, { signal: ac.signal, onEpochEnd: async (c) => ((cp = c), ac.abort()) });
    } catch (e) {
      expect(isStudioError(e) && e.code).toBe('cancelled');
    }
    const c = smallCnn(8, 4, 42);
    await expectNoLeak(() => train(c, split, 8, UNIT, opts, { resume: cp }));
    expect(maxAbsDiff(await weightsOf(c), await weightsOf(a))).toBeLessThan(1e-5);
    [a, b, c].forEach((m) => m.dispose());
  });
});
