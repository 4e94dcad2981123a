import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { batchCount, batches } from '../../../src/engine/data/pipeline';
import type { BatchOptions } from '../../../src/engine/data/pipeline';
import type { SplitData } from '../../../src/engine/data/types';
import type { StudioError } from '../../../src/engine/errors';
import type { InputSpec } from '../../../src/engine/models/types';
import { expectNoLeak } from '../../helpers/leak';

const S = 8;
const PX = S * S * 3;

/** count images; image i has label i % 7 and pixel values (i*5 + p) & 255 so images are identifiable. */
function makeSplit(count: number): SplitData {
  const images = new Uint8Array(count * PX);
  for (let i = 0; i < count; i++) for (let p = 0; p < PX; p++) images[i * PX + p] = (i * 5 + p * 3 + 1) & 0xff;
  const labels = new Uint16Array(count).map((_, i) => i % 7);
  return { count, images, labels };
}

interface Got {
  xs: Float32Array[];
  ys: number[][];
  sizes: number[];
}

async function collect(split: SplitData, opts: BatchOptions, stopAfter = Infinity): Promise<Got> {
  const got: Got = { xs: [], ys: [], sizes: [] };
  await expectNoLeak(async () => {
    for await (const b of batches(split, S, opts)) {
      expect(b.xs.dtype).toBe('float32');
      expect(b.ys.dtype).toBe('int32');
      expect(b.xs.shape).toEqual([b.size, S, S, 3]);
      got.xs.push(b.xs.dataSync() as Float32Array);
      got.ys.push(Array.from(b.ys.dataSync()));
      got.sizes.push(b.size);
      b.xs.dispose();
      b.ys.dispose();
      if (got.sizes.length >= stopAfter) break;
    }
  });
  return got;
}

/** Which source image a raw (unaugmented) batch row is: matches by first pixel. */
function imageIndex(split: SplitData, row: Float32Array): number {
  for (let i = 0; i < split.count; i++) {
    let same = true;
    for (let p = 0; p < PX && same; p++) same = split.images[i * PX + p] === row[p];
    if (same) return i;
  }
  return -1;
}

async function failure(fn: () => Promise<unknown>): Promise<StudioError> {
  try {
    await fn();
  } catch (e) {
    return e as StudioError;
  }
  throw new Error('expected a failure');
}

