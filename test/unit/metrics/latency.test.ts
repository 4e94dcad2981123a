/** Paired-latency statistics: bootstrap interval on synthetic data with a known ratio, verdicts, the paired timer. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { bootstrapMedianInterval, cpuLoadProbe, measurePair, median, pairRatios, pairVerdict, summarize } from '../../../src/engine/metrics/latency';
import { mulberry32 } from '../../../src/engine/random';

/** Synthetic paired timings: B takes 1/ratio of A's time, both with multiplicative noise and shared load spikes. */
function synthetic(n: number, ratio: number, seed: number): { a: number[]; b: number[] } {
  const rnd = mulberry32(seed);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) {
    const load = rnd() < 0.1 ? 3 : 1; // a busy moment slows both models of the pair
    a.push(10 * load * (1 + 0.2 * (rnd() - 0.5)));
    b.push((10 / ratio) * load * (1 + 0.2 * (rnd() - 0.5)));
  }
  return { a, b };
}

describe('paired latency statistics', () => {
  it('the bootstrap 95 % interval of the median ratio covers a known ratio of 2, and is narrow', () => {
    const { a, b } = synthetic(200, 2, 1);
    const r = pairRatios(a, b);
    const [lo, hi] = bootstrapMedianInterval(r, { seed: 3 });
    expect(lo).toBeLessThan(2);
    expect(hi).toBeGreaterThan(2);
    expect(hi - lo).toBeLessThan(0.15);
    expect(median(r)).toBeCloseTo(2, 1);
    expect(pairVerdict([lo, hi])).toBe('b-faster');
  });

  it('covers the true ratio in about 95 % of repeated experiments', () => {
    let covered = 0;
    const trials = 100;
    for (let t = 0; t < trials; t++) {
      const { a, b } = synthetic(60, 1.5, 100 + t);
      const [lo, hi] = bootstrapMedianInterval(pairRatios(a, b), { seed: t, resamples: 500 });
      if (lo <= 1.5 && hi >= 1.5) covered++;
    }
    expect(covered).toBeGreaterThanOrEqual(88);
    expect(covered).toBeLessThanOrEqual(100);
  });

  it('equal models: the interval crosses 1 and says so; A faster is recognised', () => {
    const { a, b } = synthetic(100, 1, 7);
    const iv = bootstrapMedianInterval(pairRatios(a, b));
    expect(iv[0]).toBeLessThan(1);
    expect(iv[1]).toBeGreaterThan(1);
    expect(pairVerdict(iv)).toBe('no measurable difference');
    expect(pairVerdict(bootstrapMedianInterval(pairRatios(synthetic(100, 0.5, 8).a, synthetic(100, 0.5, 8).b)))).toBe('a-faster');
    expect(() => pairRatios([1], [1, 2])).toThrow(/differ in length/);
    expect(summarize([3, 1, 2])).toMatchObject({ medianMs: 2, minMs: 1, meanMs: 2, runs: 3 });
    const load = cpuLoadProbe(3, 10_000);
    expect(load.contention).toBeGreaterThanOrEqual(1);
  });

  it('measurePair times two real models interleaved and leaves no tensors', async () => {
    const mk = (filters: number) => {
      const i = tf.input({ shape: [16, 16, 3] });
      const c = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(i) as tf.SymbolicTensor;
      return tf.model({ inputs: i, outputs: tf.layers.globalAveragePooling2d({}).apply(c) as tf.SymbolicTensor });
    };
    const big = mk(64);
    const small = mk(4);
    const before = tf.memory().numTensors;
    const r = await measurePair(big, small, { warmup: 1, pairs: 6, minTimeMs: 0 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.pairs).toBeGreaterThanOrEqual(6);
    expect(r.a.runs).toBe(r.pairs);
    expect(r.ratio.low).toBeLessThanOrEqual(r.ratio.median);
    expect(r.ratio.high).toBeGreaterThanOrEqual(r.ratio.median);
    expect(r.load.before.probeMs).toBeGreaterThan(0);
    const other = tf.sequential({ layers: [tf.layers.dense({ inputShape: [5], units: 2 })] });
    await expect(measurePair(big, other)).rejects.toMatchObject({ code: 'shape-mismatch' });
    for (const m of [big, small, other]) m.dispose();
  });
});
