/**
 * SIMD-friendly channel widths: how fast the active backend runs convolutions whose channel counts are multiples of
 * 1, 4 or 8. WASM's XNNPACK works on 4 (SSE/NEON-width SIMD) or 8 floats at a time, so a width of 13 may cost as much
 * as 16. For each candidate rounding r, a batch-1 3x3 conv (cin = cout = w rounded up to a multiple of r, 16x16 map)
 * is timed over a spread of widths; the score is time per MAC. At a fixed MACs budget (the planner still meets the
 * target when rounding), the rounding with the best time per MAC gives the fastest model. A rounding must beat
 * r = 1 by a clear margin (3 %) to be chosen, so noise does not pick one.
 */
import * as tf from '@tensorflow/tfjs';
import { throwIfAborted } from '../errors';
import { nextTick, type JobOptions } from '../progress';
import { quantile } from './latency';

export const ROUND_CANDIDATES = [1, 4, 8] as const;
/** Widths the probe spreads over (pruned widths of CIFAR ResNets / VGG fall in this range). */
const PROBE_WIDTHS = [9, 13, 19, 27, 37, 45, 59];
const SPATIAL = 16;
const MARGIN = 0.03;

export interface RoundToChoice {
  roundTo: number;
  backend: string;
  /** Measured nanoseconds per MAC per candidate rounding. */
  nsPerMac: Record<number, number>;
  reason: string;
}

export const roundUp = (w: number, r: number): number => Math.ceil(w / r) * r;

/** One batch-1 3x3 'same' conv + bias + relu with `w` input and output channels, ready to time on the active backend. */
function convCase(w: number): { run: () => Promise<number>; dispose: () => void } {
  const x = tf.randomUniform([1, SPATIAL, SPATIAL, w], -1, 1, 'float32', w) as tf.Tensor4D;
  const k = tf.randomNormal([3, 3, w, w], 0, 0.1, 'float32', w + 1) as tf.Tensor4D;
  const b = tf.zeros([w]);
  return {
    run: async () => {
      const t0 = performance.now();
      const y = tf.fused.conv2d({ x, filter: k, strides: 1, pad: 'same', bias: b, activation: 'relu' });
      await y.data();
      y.dispose();
      return performance.now() - t0;
    },
    dispose: () => tf.dispose([x, k, b]),
  };
}

/** Picks a rounding from measured ns/MAC (pure): the fastest per MAC, if it beats r = 1 by the margin. */
export function pickRoundTo(nsPerMac: Record<number, number>, backend: string): RoundToChoice {
  const base = nsPerMac[1] ?? Infinity;
  let best = 1;
  for (const r of ROUND_CANDIDATES) if ((nsPerMac[r] ?? Infinity) < (nsPerMac[best] ?? Infinity)) best = r;
  if (best !== 1 && !(nsPerMac[best]! < base * (1 - MARGIN))) best = 1;
  const list = ROUND_CANDIDATES.filter((r) => nsPerMac[r] !== undefined).map((r) => `×${r}: ${(nsPerMac[r]! * 1000).toFixed(1)} ps/MAC`).join(', ');
  const gain = best === 1 ? '' : ` (${((1 - nsPerMac[best]! / base) * 100).toFixed(0)} % less time per MAC than arbitrary widths)`;
  return { roundTo: best, backend, nsPerMac, reason: `${backend}: channel counts rounded to multiples of ${best} run fastest per MAC${gain}; measured ${list}` };
}

/**
 * Measures ns/MAC for each candidate rounding on the active backend and picks one. The widths are timed round-robin
 * (one run of each per round, `rounds` rounds after two warm-up rounds), so load drift hits all widths alike;
 * about 0.3 s on WASM.
 */
export async function measureRoundTo(opts: JobOptions & { rounds?: number } = {}): Promise<RoundToChoice> {
  const rounds = opts.rounds ?? 12;
  const widths = [...new Set(ROUND_CANDIDATES.flatMap((r) => PROBE_WIDTHS.map((w) => roundUp(w, r))))].sort((a, b) => a - b);
  const cases = widths.map(convCase);
  const times = widths.map(() => [] as number[]);
  try {
    for (let r = 0; r < rounds + 2; r++) {
      throwIfAborted(opts.signal);
      for (const [i, c] of cases.entries()) {
        const t = await c.run();
        if (r >= 2) times[i]!.push(t);
      }
      opts.onProgress?.({ phase: 'width speed', fraction: (r + 1) / (rounds + 2), message: `round ${r + 1}` });
      await nextTick();
    }
  } finally {
    cases.forEach((c) => c.dispose());
  }
  const ms = new Map(widths.map((w, i) => [w, quantile(times[i]!.sort((p, q) => p - q), 0.5)]));
  const nsPerMac: Record<number, number> = {};
  for (const r of ROUND_CANDIDATES) {
    let t = 0;
    let macs = 0;
    for (const w of PROBE_WIDTHS) {
      const ww = roundUp(w, r);
      t += ms.get(ww)!;
      macs += SPATIAL * SPATIAL * 9 * ww * ww;
    }
    nsPerMac[r] = (t * 1e6) / macs;
  }
  return pickRoundTo(nsPerMac, tf.getBackend());
}
