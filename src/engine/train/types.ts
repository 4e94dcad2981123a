/** Public option and record types of the trainer (kept apart so checkpoint.ts and trainer.ts share them). */
import type * as tf from '@tensorflow/tfjs';
import type { SplitData } from '../data/types';
import type { ScheduleName } from './schedules';

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  /** Base (peak) learning rate. */
  lr: number;
  /** SGD momentum, default 0.9 (0 = plain SGD). */
  momentum?: number;
  nesterov?: boolean;
  /** L2 weight decay added to the gradient of kernels only (not BN, not biases); default 5e-4. */
  weightDecay?: number;
  schedule?: ScheduleName;
  warmupEpochs?: number;
  stepEvery?: number;
  stepGamma?: number;
  /** ε of label smoothing, 0..1 (default 0). */
  labelSmoothing?: number;
  /** Random crop + flip in the input pipeline (default true). */
  augment?: boolean;
  /** Seeds the per-epoch shuffle (seed, epoch) and augmentation; default 0. */
  seed?: number;
  valFraction?: never;
  /** Evaluate on `split` every `every` epochs (default 1), on its first `limit` images when set. */
  validate?: { split: SplitData; every?: number; limit?: number };
  /** Train on a class-balanced subset of this many training images (seeded by `seed`; `train()` applies it). */
  images?: number;
  /**
   * Stop cleanly once this much training time (pauses excluded, resumed runs counting their earlier time) has
   * passed: at the next batch boundary, with the partial epoch recorded and validated (TrainResult.stoppedAtBudget).
   */
  timeBudgetMs?: number;
  /** Knowledge distillation from a teacher fed the same input batch (same InputSpec). */
  distill?: { teacher: tf.LayersModel; temperature: number; alpha: number };
}

export interface EpochRecord {
  /** 1-based number of the epoch just completed. */
  epoch: number;
  /** Mean training loss over the epoch (the mixed loss when distilling). */
  loss: number;
  /** Training accuracy (training-mode forward pass). */
  acc: number;
  valAcc?: number;
  valLoss?: number;
  /** Learning rate at the end of the epoch. */
  lr: number;
  ms: number;
  imagesPerSecond: number;
  /** Set when the epoch stopped early at the time budget: batches done of the epoch's total. */
  partial?: { batch: number; batches: number };
}

/** TrainOptions without the parts that cannot be cloned/stored (splits, teacher model). */
export type SerializableTrainOptions = Omit<TrainOptions, 'validate' | 'distill' | 'valFraction'> & {
  validate?: { every?: number; limit?: number; count: number };
  distill?: { temperature: number; alpha: number };
};
