import { describe, expect, it } from 'vitest';
import { DEMO_CLASSES, makeDemoDataset } from '../../../src/engine/data/demo';

describe('demo dataset', () => {
  it('is deterministic per seed, balanced, 32×32 RGB with human-readable names', () => {
    const a = makeDemoDataset({ trainPerClass: 20, testPerClass: 5, seed: 4 });
    const b = makeDemoDataset({ trainPerClass: 20, testPerClass: 5, seed: 4 });
    const c = makeDemoDataset({ trainPerClass: 20, testPerClass: 5, seed: 5 });
    expect(a.info.classes).toEqual(DEMO_CLASSES);
    expect(a.info.classes.every((n) => /^[a-z ]+$/.test(n))).toBe(true);
    expect(a.info.kind).toBe('demo');
    expect(a.info.imageSize).toBe(32);
    expect(a.info.counts).toEqual({ train: 200, test: 50 });
    expect(a.splits.train.images.length).toBe(200 * 3072);
    expect(Buffer.from(a.splits.train.images).equals(Buffer.from(b.splits.train.images))).toBe(true);
    expect(Buffer.from(a.splits.train.images).equals(Buffer.from(c.splits.train.images))).toBe(false);
    expect(Buffer.from(a.splits.test.images).equals(Buffer.from(a.splits.train.images.subarray(0, 50 * 3072)))).toBe(false);
    for (const s of [a.splits.train, a.splits.test]) {
      const per = new Array<number>(10).fill(0);
      for (const l of s.labels) per[l]!++;
      expect(per).toEqual(new Array(10).fill(s.count / 10));
    }
  });

  it('default size is 5000/1000 and images have structure (not flat, not pure noise)', () => {
    const d = makeDemoDataset();
    expect(d.info.counts).toEqual({ train: 5000, test: 1000 });
    // Per-image pixel spread: every image has some contrast.
    const img = d.splits.train.images;
    for (let i = 0; i < 100; i++) {
      let min = 255;
      let max = 0;
      for (let p = 0; p < 3072; p++) {
        const v = img[i * 3072 + p]!;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      expect(max - min).toBeGreaterThan(20);
    }
    // Class means differ: stripes/checker images differ from circles in horizontal-gradient energy.
    const energy = (cls: number, horizontal: boolean) => {
      let e = 0;
      let n = 0;
      for (let i = cls; i < 2000; i += 10) {
        for (let y = 1; y < 31; y++)
          for (let x = 1; x < 31; x++) {
            const p = i * 3072 + (y * 32 + x) * 3;
            const q = horizontal ? p + 3 : p + 96;
            e += Math.abs(img[p]! - img[q]!);
            n++;
          }
      }
      return e / n;
    };
    // Horizontal stripes vary along y much more than along x; vertical stripes the reverse.
    expect(energy(3, false)).toBeGreaterThan(energy(3, true) * 1.2);
    expect(energy(4, true)).toBeGreaterThan(energy(4, false) * 1.2);
  });

  it('rejects bad counts', () => {
    expect(() => makeDemoDataset({ trainPerClass: 0 })).toThrow(/trainPerClass/);
  });
});
