/** Tiny hand-built models, a generated image split and a bundle builder for the deploy tests. */
import * as tf from '@tensorflow/tfjs';
import { encodeBundle, packModel } from '../../../src/engine/deploy/bundle';
import type { BundleInput, BundleModelInput } from '../../../src/engine/deploy/types';
import type { SplitData } from '../../../src/engine/data/types';
import { predictLabels } from '../../../src/engine/metrics/evaluate';
import { mulberry32 } from '../../../src/engine/random';
import { RAW_INPUT } from '../../../src/engine/models/types';

export const SIZE = 8;
export const CLASSES = ['a', 'b', 'c', 'd'];

/** conv → relu → global average pool → dense softmax, seeded weights. */
export function makeModel(seed: number, size = SIZE, filters = 4): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3] });
  let x = tf.layers.rescaling({ scale: 1 / 255 }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }), name: 'conv' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const y = tf.layers.dense({ units: CLASSES.length, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }), name: 'logits' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

/** `count` random images with labels, deterministic for `seed`. */
export function makeSplit(count: number, seed = 7, size = SIZE): SplitData {
  const rnd = mulberry32(seed);
  const images = new Uint8Array(count * size * size * 3);
  for (let i = 0; i < images.length; i++) images[i] = Math.floor(rnd() * 256);
  const labels = new Uint16Array(count);
  for (let i = 0; i < count; i++) labels[i] = Math.floor(rnd() * CLASSES.length);
  return { count, images, labels };
}

export const BENCH = { warmup: 1, runs: 2, minTimeMs: 0 };

export async function bundleModel(model: tf.LayersModel, id: string, role: 'original' | 'pruned'): Promise<BundleModelInput> {
  const { json, weights } = await packModel(model);
  return { id, name: `model ${id}`, role, info: { params: model.countParams(), macs: 1000, flops: 2000, bytes: weights.byteLength, arch: 'tiny', lineage: [role] }, json, weights };
}

/** A bundle input with the given (id → model) pairs; desktop predictions computed on the current backend. */
export async function makeBundleInput(models: [string, tf.LayersModel][], split: SplitData): Promise<BundleInput> {
  const entries: BundleModelInput[] = [];
  const desktopPredictions: Record<string, Int16Array> = {};
  for (const [i, [id, m]] of models.entries()) {
    entries.push(await bundleModel(m, id, i === 0 ? 'original' : 'pruned'));
    const size = m.inputs[0]!.shape[1] as number;
    desktopPredictions[id] = size === SIZE ? Int16Array.from(await predictLabels(m, split.images, SIZE, RAW_INPUT)) : new Int16Array(split.count);
  }
  return {
    studioVersion: '0.1.0', createdAt: 1700000000000, bundleId: 'bundle-test',
    models: entries, images: split.images, labels: split.labels, imageSize: SIZE, classes: CLASSES,
    desktopPredictions, benchmark: BENCH, desktop: { backend: 'cpu', hardwareConcurrency: 2 },
  };
}

export async function makeBundleBytes(models: [string, tf.LayersModel][], split: SplitData): Promise<Uint8Array> {
  return encodeBundle(await makeBundleInput(models, split));
}
