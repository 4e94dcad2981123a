/**
 * Procedural demo dataset: 10 classes of 32×32 RGB shapes/textures with random colours, position,
 * scale, contrast, background tint and pixel noise. Deterministic for a seed, generated in well under
 * a second, learnable by a small CNN but not trivially (low-contrast, small and noisy samples).
 */
import { StudioError } from '../errors';
import { mulberry32 } from '../random';
import type { Dataset, SplitData } from './types';

export const DEMO_CLASSES = [
  'circle',
  'square',
  'triangle',
  'horizontal stripes',
  'vertical stripes',
  'checkerboard',
  'ring',
  'cross',
  'gradient',
  'dots',
];

export interface DemoOptions {
  trainPerClass?: number;
  testPerClass?: number;
  seed?: number;
}

const S = 32;

/** Coverage 0..1 of class `cls` at offset (dx, dy) from the centre; p = per-image shape parameters. */
function coverage(cls: number, dx: number, dy: number, r: number, a: number, b: number): number {
  const inPatch = Math.abs(dx) <= r && Math.abs(dy) <= r;
  switch (cls) {
    case 0:
      return dx * dx + dy * dy <= r * r ? 1 : 0;
    case 1: {
      const s = r * 0.85;
      return Math.abs(dx) <= s && Math.abs(dy) <= s ? 1 : 0;
    }
    case 2: {
      // Isosceles triangle, apex up (a > 0.5) or down.
      const t = a > 0.5 ? dy : -dy;
      return t >= -r && t <= r * 0.8 && Math.abs(dx) <= ((t + r) / (1.8 * r)) * r ? 1 : 0;
    }
    case 3:
      return inPatch && Math.floor((dy + r) / b) % 2 === 0 ? 1 : 0;
    case 4:
      return inPatch && Math.floor((dx + r) / b) % 2 === 0 ? 1 : 0;
    case 5:
      return inPatch && (Math.floor((dx + r) / b) + Math.floor((dy + r) / b)) % 2 === 0 ? 1 : 0;
    case 6: {
      const d2 = dx * dx + dy * dy;
      const inner = r - Math.max(1.5, r * (0.25 + 0.25 * a));
      return d2 <= r * r && d2 >= inner * inner ? 1 : 0;
    }
    case 7: {
      const t = Math.max(1.2, r * (0.18 + 0.15 * a));
      return (Math.abs(dx) <= t && Math.abs(dy) <= r) || (Math.abs(dy) <= t && Math.abs(dx) <= r) ? 1 : 0;
    }
    case 8: {
      if (!inPatch) return 0;
      // Linear ramp across the patch, direction by a.
      const u = a < 0.33 ? dx : a < 0.66 ? dy : (dx + dy) / 2;
      return (u + r) / (2 * r);
    }
    default: {
      if (!inPatch) return 0;
      const q = b + 1.5;
      const mx = (((dx + r) % q) + q) % q - q / 2;
      const my = (((dy + r) % q) + q) % q - q / 2;
      return mx * mx + my * my <= q * q * 0.09 ? 1 : 0;
    }
  }
}

