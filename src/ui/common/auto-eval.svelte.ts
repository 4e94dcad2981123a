/**
 * The auto-evaluation setting: after train, fine-tune, prune and reconstruct the engine evaluates the new version on
 * the first N test images (studio option `evaluate`), so every row of Compare has its top-1. Kept in localStorage
 * (`pruning-studio.autoEvalImages`); 0 = off.
 */
const KEY = 'pruning-studio.autoEvalImages';
export const DEFAULT_AUTO_EVAL_IMAGES = 1000;

function read(): number {
  try {
    const v = Number(localStorage.getItem(KEY));
    return localStorage.getItem(KEY) !== null && Number.isInteger(v) && v >= 0 ? v : DEFAULT_AUTO_EVAL_IMAGES;
  } catch {
    return DEFAULT_AUTO_EVAL_IMAGES;
  }
}

class AutoEval {
  images = $state(read());

  set(n: number): void {
    this.images = Number.isFinite(n) && n > 0 ? Math.round(n) : 0;
    try { localStorage.setItem(KEY, String(this.images)); } catch { /* storage unavailable */ }
  }

  /** The `evaluate` option for a studio call. */
  get option(): number | false {
    return this.images > 0 ? this.images : false;
  }
}

export const autoEval = new AutoEval();
