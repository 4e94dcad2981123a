/**
 * The trainer's view of its data: a source of per-epoch batches. `train()` builds one from the
 * input pipeline; tests and callers with data already in tensors can pass their own.
 */
import type * as tf from '@tensorflow/tfjs';

/** One batch; the consumer disposes xs and ys. */
export interface Batch {
  xs: tf.Tensor4D;
  ys: tf.Tensor1D;
  size: number;
}

export interface TrainFeed {
  /** Images in one epoch (after any dropped remainder). */
  imagesPerEpoch: number;
  batchesPerEpoch: number;
  /**
   * Batches of epoch `epoch` (0-based) from batch `fromBatch` on (default 0); the order must depend only on
   * (seed, epoch), and batch k must be the same whatever `fromBatch` is, for runs resumed mid-epoch.
   */
  epoch(epoch: number, fromBatch?: number): AsyncIterable<Batch>;
}

/** Validation on the model in inference mode. */
export type Validator = (model: tf.LayersModel, signal?: AbortSignal) => Promise<{ acc: number; loss: number }>;
