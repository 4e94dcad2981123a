/**
 * Public training entry point: `train()` feeds the training loop (loop.ts) from the input
 * pipeline — seeded per-epoch shuffle (seed, epoch), optional crop/flip augmentation, the model's
 * InputSpec — and validates through `evaluate()` when asked.
 */
import type * as tf from '@tensorflow/tfjs';
import type { SplitData } from '../data/types';
import { batchCount, batches } from '../data/pipeline';
import type { InputSpec } from '../models/types';
import { evaluate } from '../metrics/evaluate';
import type { TrainFeed, Validator } from './feed';
import { runTraining, type TrainJob, type TrainResult } from './loop';
import { balancedSubset } from './subset';
import type { TrainOptions } from './types';

export type { EpochRecord, SerializableTrainOptions, TrainOptions } from './types';
export type { NamedArray, TrainCheckpoint } from './checkpoint';
export type { PauseControl, TrainJob, TrainResult } from './loop';
export { learningRateAt } from './schedules';
export { balancedSubset, balancedSubsetIndices } from './subset';
export type { ScheduleName, ScheduleOptions } from './schedules';

/** The training split as a TrainFeed: shuffled by (seed, epoch), remainder dropped when the split holds more than one batch. */
export function pipelineFeed(split: SplitData, imageSize: number, input: InputSpec, opts: TrainOptions): TrainFeed {
  const dropRemainder = split.count > opts.batchSize;
  const base = { batchSize: opts.batchSize, shuffle: true, seed: opts.seed ?? 0, augment: opts.augment ?? true, input, dropRemainder };
  const nb = batchCount(split, base);
  return {
    batchesPerEpoch: nb,
    imagesPerEpoch: dropRemainder ? nb * opts.batchSize : split.count,
    epoch: (epoch: number, fromBatch = 0) => batches(split, imageSize, { ...base, epoch, firstBatch: fromBatch }),
  };
}

/**
 * Trains `model` in place (custom loop; see loop.ts `runTraining` for the error contract:
 * StudioError 'cancelled' / 'nan-loss' / 'out-of-memory' leave the weights of the last completed
 * epoch). `opts.images` trains on a class-balanced seeded subset of the split. Validation, when `opts.validate` is set, runs `evaluate()` on its split (first `limit` images).
 */
export async function train(
  model: tf.LayersModel,
  train: SplitData,
  imageSize: number,
  input: InputSpec,
  opts: TrainOptions,
  job?: TrainJob,
): Promise<TrainResult> {
  const v = opts.validate;
  const validator: Validator | undefined = v
    ? async (m, signal) => {
        const r = await evaluate(m, v.split, imageSize, input, { batchSize: Math.max(opts.batchSize, 64), end: v.limit !== undefined ? Math.min(v.limit, v.split.count) : undefined, signal });
        return { acc: r.top1, loss: r.loss };
      }
    : undefined;
  const data = opts.images !== undefined ? balancedSubset(train, opts.images, opts.seed ?? 0) : train;
  return runTraining(model, pipelineFeed(data, imageSize, input, opts), opts, job, validator);
}
