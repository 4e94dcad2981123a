/** Test helper: loads an akamaster TF.js ResNet from ../shared (read-only). */
import * as tf from '@tensorflow/tfjs';
import type { SplitData } from '../../../src/engine/data/types';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const SHARED = resolve(__dirname, '../../../../shared');

export function akamasterFiles(depth: 20 | 32 | 44 | 56): { name: string; bytes: Uint8Array }[] {
  const dir = resolve(SHARED, `models/akamaster-tfjs/resnet${depth}`);
  return ['model.json', 'group1-shard1of1.bin'].map((name) => ({
    name,
    bytes: new Uint8Array(readFileSync(resolve(dir, name))),
  }));
}

export async function loadAkamaster(depth: 20 | 32 | 44 | 56): Promise<tf.LayersModel> {
  const [json, bin] = akamasterFiles(depth);
  const mj = JSON.parse(new TextDecoder().decode(json.bytes)) as {
    modelTopology: object;
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
    userDefinedMetadata?: {};
  };
  const weightData = bin.bytes.buffer.slice(bin.bytes.byteOffset, bin.bytes.byteOffset + bin.bytes.byteLength);
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: mj.modelTopology,
      weightSpecs: mj.weightsManifest[0].weights,
      weightData,
      userDefinedMetadata: mj.userDefinedMetadata,
    }),
  );
}

/** Decodes CIFAR-10 binary records (label byte + R,G,B 32x32 planes) into NHWC float 0..255. */
export function loadCifarRecords(): { x: Float32Array; labels: Uint8Array; n: number } {
  const buf = readFileSync(resolve(SHARED, 'data/cifar-10-test-lossless-1000.bin'));
  const n = buf.length / 3073;
  const x = new Float32Array(n * 32 * 32 * 3);
  const labels = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const o = r * 3073;
    labels[r] = buf[o];
    for (let c = 0; c < 3; c++)
      for (let p = 0; p < 1024; p++) x[(r * 1024 + p) * 3 + c] = buf[o + 1 + c * 1024 + p];
  }
  return { x, labels, n };
}

/** Records [start, start + n) of the lossless test file as a split (NHWC bytes). */
export function losslessSplit(start: number, n: number): SplitData {
  const { x, labels } = loadCifarRecords();
  return { count: n, images: Uint8Array.from(x.subarray(start * 3072, (start + n) * 3072)), labels: Uint16Array.from(labels.subarray(start, start + n)) };
}

/** First n lossless test images as a float tensor, NHWC 0..255 (caller disposes). */
export function losslessImages(n: number): tf.Tensor4D {
  return tf.tensor4d(loadCifarRecords().x.subarray(0, n * 3072), [n, 32, 32, 3]);
}
