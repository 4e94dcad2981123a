import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { withBackend } from '../../helpers/wasm';
import { expectNoLeak } from '../../helpers/leak';
import { randomData, relError, setupWasm } from './conv_grad_helpers';

beforeAll(setupWasm);

/** Conv+BN+ReLU+residual Add, ZeroPadding2D, MaxPool, AvgPool, strided conv, Concatenate, GAP, Dense softmax. */
function residualModel(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3] });
  const padded = tf.layers.zeroPadding2d({ padding: 1 }).apply(input) as tf.SymbolicTensor;
  const stem = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'valid', useBias: false }).apply(padded) as tf.SymbolicTensor;
  let y = tf.layers.batchNormalization().apply(stem) as tf.SymbolicTensor;
  const a = tf.layers.reLU().apply(y) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same' }).apply(a) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization().apply(y) as tf.SymbolicTensor;
  y = tf.layers.add().apply([y, a]) as tf.SymbolicTensor;
  y = tf.layers.activation({ activation: 'relu' }).apply(y) as tf.SymbolicTensor;
  const left = tf.layers.maxPooling2d({ poolSize: 2 }).apply(y) as tf.SymbolicTensor;
  const right = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }).apply(y) as tf.SymbolicTensor;
  const avg = tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }).apply(right) as tf.SymbolicTensor;
  const cat = tf.layers.concatenate().apply([left, avg]) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({}).apply(cat) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 5, activation: 'softmax' }).apply(gap) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** DepthwiseConv2D (multiplier 2, strided), SeparableConv2D, BN, ReLU, GAP, Dense. */
function depthwiseModel(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [9, 9, 3], filters: 4, kernelSize: 1 }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same' }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'valid', useBias: false }),
      tf.layers.separableConv2d({ filters: 5, kernelSize: 3, padding: 'same' }),
      tf.layers.reLU(),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 4, activation: 'softmax' }),
    ],
  });
}

const RESNET20 = resolve(__dirname, '../../../../shared/models/akamaster-tfjs/resnet20');
const CIFAR = resolve(__dirname, '../../../../shared/data/cifar-10-test-lossless-1000.bin');

/** The pretrained akamaster ResNet-20 (normalize depthwise 1x1, ZeroPadding2D + fixed 1x1 shortcut convs). */
async function loadResnet20(): Promise<tf.LayersModel> {
  const mj = JSON.parse(readFileSync(resolve(RESNET20, 'model.json'), 'utf8')) as {
    modelTopology: object;
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  const bin = readFileSync(resolve(RESNET20, 'group1-shard1of1.bin'));
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: mj.modelTopology,
      weightSpecs: mj.weightsManifest[0]!.weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }),
  );
}

/** First n CIFAR-10 test records as NHWC 0..255 pixels and one-hot labels. */
function cifarBatch(n: number): Batch {
  const buf = readFileSync(CIFAR);
  const x = new Float32Array(n * 32 * 32 * 3);
  const y = new Float32Array(n * 10);
  for (let r = 0; r < n; r++) {
    y[r * 10 + buf[r * 3073]!] = 1;
    for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) x[(r * 1024 + p) * 3 + c] = buf[r * 3073 + 1 + c * 1024 + p]!;
  }
  return { x, xShape: [n, 32, 32, 3], y, yShape: [n, 10] };
}

interface Batch {
  x: Float32Array;
  xShape: number[];
  y: Float32Array;
  yShape: number[];
}

type Build = () => tf.LayersModel | Promise<tf.LayersModel>;

/** Softmax cross-entropy on logits (the akamaster models end in a linear `logits` layer). */
function softmaxCE(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.losses.softmaxCrossEntropy(yTrue, yPred);
}

interface StepResult {
  losses: number[];
  weights: Float32Array[];
}

/** Builds the model on `backend`, loads `init` weights, runs `steps` SGD-momentum steps, returns losses and weights. */
async function train(
  backend: string,
  build: Build,
  init: Float32Array[] | null,
  batch: Batch,
  steps: number,
  loss: string | typeof softmaxCE,
): Promise<StepResult> {
  return withBackend(backend, () =>
    expectNoLeak(async () => {
      tf.util.assert(tf.getBackend() === backend, () => `expected ${backend}`);
      const optimizer = tf.train.momentum(0.05, 0.9);
      const model = await build();
      if (init) {
        const ts = model.getWeights().map((w, i) => tf.tensor(init[i]!, w.shape));
        model.setWeights(ts);
        tf.dispose(ts);
      }
      model.compile({ optimizer, loss });
      const xs = tf.tensor(batch.x, batch.xShape);
      const ys = tf.tensor(batch.y, batch.yShape);
      const losses: number[] = [];
      for (let s = 0; s < steps; s++) losses.push((await model.trainOnBatch(xs, ys)) as number);
      const weights = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
      xs.dispose();
      ys.dispose();
      model.dispose();
      optimizer.dispose();
      // tfjs 4.22: MomentumOptimizer.dispose() does not call SGDOptimizer.dispose(), so the
      // base class's kept learning-rate scalar `c` would leak one tensor per optimizer.
      tf.dispose((optimizer as unknown as { c?: tf.Tensor }).c);
      return { losses, weights };
    }),
  );
}

