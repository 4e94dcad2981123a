import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBundle, encodeBundle } from '../../../src/engine/deploy/bundle';
import { agreement, DIFFERS_MESSAGE, runBundle } from '../../../src/engine/deploy/run';
import type { DecodedBundle, ModelRunResult, RunError } from '../../../src/engine/deploy/types';
import type { Progress } from '../../../src/engine/progress';
import { expectNoLeak } from '../../helpers/leak';
import { makeBundleInput, makeModel, makeSplit, SIZE } from './fixtures';

const split = makeSplit(24);
let good: tf.LayersModel;
let wrongSize: tf.LayersModel;
let bundle: DecodedBundle;

/** Fake switch: 'cpu' works, 'broken' throws. */
async function fakeSwitch(b: string): Promise<void> {
  if (b === 'broken') throw new Error('backend "broken" exploded');
  await tf.setBackend(b);
}

beforeAll(async () => {
  good = makeModel(3);
  wrongSize = makeModel(4, SIZE * 2); // takes 16×16 images: fails on the bundled 8×8 images
  bundle = decodeBundle(encodeBundle(await makeBundleInput([['good', good], ['wrong-size', wrongSize]], split)));
});
afterAll(() => {
  good.dispose();
  wrongSize.dispose();
});

const ok = (x: ModelRunResult | RunError | undefined): ModelRunResult => {
  if (!x || 'error' in x) throw new Error(`expected a result, got ${JSON.stringify(x)}`);
  return x;
};

describe('runBundle', () => {
  it('reports a failing backend and a failing model as errors and still runs the rest', async () => {
    const progress: Progress[] = [];
    const r = await expectNoLeak(() =>
      runBundle(bundle, { backends: ['broken', 'cpu'], switchBackend: fakeSwitch, throughputBatch: 2, onProgress: (p) => progress.push(p), device: { label: 'test phone', 'gpu.vendor': 'none' } }),
    );
    expect(tf.getBackend()).toBe('cpu');
    expect(r.backends.broken).toEqual({ error: 'backend "broken" exploded' });
    const cpu = r.backends.cpu!;
    if ('error' in cpu) throw new Error('cpu failed');
    const g = ok(cpu.models.good);
    expect(g.latency.runs).toBeGreaterThanOrEqual(2);
    expect(g.latency.medianMs).toBeGreaterThanOrEqual(g.latency.minMs);
    expect(g.latency.p90Ms).toBeGreaterThanOrEqual(g.latency.medianMs);
    expect(g.latency.throughput).toBeGreaterThan(0);
    expect(g.agreement).toBe(1); // same backend as the "desktop"
    expect(g.flag).toBeUndefined();
    expect(g.top1).toBeCloseTo(agreement(bundle.desktopPredictions.good!, bundle.labels), 10);
    expect('error' in cpu.models['wrong-size']!).toBe(true);
    expect(r.models.map((m) => m.id)).toEqual(['good', 'wrong-size']);
    expect(r.bundleId).toBe('bundle-test');
    expect(r.images).toBe(24);
    expect(r.deviceLabel).toBe('test phone');
    expect(r.device['gpu.vendor']).toBe('none');
    expect(r.hiddenDuringRun).toBe(false);
    expect(r.finishedAt).toBeGreaterThanOrEqual(r.startedAt);
    const fr = progress.map((p) => p.fraction);
    expect(fr.at(-1)).toBe(1);
    expect(fr.every((f, i) => i === 0 || f >= fr[i - 1]!)).toBe(true);
  });

  it('flags results that differ from the desktop and records hidden pages', async () => {
    const input = await makeBundleInput([['good', good]], split);
    const pred = Int16Array.from(input.desktopPredictions.good!);
    for (let i = 0; i < 3; i++) pred[i] = (pred[i]! + 1) % 4; // 3/24 differ → agreement 0.875
    const b = decodeBundle(encodeBundle({ ...input, desktopPredictions: { good: pred } }));
    let polls = 0;
    const r = await expectNoLeak(() =>
      runBundle(b, { backends: ['cpu'], switchBackend: fakeSwitch, throughputBatch: 2, hidden: async () => ++polls === 2 }),
    );
    const cpu = r.backends.cpu!;
    if ('error' in cpu) throw new Error('cpu failed');
    const g = ok(cpu.models.good);
    expect(g.agreement).toBeCloseTo(21 / 24, 10);
    expect(g.flag).toBe(DIFFERS_MESSAGE);
    expect(r.hiddenDuringRun).toBe(true);
    expect(r.benchmark).toEqual({ warmup: 1, runs: 2, minTimeMs: 0 });
  });

  it('stops on cancel', async () => {
    const ctl = new AbortController();
    ctl.abort();
    await expectNoLeak(() =>
      expect(runBundle(bundle, { backends: ['cpu'], switchBackend: fakeSwitch, signal: ctl.signal })).rejects.toMatchObject({ code: 'cancelled' }),
    );
  });

  it('agreement counts equal entries', () => {
    expect(agreement([1, 2, 3, 4], [1, 2, 0, 4])).toBe(0.75);
    expect(agreement([], [])).toBe(0);
  });
});
