/** Test stand-ins: a tiny learnable dataset, a small seeded CNN and an in-memory batch feed. */
import * as tf from '@tensorflow/tfjs';
import type { SplitData } from '../../../src/engine/data/types';
import { mulberry32, seededPermutation } from '../../../src/engine/random';
import type { Batch, TrainFeed } from '../../../src/engine/train/feed';

/** 4 colour classes on noise: red, green, blue, grey (all channels raised); size×size×3 uint8. */
export function quadrantSplit(count: number, size: number, seed: number): SplitData {
  const rnd = mulberry32(seed);
  const images = new Uint8Array(count * size * size * 3);
  const labels = new Uint16Array(count);
  for (let n = 0; n < count; n++) {
    const c = n % 4;
    labels[n] = c;
    for (let p = 0; p < size * size; p++)
      for (let ch = 0; ch < 3; ch++)
        images[(n * size * size + p) * 3 + ch] = Math.floor(rnd() * 140) + (ch === c ? 110 : c === 3 ? 60 : 0);
  }
  return { count, images, labels };
}

export function splitBatch(split: SplitData, size: number, idx: ArrayLike<number>): Batch {
  const px = size * size * 3;
  const buf = new Float32Array(idx.length * px);
  const ys = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const j = idx[i]!;
    for (let k = 0; k < px; k++) buf[i * px + k] = split.images[j * px + k]! / 255;
    ys[i] = split.labels[j]!;
  }
  return { xs: tf.tensor4d(buf, [idx.length, size, size, 3]), ys: tf.tensor1d(ys, 'int32'), size: idx.length };
}

/** In-memory feed, shuffled by (seed, epoch), remainder dropped. */
export function memoryFeed(split: SplitData, size: number, batchSize: number, seed = 0, onBatch?: () => void): TrainFeed {
  const nb = Math.floor(split.count / batchSize);
  return {
    imagesPerEpoch: nb * batchSize,
    batchesPerEpoch: nb,
    async *epoch(e: number, fromBatch = 0) {
      const perm = seededPermutation(split.count, seed * 7919 + e);
      for (let b = fromBatch; b < nb; b++) {
        onBatch?.();
        yield splitBatch(split, size, perm.subarray(b * batchSize, (b + 1) * batchSize));
      }
    },
  };
}

/** 3 conv layers with BN, global pooling, dense logits; deterministic for a given seed. */
export function smallCnn(size: number, classes: number, seed: number, opts: { softmax?: boolean } = {}): tf.LayersModel {
  const init = (k: number) => tf.initializers.heNormal({ seed: seed * 100 + k });
  const inp = tf.input({ shape: [size, size, 3] });
  let x = inp as tf.SymbolicTensor;
  [8, 8, 8].forEach((f, i) => {
    x = tf.layers.conv2d({ filters: f, kernelSize: 3, padding: 'same', strides: i === 1 ? 2 : 1, useBias: false, kernelInitializer: init(i), name: `conv${i}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: `bn${i}`, momentum: 0.9 }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: classes, kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 100 + 9 }), activation: opts.softmax ? 'softmax' : 'linear', name: 'logits' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: x });
}

export async function weightsOf(model: tf.LayersModel): Promise<Float32Array[]> {
  return Promise.all(model.weights.map(async (w) => ((await w.read().data()) as Float32Array).slice()));
}

export function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((x, i) => x.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i]![j]!)))));
  return m;
}
