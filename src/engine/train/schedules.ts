/**
 * Learning-rate schedules as pure functions of training progress (fractional epoch).
 * The trainer sets the optimizer's learning rate before every step from `learningRateAt`,
 * so a resumed run lands on exactly the same schedule position as an uninterrupted one.
 */
import { StudioError } from '../errors';

export type ScheduleName = 'constant' | 'step' | 'cosine' | 'onecycle';

export interface ScheduleOptions {
  /** Peak (base) learning rate. */
  lr: number;
  epochs: number;
  schedule?: ScheduleName;
  /** Linear warm-up from lr/10 to lr over this many epochs (ignored by 'onecycle', which has its own). */
  warmupEpochs?: number;
  /** 'step': multiply by `stepGamma` every `stepEvery` epochs (defaults: epochs/3 rounded up, 0.1). */
  stepEvery?: number;
  stepGamma?: number;
}

/** One-cycle constants (PyTorch OneCycleLR defaults). */
export const ONECYCLE = { pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4 } as const;

/** Warm-up starts at this fraction of the base learning rate. */
export const WARMUP_START_FACTOR = 0.1;

function cosineAnneal(from: number, to: number, t: number): number {
  return to + ((from - to) * (1 + Math.cos(Math.PI * Math.min(1, Math.max(0, t))))) / 2;
}

/** Checks schedule options, throwing a `bad-input` StudioError naming the bad field. */
export function validateSchedule(o: ScheduleOptions): void {
  if (!(o.lr > 0) || !Number.isFinite(o.lr)) throw new StudioError('bad-input', `Learning rate must be a positive number (got ${o.lr}).`);
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new StudioError('bad-input', `Epochs must be a whole number ≥ 1 (got ${o.epochs}).`);
  const w = o.warmupEpochs ?? 0;
  if (!(w >= 0) || w > o.epochs)
    throw new StudioError('bad-input', `Warm-up epochs must be between 0 and the number of epochs (got ${w}).`);
  if (o.stepEvery !== undefined && !(o.stepEvery > 0)) throw new StudioError('bad-input', `stepEvery must be > 0 (got ${o.stepEvery}).`);
  if (o.stepGamma !== undefined && !(o.stepGamma > 0)) throw new StudioError('bad-input', `stepGamma must be > 0 (got ${o.stepGamma}).`);
}

/**
 * Learning rate at fractional epoch `e` (0 ≤ e ≤ epochs; e = epoch + batch/batchesPerEpoch).
 * - constant: lr
 * - step:     lr · gamma^floor(e / stepEvery)
 * - cosine:   lr·(1 + cos(π·(e−w)/(epochs−w)))/2 after warm-up w (anneals to 0, as SGDR/PyTorch with eta_min 0)
 * - onecycle: cosine ramp lr/25 → lr over the first 30 %, then cosine lr → lr/(25·10⁴)
 * Warm-up (all but onecycle): linear lr·0.1 → lr over `warmupEpochs`.
 */
export function learningRateAt(o: ScheduleOptions, e: number): number {
  const { lr, epochs } = o;
  const kind = o.schedule ?? 'constant';
  if (kind === 'onecycle') {
    const t = Math.min(1, Math.max(0, e / epochs));
    const initial = lr / ONECYCLE.divFactor;
    const final = initial / ONECYCLE.finalDivFactor;
    if (t <= ONECYCLE.pctStart) return cosineAnneal(initial, lr, t / ONECYCLE.pctStart);
    return cosineAnneal(lr, final, (t - ONECYCLE.pctStart) / (1 - ONECYCLE.pctStart));
  }
  const w = Math.min(o.warmupEpochs ?? 0, epochs);
  if (w > 0 && e < w) return lr * (WARMUP_START_FACTOR + (1 - WARMUP_START_FACTOR) * (e / w));
  switch (kind) {
    case 'constant':
      return lr;
    case 'step': {
      const every = o.stepEvery ?? Math.max(1, Math.ceil(epochs / 3));
      const gamma = o.stepGamma ?? 0.1;
      return lr * Math.pow(gamma, Math.floor((e + 1e-9) / every));
    }
    case 'cosine': {
      const span = epochs - w;
      const t = span > 0 ? (e - w) / span : 1;
      return cosineAnneal(lr, 0, t);
    }
  }
}
