/**
 * Progress on every job: the job wrapper names the backend and fills an ETA where the operation gave none (restarting
 * when a new pass sets the fraction back); evaluation's adaptive batches cover the range exactly, start small and
 * stay small when each image is slow (so progress moves and a cancel is answered between batches).
 */
import { describe, expect, it } from 'vitest';
import { jobProgress, type Progress } from '../../../src/engine/progress';
import { adaptiveBatches } from '../../../src/engine/metrics/evaluate';
import { RAW_INPUT } from '../../../src/engine/models/types';
import type { SplitData } from '../../../src/engine/data/types';
import * as tf from '@tensorflow/tfjs';

describe('jobProgress', () => {
  it('adds the backend and an ETA from elapsed time, restarting when the fraction goes back', () => {
    let t = 0;
    const seen: Progress[] = [];
    const on = jobProgress((p) => seen.push(p), { backend: () => 'wasm', now: () => t });
    on({ phase: 'evaluate', fraction: 0 });
    t = 1000;
    on({ phase: 'evaluate', fraction: 0.25 });
    expect(seen[0]).toEqual({ phase: 'evaluate', fraction: 0, backend: 'wasm' });
    expect(seen[1]!.etaMs).toBeCloseTo(3000);
    t = 1200;
    on({ phase: 'evaluating', fraction: 0.1, etaMs: 77 }); // the operation's own ETA wins
    expect(seen[2]!.etaMs).toBe(77);
    t = 2200;
    on({ phase: 'evaluating', fraction: 0.6 }); // since the restart at 0.1 (t=1200): 0.5 in 1 s
    expect(seen[3]!.etaMs).toBeCloseTo(800);
    on({ phase: 'evaluating', fraction: 1 });
    expect(seen[4]!.etaMs).toBeUndefined();
    const noBackend = jobProgress((p) => seen.push(p), { now: () => t });
    noBackend({ phase: 'x', fraction: 0.5, backend: 'webgl' });
    expect(seen[5]!.backend).toBe('webgl');
  });
});

describe('adaptiveBatches', () => {
  const split = (n: number): SplitData => ({ count: n, images: new Uint8Array(n * 4 * 4 * 3), labels: new Uint16Array(n) });
  it('covers [start, end) exactly with power-of-two batches that grow on a fast consumer', async () => {
    const sizes: number[] = [];
    for await (const b of adaptiveBatches(split(300), 4, RAW_INPUT, 10, 290, 400)) {
      sizes.push(b.xs.shape[0]);
      tf.dispose([b.xs, b.ys]);
    }
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(280);
    expect(sizes[0]).toBe(4);
    expect(Math.max(...sizes)).toBe(64);
    expect(tf.memory().numTensors).toBe(0);
  });
  it('stays at one image a batch when each image takes longer than the target', async () => {
    const sizes: number[] = [];
    for await (const b of adaptiveBatches(split(20), 4, RAW_INPUT, 0, 12, 5)) {
      sizes.push(b.xs.shape[0]);
      tf.dispose([b.xs, b.ys]);
      await new Promise((r) => setTimeout(r, 8 * b.xs.shape[0])); // a slow backend: 8 ms per image
    }
    expect(sizes[0]).toBe(4);
    expect(sizes.slice(1).every((s) => s === 1)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(12);
  });
});
