/**
 * Input pipeline: turns a uint8 NHWC split into float32 batches for training/evaluation.
 * Seeded per-epoch shuffle, on-the-fly augmentation (random crop with 4 px zero padding, horizontal
 * flip) applied while filling the Float32Array, InputSpec scaling through a per-channel lookup table,
 * and one-batch prefetch: batch i+1's typed arrays are built in a macrotask right after batch i is
 * handed out, i.e. while the consumer computes. Tensors are created only at hand-out time, so an
 * early `break`/`return()` leaves nothing behind; the consumer disposes the xs/ys it receives.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../errors';
import { RAW_INPUT } from '../models/types';
import type { InputSpec } from '../models/types';
import { mulberry32, seededPermutation } from '../random';
import type { SplitData } from './types';

export interface Batch {
  /** float32, NHWC. */
  xs: tf.Tensor4D;
  /** int32 labels. */
  ys: tf.Tensor1D;
  size: number;
}

export interface BatchOptions {
  batchSize: number;
  shuffle?: boolean;
  seed?: number;
  epoch?: number;
  augment?: boolean;
  /** default RAW_INPUT: floats 0..255 */
  input?: InputSpec;
  /** Index range [start, end) of the split to use (default the whole split). */
  start?: number;
  end?: number;
  dropRemainder?: boolean;
  /** Start at this batch (default 0): batch k is the same whatever the start, augmentation included (resumed runs). */
  firstBatch?: number;
}

/** Zero padding of the random crop, in pixels (CIFAR standard). */
export const CROP_PADDING = 4;

function range(split: SplitData, opts: BatchOptions): [number, number] {
  const start = opts.start ?? 0;
  const end = opts.end ?? split.count;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > split.count || start > end) {
    throw new StudioError('bad-input', `Batch range [${start}, ${end}) is outside the split's 0..${split.count} images.`);
  }
  return [start, end];
}

function checkBatchSize(opts: BatchOptions): void {
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) {
    throw new StudioError('bad-input', `Batch size must be a positive integer (got ${opts.batchSize}).`);
  }
}

/** Number of batches `batches()` yields for these options. */
export function batchCount(split: SplitData, opts: BatchOptions): number {
  checkBatchSize(opts);
  const [start, end] = range(split, opts);
  const n = end - start;
  return opts.dropRemainder ? Math.floor(n / opts.batchSize) : Math.ceil(n / opts.batchSize);
}

/** Seed for epoch `epoch` of a run seeded `seed` (distinct streams for distinct pairs). */
export function epochSeed(seed: number, epoch: number): number {
  return (Math.imul(seed | 0, 0x9e3779b1) + Math.imul(epoch | 0, 0x85ebca77) + 0x165667b1) >>> 0;
}

/** lut[c*256 + v] = model input for raw value v in channel c. */
export function inputLut(spec: InputSpec): Float32Array {
  const lut = new Float32Array(768);
  const a = (spec.range[1] - spec.range[0]) / 255;
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < 256; v++) {
      let x = v * a + spec.range[0];
      if (spec.normalizeOutside) x = (x - spec.mean[c]!) / spec.std[c]!;
      lut[c * 256 + v] = x;
    }
  }
  return lut;
}

interface Built {
  xs: Float32Array;
  ys: Int32Array;
  size: number;
}

/** Runs fn in a fresh macrotask (setImmediate in Node, MessageChannel in workers, else setTimeout). */
function macrotask(fn: () => void): void {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown };
  if (typeof g.setImmediate === 'function') {
    g.setImmediate(fn);
  } else if (typeof MessageChannel === 'function') {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      fn();
    };
    ch.port2.postMessage(null);
  } else {
    setTimeout(fn, 0);
  }
}

/**
 * Yields batches of `split` (images imageSize×imageSize×3). The consumer must dispose each batch's
 * xs and ys; stopping early is safe.
 */
