/**
 * Combining the per-layer score vectors of a coupled channel group (several producers or
 * capture points, e.g. a residual stage): one layer → its raw scores; several layers → each
 * vector divided by its own maximum (so every layer contributes on a 0..1 scale whatever its
 * magnitude), then summed. A vector whose maximum is 0 contributes 0.
 */
export function combineLayerScores(perLayer: Float64Array[], channels: number): number[] {
  if (perLayer.length === 0) return new Array<number>(channels).fill(0);
  if (perLayer.length === 1) return Array.from(perLayer[0]!);
  const out = new Array<number>(channels).fill(0);
  for (const v of perLayer) {
    let max = 0;
    for (const x of v) if (x > max) max = x;
    if (max <= 0) continue;
    for (let j = 0; j < channels; j++) out[j] = out[j]! + v[j]! / max;
  }
  return out;
}
