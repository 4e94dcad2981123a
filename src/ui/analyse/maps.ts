/** Converts one feature map (floats) to grayscale RGBA bytes, min..max → 0..255 (constant maps → mid gray). */
export function mapToRgba(map: Float32Array): Uint8ClampedArray {
  let min = Infinity;
  let max = -Infinity;
  for (const v of map) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = max - min;
  const out = new Uint8ClampedArray(map.length * 4);
  for (let i = 0; i < map.length; i++) {
    const g = range > 0 ? ((map[i]! - min) / range) * 255 : 128;
    out[i * 4] = g;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = g;
    out[i * 4 + 3] = 255;
  }
  return out;
}
