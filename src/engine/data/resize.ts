/**
 * Resizing decoded RGBA images to a square RGB uint8 tile: 'center-crop' (central square of the
 * shorter side) or 'pad' (whole image, aspect kept, centred on black). Separable resampling: area
 * averaging (box filter with fractional coverage) on axes that shrink, bilinear (pixel-centre
 * aligned, edge-clamped) on axes that grow or stay. Alpha is composited over black.
 */
import { StudioError } from '../errors';

export type ResizeMode = 'center-crop' | 'pad';

interface AxisWeights {
  /** For output o: taps start[o] .. start[o]+count[o]-1 in `index`/`weight`. */
  start: Int32Array;
  count: Int32Array;
  index: Int32Array;
  weight: Float32Array;
}

/** Weights mapping source positions [srcStart, srcStart+srcLen) onto dstLen outputs. */
function axisWeights(srcStart: number, srcLen: number, dstLen: number): AxisWeights {
  const scale = srcLen / dstLen;
  const maxTaps = scale > 1 ? Math.ceil(scale) + 2 : 2;
  const start = new Int32Array(dstLen);
  const count = new Int32Array(dstLen);
  const index = new Int32Array(dstLen * maxTaps);
  const weight = new Float32Array(dstLen * maxTaps);
  let k = 0;
  for (let o = 0; o < dstLen; o++) {
    start[o] = k;
    if (scale > 1) {
      const a = o * scale;
      const b = Math.min(srcLen, (o + 1) * scale);
      for (let i = Math.floor(a); i < Math.ceil(b); i++) {
        const cover = Math.min(b, i + 1) - Math.max(a, i);
        if (cover <= 1e-9) continue;
        index[k] = srcStart + i;
        weight[k] = cover / scale;
        k++;
      }
    } else {
      const c = (o + 0.5) * scale - 0.5;
      let i0 = Math.floor(c);
      let f = c - i0;
      if (i0 < 0) {
        i0 = 0;
        f = 0;
      }
      if (i0 >= srcLen - 1) {
        i0 = srcLen - 1;
        f = 0;
      }
      index[k] = srcStart + i0;
      weight[k] = 1 - f;
      k++;
      if (f > 0) {
        index[k] = srcStart + i0 + 1;
        weight[k] = f;
        k++;
      }
    }
    count[o] = k - start[o]!;
  }
  return { start, count, index, weight };
}

/**
 * Resizes `rgba` (width×height×4, row-major) into a size×size×3 RGB tile written at `out[offset..]`.
 */
export function resizeToSquare(
  rgba: Uint8ClampedArray | Uint8Array,
  width: number,
  height: number,
  size: number,
  mode: ResizeMode,
  out: Uint8Array,
  offset = 0,
): void {
  if (!(width > 0 && height > 0) || rgba.length !== width * height * 4) {
    throw new StudioError('bad-input', `Image data is ${rgba.length} bytes, expected ${width}×${height}×4.`);
  }
  let sx = 0;
  let sy = 0;
  let sw = width;
  let sh = height;
  let dx = 0;
  let dy = 0;
  let dw = size;
  let dh = size;
  if (mode === 'center-crop') {
    const m = Math.min(width, height);
    sx = Math.floor((width - m) / 2);
    sy = Math.floor((height - m) / 2);
    sw = m;
    sh = m;
  } else {
    const s = size / Math.max(width, height);
    dw = Math.max(1, Math.min(size, Math.round(width * s)));
    dh = Math.max(1, Math.min(size, Math.round(height * s)));
    dx = Math.floor((size - dw) / 2);
    dy = Math.floor((size - dh) / 2);
    out.fill(0, offset, offset + size * size * 3);
  }
  const wx = axisWeights(sx, sw, dw);
  const wy = axisWeights(sy, sh, dh);
  // Horizontal pass over the needed source rows -> tmp (sh × dw × 3), premultiplied by alpha.
  const tmp = new Float32Array(sh * dw * 3);
  for (let y = 0; y < sh; y++) {
    const row = (sy + y) * width * 4;
    for (let o = 0; o < dw; o++) {
      let r = 0;
      let g = 0;
      let b = 0;
      const s0 = wx.start[o]!;
      const s1 = s0 + wx.count[o]!;
      for (let k = s0; k < s1; k++) {
        const p = row + wx.index[k]! * 4;
        const w = (wx.weight[k]! * rgba[p + 3]!) / 255;
        r += rgba[p]! * w;
        g += rgba[p + 1]! * w;
        b += rgba[p + 2]! * w;
      }
      const t = (y * dw + o) * 3;
      tmp[t] = r;
      tmp[t + 1] = g;
      tmp[t + 2] = b;
    }
  }
  // Vertical pass -> out.
  for (let o = 0; o < dh; o++) {
    const s0 = wy.start[o]!;
    const s1 = s0 + wy.count[o]!;
    const orow = offset + ((dy + o) * size + dx) * 3;
    for (let x = 0; x < dw; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = s0; k < s1; k++) {
        const t = ((wy.index[k]! - sy) * dw + x) * 3;
        const w = wy.weight[k]!;
        r += tmp[t]! * w;
        g += tmp[t + 1]! * w;
        b += tmp[t + 2]! * w;
      }
      const q = orow + x * 3;
      out[q] = Math.min(255, Math.max(0, Math.round(r)));
      out[q + 1] = Math.min(255, Math.max(0, Math.round(g)));
      out[q + 2] = Math.min(255, Math.max(0, Math.round(b)));
    }
  }
}
