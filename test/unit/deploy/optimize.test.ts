/**
 * Deploy optimisation: BN folding, activation fusion and no-op removal give the same logits (within 1e-4 relative)
 * on real CIFAR-10 images for the akamaster ResNet-20 and every zoo architecture, and leave no tensors behind.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bnAffine, foldBatchNorm, scaleKernel } from '../../../src/engine/deploy/fold';
import { maxRelativeDifference, optimizeForDeployment } from '../../../src/engine/deploy/optimize';
import { createZooModel, type ZooArch } from '../../../src/engine/models/zoo/index';
import { mulberry32 } from '../../../src/engine/random';
import { initWasmForNode } from '../../helpers/wasm';
import { loadAkamaster, loadCifarRecords } from '../models/akamaster';

// wasm (as in the browser, and much faster than Node's cpu backend for these convs)
let images: tf.Tensor4D;
let previous: string;
beforeAll(async () => {
  previous = tf.getBackend();
  await initWasmForNode();
  await tf.setBackend('wasm');
  const { x } = loadCifarRecords();
  images = tf.tensor4d(x.subarray(0, 8 * 32 * 32 * 3), [8, 32, 32, 3]);
});
afterAll(async () => {
  images.dispose();
  await tf.setBackend(previous);
});

/** Trained-looking BN statistics (the zoo's initial ones, γ = 1, β = 0, μ = 0, σ² = 1, would make folding trivial). */
function randomiseBatchNorms(model: tf.LayersModel, seed: number): void {
  const rnd = mulberry32(seed);
  for (const l of model.layers) {
    if (l.getClassName() !== 'BatchNormalization') continue;
    const vals = l.getWeights().map((w, i) => {
      const n = w.size;
      const v = new Float32Array(n);
      for (let c = 0; c < n; c++) v[c] = i === 0 ? 0.5 + rnd() : i === 1 ? rnd() - 0.5 : i === 2 ? (rnd() - 0.5) * 0.2 : 0.5 + rnd();
      return tf.tensor(v, w.shape);
    });
    l.setWeights(vals);
    tf.dispose(vals);
  }
}

function classes(model: tf.LayersModel): Record<string, number> {
  const n: Record<string, number> = {};
  for (const l of model.layers) n[l.getClassName()] = (n[l.getClassName()] ?? 0) + 1;
  return n;
}

describe('fold helpers', () => {
  it('BN affine, kernel scaling for both layouts and the bias fold', () => {
    const { scale, shift } = bnAffine({ gamma: Float32Array.of(2, 1), beta: Float32Array.of(1, 0), mean: Float32Array.of(1, 2), variance: Float32Array.of(3, 0), epsilon: 1 });
    expect(Array.from(scale)).toEqual([1, 1]);
    expect(Array.from(shift)).toEqual([0, -2]);
    // [1,1,2,2] conv kernel: output channel is the last axis
    expect(Array.from(scaleKernel(Float32Array.of(1, 2, 3, 4), [1, 1, 2, 2], 'last', [10, 100]))).toEqual([10, 200, 30, 400]);
    // [1,1,2,2] depthwise kernel (cin 2, multiplier 2): output channel c·2 + m
    expect(Array.from(scaleKernel(Float32Array.of(1, 2, 3, 4), [1, 1, 2, 2], 'depthwise', [1, 2, 3, 4]))).toEqual([1, 4, 9, 16]);
    const f = foldBatchNorm(Float32Array.of(1, 1), [1, 2], 'last', Float32Array.of(1, 1), { mean: Float32Array.of(0, 1), variance: Float32Array.of(1, 1), epsilon: 0 });
    expect(Array.from(f.bias)).toEqual([1, 0]);
    expect(() => scaleKernel(Float32Array.of(1, 2), [1, 2], 'last', [1, 2, 3])).toThrow(/output channels/);
  });
});

