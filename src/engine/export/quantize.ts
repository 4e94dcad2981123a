/** Weight encodings for the exports: IEEE half floats, and symmetric per-channel int8. */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE 754 binary16 bits, round to nearest even (overflow → ±Inf, NaN kept). */
export function toHalfBits(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

export function toFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toHalfBits(values[i]!);
  return out;
}

/**
 * Symmetric int8 per channel along `axis` of `shape` (scale = max|w| / 127, zero point 0), as TFLite's dynamic-range
 * quantisation stores conv/dense weights. A channel of zeros gets scale 1.
 */
export function quantizeInt8PerChannel(values: Float32Array, shape: number[], axis: number): { data: Int8Array; scales: Float32Array } {
  const channels = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const maxAbs = new Float32Array(channels);
  for (let i = 0; i < values.length; i++) {
    const c = Math.floor(i / inner) % channels;
    const a = Math.abs(values[i]!);
    if (a > maxAbs[c]!) maxAbs[c] = a;
  }
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) scales[c] = maxAbs[c]! > 0 ? maxAbs[c]! / 127 : 1;
  const data = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const c = Math.floor(i / inner) % channels;
    data[i] = Math.max(-127, Math.min(127, Math.round(values[i]! / scales[c]!)));
  }
  return { data, scales };
}