function generate(count: number, rnd: () => number): SplitData {
  const images = new Uint8Array(count * S * S * 3);
  const labels = new Uint16Array(count);
  const bg = new Float64Array(3);
  const fg = new Float64Array(3);
  const tint = new Float64Array(3);
  const bc = new Float64Array(3);
  const mask = new Float64Array(S * S);
  const px = new Float64Array(3);
  for (let n = 0; n < count; n++) {
    const cls = n % 10;
    labels[n] = cls;
    const contrast = 0.45 + 0.55 * rnd();
    for (let c = 0; c < 3; c++) {
      bg[c] = 255 * rnd();
      // Foreground: a random colour pulled towards/away from the background by `contrast`.
      const other = 255 * rnd();
      fg[c] = bg[c]! + (other - bg[c]!) * contrast;
      tint[c] = (rnd() - 0.5) * 60;
      bc[c] = 255 * rnd();
    }
    // Guarantee some luminance difference so the sample is not invisible.
    const diff = (fg[0]! + fg[1]! + fg[2]! - bg[0]! - bg[1]! - bg[2]!) / 3;
    if (Math.abs(diff) < 40) {
      const push = diff >= 0 ? 40 - diff : -40 - diff;
      for (let c = 0; c < 3; c++) fg[c] = Math.min(255, Math.max(0, fg[c]! + push));
    }
    const r = 6 + 6 * rnd();
    const cx = r + 1 + (S - 2 * r - 2) * rnd();
    const cy = r + 1 + (S - 2 * r - 2) * rnd();
    const a = rnd();
    const b = 2 + Math.floor(3 * rnd());
    const noise = (4 + 28 * rnd()) / 4294967296;
    const tdir = rnd() < 0.5;
    // Distractor: a small blob of another colour in half of the images.
    const hasBlob = rnd() < 0.5;
    const bx = 32 * rnd();
    const by = 32 * rnd();
    const br2 = (1.5 + 2 * rnd()) ** 2;
    // Shape mask only over the shape's bounding box; -1 marks the distractor blob.
    mask.fill(0);
    const y0 = Math.max(0, Math.floor(cy - r - 1));
    const y1 = Math.min(S, Math.ceil(cy + r + 1));
    const x0 = Math.max(0, Math.floor(cx - r - 1));
    const x1 = Math.min(S, Math.ceil(cx + r + 1));
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) mask[y * S + x] = coverage(cls, x + 0.5 - cx, y + 0.5 - cy, r, a, b);
    }
    if (hasBlob) {
      const ya = Math.max(0, Math.floor(by - 4));
      const yb = Math.min(S, Math.ceil(by + 4));
      const xa = Math.max(0, Math.floor(bx - 4));
      const xb = Math.min(S, Math.ceil(bx + 4));
      for (let y = ya; y < yb; y++)
        for (let x = xa; x < xb; x++) if (mask[y * S + x] === 0 && (x - bx) ** 2 + (y - by) ** 2 <= br2) mask[y * S + x] = -1;
    }
    // Per-pixel noise from an inline xorshift32 (much cheaper than a closure call per value).
    let xs = (rnd() * 4294967296) >>> 0 || 1;
    let o = n * S * S * 3;
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++, o += 3) {
        const m = mask[y * S + x]!;
        if (m < 0) {
          px[0] = bc[0]!;
          px[1] = bc[1]!;
          px[2] = bc[2]!;
        } else {
          const g = ((tdir ? x : y) - 16) / 32;
          const k = 1 - m;
          px[0] = (bg[0]! + tint[0]! * g) * k + fg[0]! * m;
          px[1] = (bg[1]! + tint[1]! * g) * k + fg[1]! * m;
          px[2] = (bg[2]! + tint[2]! * g) * k + fg[2]! * m;
        }
        for (let c = 0; c < 3; c++) {
          xs ^= xs << 13;
          xs ^= xs >>> 17;
          xs ^= xs << 5;
          const v = px[c]! + ((xs >>> 0) - 2147483648) * noise;
          images[o + c] = v < 0 ? 0 : v > 255 ? 255 : v;
        }
      }
    }
  }
  return { count, images, labels };
}

/** Deterministic procedural 10-class 32×32 RGB dataset (see module doc). */
export function makeDemoDataset(opts: DemoOptions = {}): Dataset {
  const trainPerClass = opts.trainPerClass ?? 500;
  const testPerClass = opts.testPerClass ?? 100;
  const seed = opts.seed ?? 1;
  for (const [k, v] of [['trainPerClass', trainPerClass], ['testPerClass', testPerClass]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new StudioError('bad-input', `${k} must be a positive integer (got ${v}).`);
  }
  const train = generate(trainPerClass * 10, mulberry32((seed * 2654435761) ^ 0x1234567));
  const test = generate(testPerClass * 10, mulberry32((seed * 2654435761) ^ 0x7654321));
  return {
    info: {
      id: `demo-${seed}-${trainPerClass}-${testPerClass}`,
      name: 'Demo shapes',
      kind: 'demo',
      classes: DEMO_CLASSES.slice(),
      imageSize: S,
      counts: { train: train.count, test: test.count },
      bytes: train.images.length + test.images.length + 2 * (train.count + test.count),
      createdAt: Date.now(),
      notes: ['Procedurally generated shapes and textures (no download needed).'],
    },
    splits: { train, test },
  };
}
