/**
 * Training losses on logits: softmax cross-entropy with optional label smoothing, and the
 * Hinton et al. (2015) distillation term KL(softmax(t/T) ‖ softmax(s/T))·T². All return the
 * mean over the batch as a scalar; call them inside tf.tidy / a gradient closure.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Cross-entropy −Σ_k q_k · log softmax(z)_k with q = (1−ε)·onehot(y) + ε/K (Szegedy et al. 2016),
 * averaged over the batch. `labels` are int32 class indices.
 */
export function smoothedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, smoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const k = logits.shape[1];
    const logp = tf.logSoftmax(logits);
    let q: tf.Tensor = tf.oneHot(tf.cast(labels, 'int32'), k).toFloat();
    if (smoothing > 0) q = tf.add(tf.mul(q, 1 - smoothing), smoothing / k);
    return tf.neg(tf.mean(tf.sum(tf.mul(q, logp), -1))) as tf.Scalar;
  });
}

/**
 * Distillation loss T² · mean_batch KL(p_t ‖ p_s), p_t = softmax(teacher/T), p_s = softmax(student/T).
 * The T² factor keeps the soft-target gradients on the same scale as the hard loss (Hinton et al.).
 */
export function distillationLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const logPs = tf.logSoftmax(tf.div(studentLogits, temperature));
    const logPt = tf.logSoftmax(tf.div(teacherLogits, temperature));
    // teacherLogits come from a separate inference pass, so no gradient reaches the teacher.
    const kl = tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)), -1);
    return tf.mul(tf.mean(kl), temperature * temperature) as tf.Scalar;
  });
}

export interface LossOptions {
  labelSmoothing?: number;
  distill?: { temperature: number; alpha: number };
}

/** (1−α)·CE_smoothed(student, y) + α·KD(student, teacher, T); plain smoothed CE without a teacher. */
export function trainingLoss(logits: tf.Tensor2D, labels: tf.Tensor1D, o: LossOptions, teacherLogits?: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const ce = smoothedCrossEntropy(logits, labels, o.labelSmoothing ?? 0);
    if (!o.distill || !teacherLogits) return ce;
    const kd = distillationLoss(logits, teacherLogits, o.distill.temperature);
    return tf.add(tf.mul(ce, 1 - o.distill.alpha), tf.mul(kd, o.distill.alpha)) as tf.Scalar;
  });
}

/**
 * Our models output logits; a model whose last layer applies softmax outputs probabilities.
 * Returns true when the model's output is already a softmax (last layer activation 'softmax'
 * or a Softmax / Activation('softmax') layer).
 */
export function outputsProbabilities(model: tf.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  if (!last) return false;
  const cls = last.getClassName();
  if (cls === 'Softmax') return true;
  const cfg = last.getConfig() as { activation?: unknown };
  return cfg.activation === 'softmax';
}

/** Turns a model output into logits: log(clip(p)) for probability outputs (softmax(log p) = p). */
export function asLogits(out: tf.Tensor, probabilities: boolean): tf.Tensor2D {
  if (!probabilities) return out as tf.Tensor2D;
  return tf.tidy(() => tf.log(tf.clipByValue(out, 1e-7, 1))) as tf.Tensor2D;
}
