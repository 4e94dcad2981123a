/** A tiny top-1 accuracy loop over the first `images` images of a split (inference mode, no leaks). */
import * as tf from '@tensorflow/tfjs';
import type { SplitData } from '../data/types';
import { throwIfAborted } from '../errors';
import { inputBatch } from '../importance/inputs';
import type { InputSpec } from '../models/types';
import { nextTick } from '../progress';

export async function top1(
  model: tf.LayersModel,
  split: SplitData,
  imageSize: number,
  opts: { images?: number; batchSize?: number; input?: InputSpec; signal?: AbortSignal } = {},
): Promise<number> {
  const n = Math.min(split.count, opts.images ?? split.count);
  const bs = Math.max(1, opts.batchSize ?? 100);
  let correct = 0;
  for (let s = 0; s < n; s += bs) {
    throwIfAborted(opts.signal);
    const idx = Array.from({ length: Math.min(bs, n - s) }, (_, i) => s + i);
    const pred = tf.tidy(() => {
      const xs = inputBatch(split, idx, imageSize, opts.input);
      const out = model.predict(xs) as tf.Tensor;
      return tf.argMax(out, -1);
    });
    const p = pred.dataSync();
    pred.dispose();
    for (let i = 0; i < idx.length; i++) if (p[i] === split.labels[idx[i]!]) correct++;
    await nextTick();
  }
  return n ? correct / n : 0;
}
