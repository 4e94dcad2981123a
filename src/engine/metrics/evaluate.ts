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
  const feed = opts.batchSize !== undefined
    ? batches(split, imageSize, { batchSize: opts.batchSize, shuffle: false, augment: false, input, start, end })
    : adaptiveBatches(split, imageSize, input, start, end);
  return scoreBatches(model, feed, end - start, opts);
}

/** Batch sizes the adaptive feed uses: powers of two, so a GPU backend compiles few shapes. */
const ADAPTIVE_MAX_BATCH = 64;
/** What one batch should take: progress (and its ETA) moves and a cancel is answered within about this long. */
const ADAPTIVE_BATCH_MS = 400;

/**
 * Batches whose size follows the measured speed: the first has 4 images, each next one is sized (a power of two,
 * at most ADAPTIVE_MAX_BATCH, growing at most 4× a step) so that it takes about ADAPTIVE_BATCH_MS including the
 * consumer's forward pass. On a fast backend it reaches full batches after a few steps; on a software GPU at a few
 * images per second it stays at one or two images a batch, so progress and cancel are never a long batch away.
 */
export async function* adaptiveBatches(split: SplitData, imageSize: number, input: InputSpec, start: number, end: number, targetMs = ADAPTIVE_BATCH_MS) {
  let at = start;
  let size = 4;
  while (at < end) {
    const stop = Math.min(end, at + size);
    const t0 = performance.now();
    // the time until the consumer asks for the next batch includes its forward pass on this one
    yield* batches(split, imageSize, { batchSize: stop - at, shuffle: false, augment: false, input, start: at, end: stop });
    const perImage = Math.max(1e-3, (performance.now() - t0) / (stop - at));
    at = stop;
    const want = Math.max(1, Math.min(ADAPTIVE_MAX_BATCH, size * 4, targetMs / perImage));
    size = 2 ** Math.floor(Math.log2(want));
  }
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
