/**
 * Model evaluation on a split through the input pipeline (inference mode, no shuffle, no
 * augmentation): top-1/top-5, loss, per-class accuracy, confusion matrix; and `predictLabels`
 * (argmax per image) for the deploy bundle.
 */
import type * as tf from '@tensorflow/tfjs';
import { batches } from '../data/pipeline';
import type { SplitData } from '../data/types';
import { StudioError } from '../errors';
import type { InputSpec } from '../models/types';
import type { JobOptions } from '../progress';
import { argmaxBatches, scoreBatches, type EvalResult } from './accuracy';

export type { EvalResult } from './accuracy';

export interface EvaluateOptions extends JobOptions {
  /** default 100 */
  batchSize?: number;
  /** Image index range [start, end) of the split (default all). */
  start?: number;
  end?: number;
}

/** Scores `model` on `split` (images imageSize² RGB uint8, fed through `input`). */
export async function evaluate(
  model: tf.LayersModel,
  split: SplitData,
  imageSize: number,
  input: InputSpec,
  opts: EvaluateOptions = {},
): Promise<EvalResult> {
  const start = opts.start ?? 0;
  const end = opts.end ?? split.count;
  const feed = batches(split, imageSize, { batchSize: opts.batchSize ?? 100, shuffle: false, augment: false, input, start, end });
  return scoreBatches(model, feed, end - start, opts);
}

/** Argmax class of each of the `images` (count × imageSize² × 3 uint8, NHWC). */
export async function predictLabels(
  model: tf.LayersModel,
  images: Uint8Array,
  imageSize: number,
  input: InputSpec,
  opts: { batchSize?: number } & JobOptions = {},
): Promise<Int32Array> {
  const px = imageSize * imageSize * 3;
  if (images.length % px !== 0)
    throw new StudioError('bad-input', `${images.length} bytes is not a whole number of ${imageSize}×${imageSize}×3 images.`);
  const count = images.length / px;
  const split: SplitData = { count, images, labels: new Uint16Array(count) };
  return argmaxBatches(model, batches(split, imageSize, { batchSize: opts.batchSize ?? 100, shuffle: false, augment: false, input }), count, opts);
}
