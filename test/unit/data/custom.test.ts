import { PNG } from 'pngjs';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { entriesFromZip, importCustomDataset, planCustomDataset } from '../../../src/engine/data/custom';
import type { FileEntry, ImageDecoder } from '../../../src/engine/data/custom';
import type { StudioError } from '../../../src/engine/errors';

/** Test decoder built on pngjs (PNG only; anything else fails like a real decoder would). */
const pngDecoder: ImageDecoder = async (bytes, mime) => {
  if (mime !== 'image/png') throw new Error(`unsupported ${mime}`);
  const png = PNG.sync.read(Buffer.from(bytes));
  return { width: png.width, height: png.height, data: new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length) };
};

/** Solid-colour PNG (optionally with a per-pixel function). */
function png(w: number, h: number, rgb: [number, number, number] | ((x: number, y: number) => [number, number, number, number?])): Uint8Array {
  const p = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const v = typeof rgb === 'function' ? rgb(x, y) : rgb;
      const o = (y * w + x) * 4;
      p.data[o] = v[0];
      p.data[o + 1] = v[1];
      p.data[o + 2] = v[2];
      p.data[o + 3] = v[3] ?? 255;
    }
  return new Uint8Array(PNG.sync.write(p));
}

function entry(path: string, bytes: Uint8Array): FileEntry {
  return { path, bytes: () => Promise.resolve(bytes) };
}

const COLORS: Record<string, [number, number, number]> = { cat: [200, 10, 10], dog: [10, 200, 10], owl: [10, 10, 200] };

/** n images per class, class colour + per-image tint in the blue/red channel to make pixels unique. */
function classFolder(prefix: string, cls: string, n: number, w = 8, h = 8): FileEntry[] {
  return Array.from({ length: n }, (_, i) => {
    const c = COLORS[cls]!;
    return entry(`${prefix}${cls}/img${String(i).padStart(3, '0')}.png`, png(w, h, [c[0], c[1], (c[2] + i) & 0xff]));
  });
}

async function failure(p: Promise<unknown> | (() => unknown)): Promise<StudioError> {
  try {
    if (typeof p === 'function') p();
    else await p;
  } catch (e) {
    return e as StudioError;
  }
  throw new Error('expected a failure');
}