describe('optimizeForDeployment', () => {
  it('akamaster ResNet-20: 19 BNs folded, 19 ReLUs fused, shortcuts kept; same logits on CIFAR-10; no leaks; original untouched', async () => {
    const model = await loadAkamaster(20);
    const before = tf.tidy(() => (model.predict(images) as tf.Tensor).arraySync());
    const tensors = tf.memory().numTensors;
    const { model: opt, report } = optimizeForDeployment(model);
    // the new model's own weights are the only tensors it created
    expect(tf.memory().numTensors - tensors).toBe(opt.weights.length);
    expect(report.foldedBatchNorms).toHaveLength(19);
    expect(report.fusedActivations.length).toBeGreaterThanOrEqual(10);
    expect(report.keptSelectionConvs.map((s) => s.layer).sort()).toEqual(['stage2_block0_shortcut', 'stage3_block0_shortcut']);
    expect(classes(opt).BatchNormalization).toBeUndefined();
    const diff = maxRelativeDifference(model, opt, images);
    expect(diff).toBeLessThan(1e-4);
    // argmax agrees too
    const a = tf.tidy(() => (model.predict(images) as tf.Tensor).argMax(-1).arraySync());
    const b = tf.tidy(() => (opt.predict(images) as tf.Tensor).argMax(-1).arraySync());
    expect(b).toEqual(a);
    expect(tf.tidy(() => (model.predict(images) as tf.Tensor).arraySync())).toEqual(before);
    expect(opt.getUserDefinedMetadata()).toEqual(model.getUserDefinedMetadata());
    opt.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    model.dispose();
  });

  const zoo: ZooArch[] = ['vgg16', 'resnet20', 'resnet56', 'densenet40', 'mobilenetv2'];
  for (const arch of zoo) {
    it(`${arch}: same logits within 1e-4 relative on CIFAR-10, no leaks`, async () => {
      const model = createZooModel(arch, { numClasses: 10, inputSize: 32, seed: 3 });
      randomiseBatchNorms(model, 11);
      const start = tf.memory().numTensors;
      const { model: opt, report } = optimizeForDeployment(model);
      expect(tf.memory().numTensors - start).toBe(opt.weights.length);
      const diff = maxRelativeDifference(model, opt, images);
      expect(diff).toBeLessThan(1e-4);
      expect(report.layersAfter).toBe(opt.layers.length);
      const after = classes(opt);
      if (arch === 'densenet40') {
        // pre-activation (BN → ReLU → conv): each BN follows a concatenation or the stem, not a lone conv, and stays
        expect(after).toEqual(classes(model));
      } else {
        expect(after.BatchNormalization).toBeUndefined();
        // what stays is the ReLU after each residual Add
        expect(after.Activation ?? 0).toBe(after.Add && arch !== 'mobilenetv2' ? after.Add : 0);
      }
      if (arch === 'mobilenetv2') {
        const dw = opt.layers.filter((l) => l.getClassName() === 'DepthwiseConv2D' && l.name !== 'normalize');
        expect(dw.every((l) => (l.getConfig() as { activation: string }).activation === 'relu6')).toBe(true);
      }
      opt.dispose();
      expect(tf.memory().numTensors).toBe(start);
      model.dispose();
    });
  }

  it('Dropout and linear Activation are removed, Dense + BN + ReLU fused, Sequential models too', () => {
    const m = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [6], units: 5, useBias: true, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), biasInitializer: 'ones' }),
        tf.layers.batchNormalization({}),
        tf.layers.reLU({}),
        tf.layers.dropout({ rate: 0.5 }),
        tf.layers.activation({ activation: 'linear' }),
        tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
    randomiseBatchNorms(m, 5);
    const { model: opt, report } = optimizeForDeployment(m);
    expect(report.removed.map((r) => r.className).sort()).toEqual(['Activation', 'Dropout']);
    expect(report.foldedBatchNorms).toHaveLength(1);
    expect(report.fusedActivations).toEqual([expect.objectContaining({ activation: 'relu' })]);
    expect(opt.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Dense', 'Dense']);
    const x = tf.randomNormal([4, 6], 0, 1, 'float32', 9);
    expect(maxRelativeDifference(m, opt, x)).toBeLessThan(1e-5);
    x.dispose();
    opt.dispose();
    m.dispose();
  });

  it('leaves a conv alone when its output is also read elsewhere', () => {
    const i = tf.input({ shape: [6, 6, 2] });
    const c = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'c', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(i) as tf.SymbolicTensor;
    const b = tf.layers.batchNormalization({ name: 'b' }).apply(c) as tf.SymbolicTensor;
    const s = tf.layers.add({}).apply([b, c]) as tf.SymbolicTensor;
    const m = tf.model({ inputs: i, outputs: s });
    randomiseBatchNorms(m, 8);
    const { model: opt, report } = optimizeForDeployment(m);
    expect(report.foldedBatchNorms).toEqual([]);
    const x = tf.randomUniform([2, 6, 6, 2], 0, 1, 'float32', 4);
    expect(maxRelativeDifference(m, opt, x)).toBeLessThan(1e-6);
    x.dispose();
    opt.dispose();
    m.dispose();
  });
});
