/** SIMD-friendly widths: the pick from measured ns/MAC, the measurement itself, and plan(roundTo: 'auto'). */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/api/worker/context';
import { saveModel } from '../../../src/api/worker/models';
import { analyze, plan } from '../../../src/api/worker/pruning';
import { measureRoundTo, pickRoundTo, roundUp } from '../../../src/engine/metrics/width-speed';
import { createZooModel } from '../../../src/engine/models/zoo/index';
import { memoryKeyValue } from '../../../src/engine/storage/kv';

describe('roundTo by measurement', () => {
  it('picks the fastest rounding per MAC only when it clearly beats arbitrary widths', () => {
    expect(pickRoundTo({ 1: 0.08, 4: 0.07, 8: 0.06 }, 'wasm')).toMatchObject({ roundTo: 8, reason: expect.stringMatching(/multiples of 8 .*25 % less time per MAC/) });
    expect(pickRoundTo({ 1: 0.08, 4: 0.06, 8: 0.065 }, 'wasm').roundTo).toBe(4);
    expect(pickRoundTo({ 1: 0.08, 4: 0.079, 8: 0.0795 }, 'cpu').roundTo).toBe(1); // within the 3 % margin: noise
    expect(roundUp(13, 8)).toBe(16);
  });

  it('measures on the active backend without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const c = await measureRoundTo({ rounds: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect([1, 4, 8]).toContain(c.roundTo);
    for (const r of [1, 4, 8]) expect(c.nsPerMac[r]).toBeGreaterThan(0);
  });

  it("plan with roundTo 'auto' keeps multiples of the measured rounding, meets the target and states the cost", async () => {
    const ctx = createContext(memoryKeyValue());
    const m = await saveModel(ctx, createZooModel('resnet20', { numClasses: 10, inputSize: 32, seed: 1 }), { name: 'r20' });
    const a = await analyze(ctx, m.id, null, { criterion: 'l1' }, {});
    const p = await plan(ctx, m.id, a, { target: { macs: 0.5 }, roundTo: 'auto' });
    const r = p.rounding!;
    expect([1, 4, 8]).toContain(r.roundTo);
    expect(p.macs).toBeLessThanOrEqual(p.baseMacs * 0.5);
    expect(r.unroundedMacs).toBeLessThanOrEqual(p.baseMacs * 0.5);
    expect(r.summary).toMatch(r.roundTo === 1 ? /No rounding/ : new RegExp(`multiples of ${r.roundTo} .*MACs vs the unrounded plan`));
    for (const keep of Object.values(p.keep)) expect(keep.length % r.roundTo).toBe(0);
    const plain = await plan(ctx, m.id, a, { target: { macs: 0.5 } });
    expect(plain.rounding).toBeUndefined();
  });
});
