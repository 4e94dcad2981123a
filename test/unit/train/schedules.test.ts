import { describe, expect, it } from 'vitest';
import { learningRateAt, validateSchedule } from '../../../src/engine/train/schedules';
import { isKernelName } from '../../../src/engine/train/loop';

describe('learning-rate schedules', () => {
  it('constant and step', () => {
    expect(learningRateAt({ lr: 0.1, epochs: 10 }, 7.3)).toBe(0.1);
    const s = { lr: 0.1, epochs: 6, schedule: 'step' as const, stepEvery: 2, stepGamma: 0.1 };
    expect(learningRateAt(s, 0)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(s, 1.99)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(s, 2)).toBeCloseTo(0.01, 12);
    expect(learningRateAt(s, 4.5)).toBeCloseTo(0.001, 12);
    // default: every ceil(epochs/3) epochs, gamma 0.1
    expect(learningRateAt({ lr: 1, epochs: 9, schedule: 'step' }, 3)).toBeCloseTo(0.1, 12);
  });
  it('cosine with and without warm-up', () => {
    const c = { lr: 0.1, epochs: 10, schedule: 'cosine' as const };
    expect(learningRateAt(c, 0)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(c, 5)).toBeCloseTo(0.05, 12);
    expect(learningRateAt(c, 10)).toBeCloseTo(0, 12);
    const w = { ...c, warmupEpochs: 2 };
    expect(learningRateAt(w, 0)).toBeCloseTo(0.01, 12);
    expect(learningRateAt(w, 1)).toBeCloseTo(0.055, 12);
    expect(learningRateAt(w, 2)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(w, 6)).toBeCloseTo(0.05, 12);
  });
  it('one-cycle', () => {
    const o = { lr: 0.1, epochs: 10, schedule: 'onecycle' as const };
    expect(learningRateAt(o, 0)).toBeCloseTo(0.004, 12);
    expect(learningRateAt(o, 1.5)).toBeCloseTo((0.004 + 0.1) / 2, 12);
    expect(learningRateAt(o, 3)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(o, 6.5)).toBeCloseTo((0.1 + 4e-7) / 2, 12);
    expect(learningRateAt(o, 10)).toBeCloseTo(4e-7, 12);
  });
  it('rejects bad values naming the field', () => {
    expect(() => validateSchedule({ lr: 0, epochs: 1 })).toThrow(/Learning rate/);
    expect(() => validateSchedule({ lr: 0.1, epochs: 0 })).toThrow(/Epochs/);
    expect(() => validateSchedule({ lr: 0.1, epochs: 2, warmupEpochs: 3 })).toThrow(/Warm-up/);
  });
});

describe('weight decay targets', () => {
  it('kernels only, also with uniqueness suffixes', () => {
    for (const n of ['conv0/kernel', 'conv0/kernel_1', 'dw/depthwise_kernel', 'sep/pointwise_kernel', 'dense/kernel']) expect(isKernelName(n)).toBe(true);
    for (const n of ['conv0/bias', 'bn/gamma', 'bn/beta', 'bn/moving_mean', 'dense/bias_1']) expect(isKernelName(n)).toBe(false);
  });
});
