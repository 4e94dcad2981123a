/**
 * Training checkpoints: model weights, optimizer slots (momentum accumulators) and history as
 * plain typed arrays, so a checkpoint can be structured-cloned out of the worker and stored.
 * Weights are matched to `model.weights` by position and checked by shape.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../errors';
import type { EpochRecord, SerializableTrainOptions } from './types';

export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface TrainCheckpoint {
  /** Completed epochs. */
  epoch: number;
  /** Every model weight (trainable and not, e.g. BN moving statistics), in `model.weights` order. */
  weights: NamedArray[];
  /** Optimizer slots in `optimizer.getWeights()` order, without the iteration counter. */
  optimizer: NamedArray[];
  /** Optimizer iteration counter (steps taken). */
  iterations: number;
  history: EpochRecord[];
  options: SerializableTrainOptions;
  /** Batches already done of epoch `epoch` (0-based index = completed epochs); 0 or absent at an epoch boundary. */
  batch?: number;
  /** Running sums of the unfinished epoch (with `batch` > 0), so its record comes out as if never interrupted. */
  partial?: { lossSum: number; correctSum: number; images: number; ms: number };
  /** Training time of the run so far (pauses excluded), for the time budget. */
  elapsedMs?: number;
}

/** Copies every model weight to a Float32Array. */
export async function readModelWeights(model: tf.LayersModel): Promise<NamedArray[]> {
  const out: NamedArray[] = [];
  for (const w of model.weights) {
    const v = w.read();
    const data = await v.data();
    out.push({ name: w.name, shape: v.shape.slice(), data: data instanceof Float32Array ? data.slice() : Float32Array.from(data as ArrayLike<number>) });
  }
  return out;
}

/** Writes weights captured by `readModelWeights` back into a model of the same architecture. */
export function writeModelWeights(model: tf.LayersModel, weights: NamedArray[]): void {
  const targets = model.weights;
  if (targets.length !== weights.length)
    throw new StudioError('shape-mismatch', `Checkpoint has ${weights.length} weights but the model has ${targets.length}; it belongs to a different architecture.`);
  targets.forEach((w, i) => {
    const src = weights[i]!;
    if (!tf.util.arraysEqual(w.shape as number[], src.shape))
      throw new StudioError('shape-mismatch', `Checkpoint weight ${i} (${src.name}) has shape [${src.shape}] but the model's ${w.name} has [${w.shape}].`);
  });
  targets.forEach((w, i) => {
    const src = weights[i]!;
    const t = tf.tensor(src.data, src.shape, 'float32');
    w.write(t);
    t.dispose();
  });
}

/** Reads the optimizer's slot variables (and iteration counter). */
export async function readOptimizerSlots(optimizer: tf.Optimizer): Promise<{ slots: NamedArray[]; iterations: number }> {
  const named = await optimizer.getWeights();
  let iterations = 0;
  const slots: NamedArray[] = [];
  for (let i = 0; i < named.length; i++) {
    const { name, tensor } = named[i]!;
    const data = await tensor.data();
    if (i === 0 && name === 'iter') {
      iterations = data[0] ?? 0;
      tensor.dispose(); // a fresh scalar made by saveIterations()
      continue;
    }
    slots.push({ name, shape: tensor.shape.slice(), data: Float32Array.from(data as ArrayLike<number>) });
  }
  return { slots, iterations };
}

/** Restores slot variables into a fresh optimizer (before its first step). */
export async function writeOptimizerSlots(optimizer: tf.Optimizer, slots: NamedArray[], iterations: number): Promise<void> {
  const iter = tf.scalar(iterations, 'int32');
  const tensors = slots.map((s) => tf.tensor(s.data, s.shape, 'float32'));
  try {
    await optimizer.setWeights([{ name: 'iter', tensor: iter }, ...slots.map((s, i) => ({ name: s.name, tensor: tensors[i]! }))]);
  } finally {
    iter.dispose();
    tf.dispose(tensors);
  }
}
