/**
 * Scores a model on a stream of labelled batches in inference mode: top-1, top-5, mean
 * cross-entropy, per-class accuracy and the confusion matrix. Data-source agnostic;
 * evaluate.ts feeds it from the input pipeline.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError, throwIfAborted } from '../errors';
import { nextTick, type JobOptions } from '../progress';

export interface EvalBatch {
  xs: tf.Tensor4D;
  ys: tf.Tensor1D;
  size: number;
}

export interface EvalResult {
  /** Fraction of images whose highest score is the true class. */
  top1: number;
  /** Fraction whose true class is among the 5 highest scores (min(5, classes)). */
  top5: number;
  count: number;
  /** Mean softmax cross-entropy (log(clip(p)) for models that output probabilities). */
  loss: number;
  /** Accuracy of each true class (recall); NaN for a class with no images. */
  perClass: number[];
  /** confusion[trueClass][predictedClass] = image count. */
  confusion: number[][];
}

/** Number of output classes of a classifier (last dim of its single 2-D output). */
export function outputClasses(model: tf.LayersModel): number {
  const shape = model.outputs[0]?.shape;
  const k = shape?.[shape.length - 1];
  if (!shape || shape.length !== 2 || typeof k !== 'number')
    throw new StudioError('bad-input', `The model must output one score vector per image (output shape ${JSON.stringify(shape)}).`);
  return k;
}

function isSoftmaxOutput(model: tf.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  if (!last) return false;
  if (last.getClassName() === 'Softmax') return true;
  return (last.getConfig() as { activation?: unknown }).activation === 'softmax';
}

/**
 * Scores `batches` (the consumer — this function — disposes xs/ys). `total` is the expected image
 * count, used only for progress.
 */
export async function scoreBatches(
  model: tf.LayersModel,
  batches: AsyncIterable<EvalBatch>,
  total: number,
  job: JobOptions = {},
): Promise<EvalResult> {
  const k = outputClasses(model);
  const probs = isSoftmaxOutput(model);
  const topK = Math.min(5, k);
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let count = 0;
  let hit1 = 0;
  let hit5 = 0;
  let lossSum = 0;
  for await (const b of batches) {
    let top: Int32Array;
    let labels: Int32Array;
    let lossPart: number;
    try {
      throwIfAborted(job.signal);
      const [t, l, s] = tf.tidy(() => {
        const out = model.predict(b.xs) as tf.Tensor2D;
        const logits = probs ? tf.log(tf.clipByValue(out, 1e-7, 1)) : out;
        const ys = tf.cast(b.ys, 'int32') as tf.Tensor1D;
        const ce = tf.neg(tf.sum(tf.mul(tf.oneHot(ys, k), tf.logSoftmax(logits))));
        return [tf.topk(logits, topK).indices, ys, ce] as const;
      });
      try {
        [top, labels, lossPart] = await Promise.all([t.data() as Promise<Int32Array>, l.data() as Promise<Int32Array>, s.data().then((d) => d[0]!)]);
      } finally {
        tf.dispose([t, l, s]);
      }
    } finally {
      tf.dispose([b.xs, b.ys]);
    }
    for (let i = 0; i < labels.length; i++) {
      const y = labels[i]!;
      if (y < 0 || y >= k) throw new StudioError('label-out-of-range', `Label ${y} is outside the model's ${k} classes.`);
      const row = top.subarray(i * topK, (i + 1) * topK);
      const pred = row[0]!;
      confusion[y]![pred]!++;
      if (pred === y) hit1++;
      if (row.includes(y)) hit5++;
    }
    lossSum += lossPart;
    count += labels.length;
    job.onProgress?.({ phase: 'evaluate', fraction: total > 0 ? Math.min(1, count / total) : 0, message: `${count}/${total} images` });
    await nextTick();
  }
  const perClass = confusion.map((row, c) => {
    const n = row.reduce((a, v) => a + v, 0);
    return n > 0 ? row[c]! / n : NaN;
  });
  return {
    top1: count ? hit1 / count : 0,
    top5: count ? hit5 / count : 0,
    count,
    loss: count ? lossSum / count : 0,
    perClass,
    confusion,
  };
}

/** Argmax class per batch image, in batch order (inference mode; disposes xs/ys). */
export async function argmaxBatches(model: tf.LayersModel, batches: AsyncIterable<EvalBatch>, total: number, job: JobOptions = {}): Promise<Int32Array> {
  const out = new Int32Array(total);
  let n = 0;
  for await (const b of batches) {
    try {
      throwIfAborted(job.signal);
      const t = tf.tidy(() => tf.argMax(model.predict(b.xs) as tf.Tensor2D, -1));
      try {
        const d = (await t.data()) as Int32Array;
        if (n + d.length > total) throw new StudioError('internal', `Got more than the expected ${total} predictions.`);
        out.set(d, n);
        n += d.length;
      } finally {
        t.dispose();
      }
    } finally {
      tf.dispose([b.xs, b.ys]);
    }
    job.onProgress?.({ phase: 'predict', fraction: total > 0 ? n / total : 1 });
    await nextTick();
  }
  return n === total ? out : out.slice(0, n);
}