describe('input pipeline', () => {
  const split = makeSplit(23);

  it('yields every image once, in order without shuffle, raw 0..255 floats, no leaks', async () => {
    const got = await collect(split, { batchSize: 5 });
    expect(got.sizes).toEqual([5, 5, 5, 5, 3]);
    expect(batchCount(split, { batchSize: 5 })).toBe(5);
    const flat = got.xs.flatMap((x) => Array.from({ length: x.length / PX }, (_, k) => x.subarray(k * PX, (k + 1) * PX)));
    expect(flat.map((r) => imageIndex(split, r))).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(got.ys.flat()).toEqual(Array.from(split.labels));
  });

  it('drops the remainder when asked', async () => {
    expect(batchCount(split, { batchSize: 5, dropRemainder: true })).toBe(4);
    const got = await collect(split, { batchSize: 5, dropRemainder: true });
    expect(got.sizes).toEqual([5, 5, 5, 5]);
  });

  it('stops early without leaking (generator return)', async () => {
    const got = await collect(split, { batchSize: 4, shuffle: true, augment: true }, 2);
    expect(got.sizes).toEqual([4, 4]);
    // Explicit return() on a fresh generator after one batch.
    await expectNoLeak(async () => {
      const g = batches(split, S, { batchSize: 4 });
      const first = await g.next();
      expect(first.done).toBe(false);
      if (!first.done) tf.dispose([first.value.xs, first.value.ys]);
      await g.return(undefined);
      expect((await g.next()).done).toBe(true);
    });
  });

  it('shuffles deterministically per seed and epoch, covering every image once', async () => {
    const a = await collect(split, { batchSize: 6, shuffle: true, seed: 7, epoch: 0 });
    const b = await collect(split, { batchSize: 6, shuffle: true, seed: 7, epoch: 0 });
    const c = await collect(split, { batchSize: 6, shuffle: true, seed: 7, epoch: 1 });
    expect(a.ys).toEqual(b.ys);
    expect(a.xs).toEqual(b.xs);
    const order = (g: Got) =>
      g.xs.flatMap((x) => Array.from({ length: x.length / PX }, (_, k) => imageIndex(split, x.subarray(k * PX, (k + 1) * PX))));
    const oa = order(a);
    const oc = order(c);
    expect([...oa].sort((p, q) => p - q)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(oc).not.toEqual(oa);
    expect(oa).not.toEqual(Array.from({ length: 23 }, (_, i) => i));
    // Labels still travel with their images.
    expect(a.ys.flat()).toEqual(oa.map((i) => split.labels[i]));
  });

  it('augmentation: each image is a ≤4 px zero-padded shift, maybe flipped, of its source; labels kept', async () => {
    const raw = await collect(split, { batchSize: 23, shuffle: true, seed: 3 });
    const aug = await collect(split, { batchSize: 23, shuffle: true, seed: 3, augment: true });
    expect(aug.ys).toEqual(raw.ys);
    const rawOrder = Array.from({ length: 23 }, (_, k) => imageIndex(split, raw.xs[0]!.subarray(k * PX, (k + 1) * PX)));
    let changed = 0;
    for (let k = 0; k < 23; k++) {
      const src = split.images.subarray(rawOrder[k]! * PX, (rawOrder[k]! + 1) * PX);
      const got = aug.xs[0]!.subarray(k * PX, (k + 1) * PX);
      let matched = false;
      for (let oy = -4; oy <= 4 && !matched; oy++)
        for (let ox = -4; ox <= 4 && !matched; ox++)
          for (const flip of [false, true]) {
            let ok = true;
            for (let y = 0; y < S && ok; y++)
              for (let x = 0; x < S && ok; x++) {
                const sx = (flip ? S - 1 - x : x) + ox;
                const sy = y + oy;
                for (let c = 0; c < 3; c++) {
                  const want = sx < 0 || sy < 0 || sx >= S || sy >= S ? 0 : src[(sy * S + sx) * 3 + c]!;
                  if (got[(y * S + x) * 3 + c] !== want) ok = false;
                }
              }
            if (ok) matched = true;
          }
      expect(matched, `augmented image ${k} is not a crop/flip of its source`).toBe(true);
      if (got.some((v, p) => v !== src[p])) changed++;
    }
    expect(changed).toBeGreaterThan(15);
    // Deterministic too.
    const again = await collect(split, { batchSize: 23, shuffle: true, seed: 3, augment: true });
    expect(again.xs).toEqual(aug.xs);
  });

  it('firstBatch yields the same batches (augmentation included) as a full epoch from that batch on', async () => {
    const opts: BatchOptions = { batchSize: 5, shuffle: true, seed: 4, epoch: 2, augment: true };
    const full = await collect(split, opts);
    const tail = await collect(split, { ...opts, firstBatch: 2 });
    expect(tail.sizes).toEqual(full.sizes.slice(2));
    expect(tail.ys).toEqual(full.ys.slice(2));
    tail.xs.forEach((x, i) => expect(Array.from(x)).toEqual(Array.from(full.xs[i + 2]!)));
    expect((await collect(split, { ...opts, firstBatch: 5 })).sizes).toEqual([]);
    await expect(collect(split, { ...opts, firstBatch: 6 })).rejects.toMatchObject({ code: 'bad-input' });
  });

  it('start/end select an index range', async () => {
    const got = await collect(split, { batchSize: 4, start: 10, end: 19, shuffle: true, seed: 1 });
    expect(got.sizes).toEqual([4, 4, 1]);
    expect(batchCount(split, { batchSize: 4, start: 10, end: 19 })).toBe(3);
    const idx = got.xs.flatMap((x) => Array.from({ length: x.length / PX }, (_, k) => imageIndex(split, x.subarray(k * PX, (k + 1) * PX))));
    expect([...idx].sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18]);
    const empty = await collect(split, { batchSize: 4, start: 5, end: 5 });
    expect(empty.sizes).toEqual([]);
  });

  it('applies InputSpec scaling and outside normalisation', async () => {
    const spec: InputSpec = { range: [-1, 1], mean: [0.1, 0.2, 0.3], std: [0.5, 0.25, 2], normalizeOutside: true };
    const got = await collect(split, { batchSize: 3, input: spec });
    const raw = split.images;
    for (const p of [0, 1, 2, 100, 191]) {
      const c = p % 3;
      const want = ((raw[p]! * 2) / 255 - 1 - spec.mean[c]!) / spec.std[c]!;
      expect(got.xs[0]![p]).toBeCloseTo(want, 5);
    }
    const unit: InputSpec = { range: [0, 1], mean: [0, 0, 0], std: [1, 1, 1], normalizeOutside: false };
    const g2 = await collect(split, { batchSize: 3, input: unit });
    expect(g2.xs[0]![5]).toBeCloseTo(raw[5]! / 255, 6);
  });

  it('rejects bad options and mismatched image sizes', async () => {
    expect((await failure(async () => batchCount(split, { batchSize: 0 }))).code).toBe('bad-input');
    expect((await failure(async () => batchCount(split, { batchSize: 2, start: 5, end: 30 }))).code).toBe('bad-input');
    const e = await failure(async () => {
      for await (const b of batches(split, 16, { batchSize: 2 })) tf.dispose([b.xs, b.ys]);
    });
    expect(e.code).toBe('shape-mismatch');
  });
});
