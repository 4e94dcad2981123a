/**
 * Turns a slice of a SplitData (uint8 NHWC) into the model's float input batch, following the
 * InputSpec convention of models/types.ts (scale to `range`, then mean/std only when
 * `normalizeOutside`). Analysis never augments.
 */
import * as tf from '@tensorflow/tfjs';
import type { SplitData } from '../data/types';
import { StudioError } from '../errors';
import { RAW_INPUT, type InputSpec } from '../models/types';

/** Image side of a split, checked against the model's input size. */
export function splitImageSize(split: SplitData, imageSize: number): number {
  const px = split.count > 0 ? split.images.length / (split.count * 3) : imageSize * imageSize;
  const side = Math.round(Math.sqrt(px));
  if (side * side !== px) throw new StudioError('bad-input', `Split images are not square RGB (${split.images.length} bytes for ${split.count} images).`);
  if (side !== imageSize)
    throw new StudioError('shape-mismatch', `Split images are ${side}×${side} but the model expects ${imageSize}×${imageSize}.`);
  return side;
}

/** Input tensor [indices.length, S, S, 3] for the given image indices (caller disposes). */
export function inputBatch(split: SplitData, indices: ArrayLike<number>, imageSize: number, input: InputSpec = RAW_INPUT): tf.Tensor4D {
  const per = imageSize * imageSize * 3;
  const n = indices.length;
  const out = new Float32Array(n * per);
  const scale = (input.range[1] - input.range[0]) / 255;
  const lo = input.range[0];
  for (let i = 0; i < n; i++) {
    const src = indices[i]! * per;
    const dst = i * per;
    for (let p = 0; p < per; p++) out[dst + p] = split.images[src + p]! * scale + lo;
  }
  if (input.normalizeOutside) {
    for (let p = 0; p < out.length; p++) {
      const c = p % 3;
      out[p] = (out[p]! - input.mean[c]!) / input.std[c]!;
    }
  }
  return tf.tensor4d(out, [n, imageSize, imageSize, 3]);
}

/** Labels for the given indices as an int32 tensor (caller disposes). */
export function labelBatch(split: SplitData, indices: ArrayLike<number>): tf.Tensor1D {
  const y = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) y[i] = split.labels[indices[i]!]!;
  return tf.tensor1d(y, 'int32');
}
