/**
 * Verification of an exported file by its own runtime: the same test images go through the tfjs model and through
 * the runtime (LiteRT.js for .tflite, onnxruntime-web for .onnx); we compare logits (max |Δ|) and argmax
 * (top-1 agreement), and top-1 accuracy against the labels for both. `ok` is false when they disagree beyond what
 * the weight encoding explains: float32 must agree on every image, its logits within 1e-3 absolute or 1e-4
 * relative to the largest |logit| (float32 rounding grows with the magnitude: an untrained deep ResNet's logits
 * reach 1e5); float16 on ≥ 99 % of images; int8 on ≥ 97 %.
 */
import * as tf from '@tensorflow/tfjs';
import { batches } from '../data/pipeline';
import { StudioError, throwIfAborted } from '../errors';
import type { InputSpec } from '../models/types';
import type { JobOptions } from '../progress';

export type ExportEncoding = 'float32' | 'float16' | 'int8-dynamic';

export interface VerifyResult {
  runtime: string;
  images: number;
  maxAbsDiff: number;
  meanAbsDiff: number;
  /** Largest |logit| of the tfjs model over the images, and maxAbsDiff / max(1, that). */
  maxAbsLogit: number;
  maxRelDiff: number;
  top1Agreement: number;
  /** Top-1 against the labels: tfjs and the exported file. */
  top1Tfjs: number;
  top1Export: number;
  /** Milliseconds per image in the runtime (mean over the verification run, includes copies). */
  msPerImage: number;
  ok: boolean;
  reason?: string;
}

export const FLOAT32_TOLERANCE = 1e-3;
export const FLOAT32_RELATIVE_TOLERANCE = 1e-4;
const MIN_AGREEMENT: Record<ExportEncoding, number> = { float32: 1, float16: 0.99, 'int8-dynamic': 0.97 };

/** One image (raw 0–255 RGB NHWC as float32) in, logits out. */
export type RunImage = (pixels: Float32Array) => Promise<Float32Array>;

function argmax(v: Float32Array, from: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (v[from + i]! > v[from + best]!) best = i;
  return best;
}

export function verdict(encoding: ExportEncoding, maxAbsDiff: number, agreement: number, maxAbsLogit = 0): { ok: boolean; reason?: string } {
  const need = MIN_AGREEMENT[encoding];
  if (!Number.isFinite(maxAbsDiff)) return { ok: false, reason: 'the runtime produced non-finite logits' };
  if (agreement < need) return { ok: false, reason: `top-1 agrees on ${(agreement * 100).toFixed(1)} % of images (need ${(need * 100).toFixed(0)} % for ${encoding})` };
  const rel = maxAbsDiff / Math.max(1, maxAbsLogit);
  if (encoding === 'float32' && maxAbsDiff > FLOAT32_TOLERANCE && rel > FLOAT32_RELATIVE_TOLERANCE) {
    return { ok: false, reason: `max |Δlogit| ${maxAbsDiff.toExponential(2)} exceeds ${FLOAT32_TOLERANCE} (and ${rel.toExponential(2)} of the largest logit exceeds ${FLOAT32_RELATIVE_TOLERANCE}) for float32` };
  }
  return { ok: true };
}

/** Compares the tfjs model and an exported runtime on `images` (count × size² × 3 uint8) with their labels. */
export async function verifyAgainstTfjs(
  model: tf.LayersModel,
  run: RunImage,
  data: { images: Uint8Array; labels: Uint16Array | Int32Array; size: number; input: InputSpec },
  opts: { runtime: string; encoding: ExportEncoding } & JobOptions,
): Promise<VerifyResult> {
  const px = data.size * data.size * 3;
  const count = data.labels.length;
  if (count === 0 || data.images.length !== count * px) throw new StudioError('bad-input', `Verification needs whole ${data.size}×${data.size}×3 images with one label each.`);
  const split = { count, images: data.images, labels: Uint16Array.from(data.labels) };
  const chunks: Float32Array[] = [];
  let classes = 0;
  for await (const batch of batches(split, data.size, { batchSize: 50, shuffle: false, augment: false, input: data.input })) {
    const y = tf.tidy(() => model.predict(batch.xs) as tf.Tensor);
    classes = y.shape[y.shape.length - 1]!;
    chunks.push((await y.data()) as Float32Array);
    y.dispose();
    batch.xs.dispose();
    batch.ys.dispose();
    throwIfAborted(opts.signal);
  }
  const tfjsLogits = new Float32Array(count * classes);
  let at = 0;
  for (const c of chunks) {
    tfjsLogits.set(c, at);
    at += c.length;
  }
  let maxAbs = 0;
  let maxLogit = 0;
  for (const v of tfjsLogits) if (Math.abs(v) > maxLogit) maxLogit = Math.abs(v);
  let sumAbs = 0;
  let agree = 0;
  let hitT = 0;
  let hitE = 0;
  const pixels = new Float32Array(px);
  const t0 = performance.now();
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < px; k++) pixels[k] = data.images[i * px + k]!;
    const out = await run(pixels);
    if (out.length !== classes) throw new StudioError('shape-mismatch', `The ${opts.runtime} output has ${out.length} values, the tfjs model ${classes}.`);
    for (let c = 0; c < classes; c++) {
      const d = Math.abs(out[c]! - tfjsLogits[i * classes + c]!);
      if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : Math.max(maxAbs, d);
      sumAbs += d;
    }
    const a = argmax(tfjsLogits, i * classes, classes);
    const b = argmax(out, 0, classes);
    if (a === b) agree++;
    if (a === data.labels[i]) hitT++;
    if (b === data.labels[i]) hitE++;
    if (i % 20 === 19) {
      throwIfAborted(opts.signal);
      const fraction = (i + 1) / count;
      const elapsed = Date.now() - started;
      opts.onProgress?.({ phase: `verify in ${opts.runtime}`, fraction, etaMs: (elapsed / fraction) * (1 - fraction) });
    }
  }
  const ms = (performance.now() - t0) / count;
  const agreement = agree / count;
  const v = verdict(opts.encoding, maxAbs, agreement, maxLogit);
  return { runtime: opts.runtime, images: count, maxAbsDiff: maxAbs, meanAbsDiff: sumAbs / (count * classes), maxAbsLogit: maxLogit, maxRelDiff: maxAbs / Math.max(1, maxLogit), top1Agreement: agreement, top1Tfjs: hitT / count, top1Export: hitE / count, msPerImage: ms, ...v };
}