function oneHot(n: number, classes: number): Float32Array {
  const y = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) y[i * classes + ((i * 7) % classes)] = 1;
  return y;
}

function randomBatch(inShape: number[], classes: number): Batch {
  const n = 4;
  return {
    x: randomData(n * inShape.reduce((a, b) => a * b, 1), 42),
    xShape: [n, ...inShape],
    y: oneHot(n, classes),
    yShape: [n, classes],
  };
}

async function compareBackends(build: Build, batch: Batch, loss: string | typeof softmaxCE = 'categoricalCrossentropy'): Promise<void> {
  // Initial weights: made once on cpu, loaded on both backends.
  const init = await withBackend('cpu', async () => {
    const m = await build();
    const w = m.getWeights().map((t) => Float32Array.from(t.dataSync()));
    m.dispose();
    return w;
  });
  const cpu = await train('cpu', build, init, batch, 2, loss);
  const wasm = await train('wasm', build, init, batch, 2, loss);
  expect(wasm.weights.length).toBe(cpu.weights.length);
  for (let s = 0; s < cpu.losses.length; s++) {
    expect(Number.isFinite(wasm.losses[s]!)).toBe(true);
    expect(Math.abs(wasm.losses[s]! - cpu.losses[s]!), `loss step ${s}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(cpu.losses[s]!)));
  }
  let changed = 0;
  for (let i = 0; i < cpu.weights.length; i++) {
    // Floor 1e-2: conv biases feeding BatchNorm get a ~0 gradient and stay at ~1e-9 noise.
    expect(relError(wasm.weights[i]!, cpu.weights[i]!, 1e-2), `weight ${i}`).toBeLessThanOrEqual(1e-4);
    if (relError(cpu.weights[i]!, init[i]!) > 1e-6) changed++;
  }
  // The comparison is meaningful only if training moved the weights.
  expect(changed).toBeGreaterThan(cpu.weights.length / 2);
}

describe('optimizer steps on wasm match cpu', () => {
  it('conv + BN + ReLU + residual + pools + concat + GAP + dense model (2 SGD-momentum steps)', async () => {
    await compareBackends(residualModel, randomBatch([8, 8, 3], 5));
  });

  it('depthwise / separable conv model (2 SGD-momentum steps)', async () => {
    await compareBackends(depthwiseModel, randomBatch([9, 9, 3], 4));
  });

  // No cpu twin here: tfjs-backend-cpu's Conv2DBackpropFilter needs ~17 s per image for
  // ResNet-20. On wasm: 4 SGD-momentum steps on one batch must lower its loss, keep every
  // weight finite, move the trainable weights, leave the fixed layers alone, and leak nothing.
  it('pretrained akamaster ResNet-20 trains on wasm (CIFAR-10 batch, softmax cross-entropy)', async () => {
    const batch = cifarBatch(8);
    const fixed = ['normalize', 'stage2_block0_shortcut', 'stage3_block0_shortcut'];
    const before = await withBackend('wasm', async () => {
      const m = await loadResnet20();
      const w = m.getWeights().map((t) => Float32Array.from(t.dataSync()));
      const names = m.weights.map((v) => v.originalName);
      m.dispose();
      return { w, names };
    });
    const after = await train('wasm', loadResnet20, null, batch, 4, softmaxCE);
    expect(after.losses[3]!).toBeLessThan(after.losses[0]!);
    expect(before.names.filter((n) => fixed.some((f) => n.startsWith(`${f}/`)))).toHaveLength(4);
    let moved = 0;
    after.weights.forEach((w, i) => {
      const name = before.names[i]!;
      expect(w.every(Number.isFinite), name).toBe(true);
      const d = relError(w, before.w[i]!);
      if (fixed.some((f) => name.startsWith(`${f}/`))) expect(d, name).toBe(0);
      else if (d > 1e-6) moved++;
    });
    expect(moved).toBeGreaterThan(40);
  });
});