describe('custom dataset import', () => {
  it('class folders: sorted classes, stratified seeded split, labels match colours, notes', async () => {
    const entries = [
      ...classFolder('', 'owl', 10),
      ...classFolder('', 'cat', 10),
      ...classFolder('', 'dog', 5),
      entry('cat/notes.txt', new Uint8Array([1])),
      entry('README.md', new Uint8Array([1])),
      entry('.DS_Store', new Uint8Array([1])),
    ];
    const ds = await importCustomDataset(entries, { decoder: pngDecoder, imageSize: 32, testFraction: 0.2, seed: 3 });
    expect(ds.info.classes).toEqual(['cat', 'dog', 'owl']);
    expect(ds.info.kind).toBe('custom');
    expect(ds.info.counts).toEqual({ train: 8 + 4 + 8, test: 2 + 1 + 2 });
    expect(ds.splits.val).toBeUndefined();
    expect(ds.info.notes?.join(' ')).toContain('2 non-image files skipped');
    expect(ds.info.notes?.join(' ')).toContain('1 hidden/system file ignored');
    for (const split of [ds.splits.train, ds.splits.test]) {
      expect(split.images.length).toBe(split.count * 32 * 32 * 3);
      for (let i = 0; i < split.count; i++) {
        const cls = ds.info.classes[split.labels[i]!]!;
        // Solid colour stays solid after resizing: red/green channels identify the class.
        const o = i * 3072 + (17 * 32 + 5) * 3;
        expect(split.images[o]).toBe(COLORS[cls]![0]);
        expect(split.images[o + 1]).toBe(COLORS[cls]![1]);
      }
    }
    // Same seed -> same split; another seed -> (very likely) a different one.
    const again = await importCustomDataset(entries, { decoder: pngDecoder, testFraction: 0.2, seed: 3 });
    expect(Buffer.from(again.splits.test.images).equals(Buffer.from(ds.splits.test.images))).toBe(true);
    const other = await importCustomDataset(entries, { decoder: pngDecoder, testFraction: 0.2, seed: 4 });
    expect(Buffer.from(other.splits.test.images).equals(Buffer.from(ds.splits.test.images))).toBe(false);
  });

  it('optional val fraction and a wrapper folder', () => {
    const entries = [...classFolder('flowers/', 'cat', 20), ...classFolder('flowers/', 'dog', 10)];
    const plan = planCustomDataset(entries, { testFraction: 0.2, valFraction: 0.1, seed: 1 });
    expect(plan.classes).toEqual(['cat', 'dog']);
    const per = (s: 'train' | 'val' | 'test', l: number) => plan.splits[s].filter((x) => x.label === l).length;
    expect([per('train', 0), per('val', 0), per('test', 0)]).toEqual([14, 2, 4]);
    expect([per('train', 1), per('val', 1), per('test', 1)]).toEqual([7, 1, 2]);
    // Every image used exactly once.
    const all = [...plan.splits.train, ...plan.splits.val, ...plan.splits.test].map((x) => x.path);
    expect(new Set(all).size).toBe(30);
  });

  it('train/val/test folders (inside a wrapper) are used as given', async () => {
    const entries = [
      ...classFolder('data/train/', 'cat', 4),
      ...classFolder('data/train/', 'dog', 3),
      ...classFolder('data/val/', 'cat', 1),
      ...classFolder('data/val/', 'dog', 1),
      ...classFolder('data/test/', 'cat', 2),
      ...classFolder('data/test/', 'dog', 2),
    ];
    const ds = await importCustomDataset(entries, { decoder: pngDecoder, imageSize: 40 });
    expect(ds.info.imageSize).toBe(40);
    expect(ds.info.counts).toEqual({ train: 7, test: 4, val: 2 });
    expect(Array.from(ds.splits.train.labels)).toEqual([0, 0, 0, 0, 1, 1, 1]);
    expect(Array.from(ds.splits.test.labels)).toEqual([0, 0, 1, 1]);
    expect(ds.splits.val!.images.length).toBe(2 * 40 * 40 * 3);
  });

  it('imports from a zip', async () => {
    const files: Record<string, Uint8Array> = {};
    for (const e of [...classFolder('pets/', 'cat', 3), ...classFolder('pets/', 'dog', 3)]) files[e.path] = await e.bytes();
    files['pets/LICENSE'] = new TextEncoder().encode('x');
    const entries = entriesFromZip(zipSync(files), 'pets.zip');
    const ds = await importCustomDataset(entries, { decoder: pngDecoder, testFraction: 0.34 });
    expect(ds.info.classes).toEqual(['cat', 'dog']);
    expect(ds.info.counts).toEqual({ train: 4, test: 2 });
    expect(ds.info.notes?.join(' ')).toContain('1 non-image file skipped');
  });

  it('rejects a corrupt zip', async () => {
    const e = await failure(() => entriesFromZip(new Uint8Array([80, 75, 3, 4, 9, 9, 9]), 'bad.zip'));
    expect(e.code).toBe('corrupt-archive');
    expect(e.message).toContain('bad.zip');
  });

  it('reports an empty class by name', async () => {
    const entries = [...classFolder('', 'cat', 3), ...classFolder('', 'dog', 3), entry('owl/readme.txt', new Uint8Array(1))];
    const e = await failure(importCustomDataset(entries, { decoder: pngDecoder }));
    expect(e.code).toBe('empty-class');
    expect(e.message).toContain('owl');
  });

  it('reports an undecodable image by path', async () => {
    const entries = [...classFolder('', 'cat', 3), ...classFolder('', 'dog', 3), entry('dog/broken.png', new Uint8Array([1, 2, 3]))];
    const e = await failure(importCustomDataset(entries, { decoder: pngDecoder }));
    expect(e.code).toBe('undecodable-image');
    expect(e.message).toContain('dog/broken.png');
  });

  it('reports no classes / a single class', async () => {
    const none = await failure(importCustomDataset([entry('a.txt', new Uint8Array(1))], { decoder: pngDecoder }));
    expect(none.code).toBe('bad-input');
    expect(none.message).toContain('No classes found');
    const loose = await failure(importCustomDataset([entry('a.png', png(4, 4, [1, 2, 3]))], { decoder: pngDecoder }));
    expect(loose.message).toContain('No classes found');
    const one = await failure(importCustomDataset(classFolder('', 'cat', 3), { decoder: pngDecoder }));
    expect(one.message).toContain('"cat"');
  });

  it('rejects image sizes outside 32..224', async () => {
    const e = await failure(importCustomDataset(classFolder('', 'cat', 2), { decoder: pngDecoder, imageSize: 16 }));
    expect(e.code).toBe('bad-input');
  });

  it('center-crop keeps the middle, pad letterboxes on black', async () => {
    // 64×32 image: left quarter red, middle half green, right quarter blue.
    const wide = png(64, 32, (x) => (x < 16 ? [255, 0, 0] : x < 48 ? [0, 255, 0] : [0, 0, 255]));
    const entries = [entry('a/w.png', wide), entry('b/w.png', wide)];
    const crop = await importCustomDataset(entries, { decoder: pngDecoder, imageSize: 32, testFraction: 0, resizeMode: 'center-crop' });
    const px = (img: Uint8Array, x: number, y: number) => Array.from(img.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3));
    expect(px(crop.splits.train.images, 0, 0)).toEqual([0, 255, 0]);
    expect(px(crop.splits.train.images, 31, 31)).toEqual([0, 255, 0]);
    const pad = await importCustomDataset(entries, { decoder: pngDecoder, imageSize: 32, testFraction: 0, resizeMode: 'pad' });
    const img = pad.splits.train.images;
    expect(px(img, 16, 0)).toEqual([0, 0, 0]); // top bar
    expect(px(img, 16, 31)).toEqual([0, 0, 0]); // bottom bar
    expect(px(img, 0, 16)).toEqual([255, 0, 0]);
    expect(px(img, 16, 16)).toEqual([0, 255, 0]);
    expect(px(img, 31, 16)).toEqual([0, 0, 255]);
  });

  it('area resampling averages on downscale; transparency becomes black', async () => {
    // 64×64 fine checkerboard of 0/255 -> 32×32 uniform ~128 (each output pixel averages a 2×2 block).
    const checker = png(64, 64, (x, y) => ((x + y) % 2 ? [255, 255, 255] : [0, 0, 0]));
    const clear = png(40, 40, () => [255, 255, 255, 0]);
    const ds = await importCustomDataset([entry('a/c.png', checker), entry('b/t.png', clear)], { decoder: pngDecoder, testFraction: 0 });
    const a = ds.splits.train.images.subarray(0, 3072);
    expect(Math.min(...a)).toBe(128);
    expect(Math.max(...a)).toBe(128);
    const b = ds.splits.train.images.subarray(3072, 6144);
    expect(Math.max(...b)).toBe(0);
  });

  it('bilinear upscale preserves a horizontal ramp monotonically', async () => {
    const ramp = png(8, 8, (x) => [x * 32, 0, 255 - x * 32]);
    const ds = await importCustomDataset([entry('a/r.png', ramp), entry('b/r.png', ramp)], { decoder: pngDecoder, imageSize: 64, testFraction: 0 });
    const row = Array.from({ length: 64 }, (_, x) => ds.splits.train.images[(10 * 64 + x) * 3]!);
    for (let x = 1; x < 64; x++) expect(row[x]!).toBeGreaterThanOrEqual(row[x - 1]!);
    expect(row[0]).toBe(0);
    expect(row[63]).toBe(224);
  });

  it('reports progress and cancels', async () => {
    const entries = [...classFolder('', 'cat', 20), ...classFolder('', 'dog', 20)];
    const ctrl = new AbortController();
    let last = 0;
    const e = await failure(
      importCustomDataset(entries, {
        decoder: pngDecoder,
        signal: ctrl.signal,
        onProgress: (p) => {
          last = p.fraction;
          if (p.fraction > 0.3) ctrl.abort();
        },
      }),
    );
    expect(e.code).toBe('cancelled');
    expect(last).toBeGreaterThan(0.3);
  });
});