export async function* batches(split: SplitData, imageSize: number, opts: BatchOptions): AsyncGenerator<Batch> {
  checkBatchSize(opts);
  const [start, end] = range(split, opts);
  const S = imageSize;
  const px = S * S * 3;
  if (!Number.isInteger(S) || S < 1 || split.images.length !== split.count * px || split.labels.length < split.count) {
    throw new StudioError(
      'shape-mismatch',
      `Split has ${split.images.length} image bytes for ${split.count} images; expected ${split.count}×${S}×${S}×3.`,
    );
  }
  const n = end - start;
  const bs = opts.batchSize;
  const total = batchCount(split, opts);
  const seed = epochSeed(opts.seed ?? 0, opts.epoch ?? 0);
  const order = new Uint32Array(n);
  if (opts.shuffle) {
    const perm = seededPermutation(n, seed);
    for (let i = 0; i < n; i++) order[i] = start + perm[i]!;
  } else {
    for (let i = 0; i < n; i++) order[i] = start + i;
  }
  const lut = inputLut(opts.input ?? RAW_INPUT);
  const augment = opts.augment === true;
  const rnd = mulberry32(seed ^ 0x5bd1e995);
  const images = split.images;
  const zero = [lut[0]!, lut[256]!, lut[512]!] as const;

  const build = (b: number): Built => {
    const from = b * bs;
    const size = Math.min(n, from + bs) - from;
    const xs = new Float32Array(size * px);
    const ys = new Int32Array(size);
    for (let k = 0; k < size; k++) {
      const idx = order[from + k]!;
      ys[k] = split.labels[idx]!;
      const src = idx * px;
      let o = k * px;
      if (!augment) {
        for (let p = src, e = src + px; p < e; p += 3, o += 3) {
          xs[o] = lut[images[p]!]!;
          xs[o + 1] = lut[256 + images[p + 1]!]!;
          xs[o + 2] = lut[512 + images[p + 2]!]!;
        }
        continue;
      }
      const pad = CROP_PADDING;
      const ox = Math.floor(rnd() * (2 * pad + 1)) - pad;
      const oy = Math.floor(rnd() * (2 * pad + 1)) - pad;
      const flip = rnd() < 0.5;
      for (let y = 0; y < S; y++) {
        const sy = y + oy;
        if (sy < 0 || sy >= S) {
          for (let x = 0; x < S; x++, o += 3) {
            xs[o] = zero[0];
            xs[o + 1] = zero[1];
            xs[o + 2] = zero[2];
          }
          continue;
        }
        const row = src + sy * S * 3;
        for (let x = 0; x < S; x++, o += 3) {
          const sx = (flip ? S - 1 - x : x) + ox;
          if (sx < 0 || sx >= S) {
            xs[o] = zero[0];
            xs[o + 1] = zero[1];
            xs[o + 2] = zero[2];
          } else {
            const p = row + sx * 3;
            xs[o] = lut[images[p]!]!;
            xs[o + 1] = lut[256 + images[p + 1]!]!;
            xs[o + 2] = lut[512 + images[p + 2]!]!;
          }
        }
      }
    }
    return { xs, ys, size };
  };

  let closed = false;
  const prefetch = (b: number): Promise<Built | null> =>
    new Promise((resolve, reject) => {
      macrotask(() => {
        if (closed) return resolve(null);
        try {
          resolve(build(b));
        } catch (e) {
          reject(e);
        }
      });
    });

  const first = opts.firstBatch ?? 0;
  if (!Number.isInteger(first) || first < 0 || first > total) throw new StudioError('bad-input', `First batch ${first} is outside the ${total} batches of this epoch.`);
  // Skipped batches still draw their augmentation numbers (crop x, crop y, flip per image) so later batches match.
  if (augment) for (let i = 0, skipped = Math.min(n, first * bs) * 3; i < skipped; i++) rnd();

  try {
    let pending: Promise<Built | null> | null = first < total ? Promise.resolve(build(first)) : null;
    for (let b = first; b < total; b++) {
      const data = await pending!;
      if (!data) return;
      pending = b + 1 < total ? prefetch(b + 1) : null;
      pending?.catch(() => undefined);
      const xs = tf.tensor4d(data.xs, [data.size, S, S, 3], 'float32');
      let ys: tf.Tensor1D;
      try {
        ys = tf.tensor1d(data.ys, 'int32');
      } catch (e) {
        xs.dispose();
        throw e;
      }
      yield { xs, ys, size: data.size };
    }
  } finally {
    closed = true;
  }
}
