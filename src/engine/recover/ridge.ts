/**
 * Ridge least squares from accumulated normal equations, in float64:
 *   W = argmin ||X W − Z||² + λ ||W||²  =  (G + λ I)⁻¹ B,   G = XᵀX (d × d), B = XᵀZ (d × m).
 * λ = ridge · mean(diag G) (relative, so the same setting suits every layer's scale); the intercept row, when
 * present, is not penalised. Solved by a Cholesky factorisation G + λI = L Lᵀ and two triangular solves per column.
 * If the factorisation meets a non-positive pivot (G singular to working precision), λ grows tenfold and the
 * solve is retried; the λ actually used is returned.
 */
import { StudioError } from '../errors';

export interface RidgeSolution {
  /** d × m, row-major. */
  w: Float64Array;
  /** Absolute λ used. */
  lambda: number;
  /** λ relative to mean(diag G). */
  relativeLambda: number;
}

/** In-place lower Cholesky factor of the d × d row-major SPD matrix `a` (upper part left as is); false on a non-positive pivot. */
export function cholesky(a: Float64Array, d: number): boolean {
  for (let j = 0; j < d; j++) {
    const rj = j * d;
    let s = a[rj + j]!;
    for (let k = 0; k < j; k++) s -= a[rj + k]! * a[rj + k]!;
    if (!(s > 0)) return false;
    const ljj = Math.sqrt(s);
    a[rj + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      const ri = i * d;
      let t = a[ri + j]!;
      for (let k = 0; k < j; k++) t -= a[ri + k]! * a[rj + k]!;
      a[ri + j] = t / ljj;
    }
  }
  return true;
}

/**
 * Solves L Lᵀ X = B in place for the d × m row-major `b` (all columns at once), with L from cholesky(). Row-oriented
 * forward and backward substitution: every inner loop runs over a contiguous row.
 */
export function choleskySolve(l: Float64Array, d: number, b: Float64Array, m: number): void {
  // forward: L Y = B
  for (let i = 0; i < d; i++) {
    const ri = i * d;
    const yi = i * m;
    for (let k = 0; k < i; k++) {
      const f = l[ri + k]!;
      if (f === 0) continue;
      const yk = k * m;
      for (let c = 0; c < m; c++) b[yi + c]! -= f * b[yk + c]!;
    }
    const inv = 1 / l[ri + i]!;
    for (let c = 0; c < m; c++) b[yi + c]! *= inv;
  }
  // backward: Lᵀ X = Y, by rows of L: once x_i is known, subtract L[i][k]·x_i from every y_k with k < i
  for (let i = d - 1; i >= 0; i--) {
    const ri = i * d;
    const xi = i * m;
    const inv = 1 / l[ri + i]!;
    for (let c = 0; c < m; c++) b[xi + c]! *= inv;
    for (let k = 0; k < i; k++) {
      const f = l[ri + k]!;
      if (f === 0) continue;
      const yk = k * m;
      for (let c = 0; c < m; c++) b[yk + c]! -= f * b[xi + c]!;
    }
  }
}

/**
 * Ridge solution from G (d × d) and B (d × m), both row-major float64 (not modified).
 * `unpenalised` lists rows (e.g. the intercept) that get no ridge term.
 */
export function solveRidge(g: Float64Array, b: Float64Array, d: number, m: number, ridge: number, unpenalised: number[] = []): RidgeSolution {
  if (g.length !== d * d || b.length !== d * m) throw new StudioError('internal', `Ridge system has ${g.length}/${b.length} entries for d=${d}, m=${m}.`);
  let trace = 0;
  let counted = 0;
  const free = new Set(unpenalised);
  for (let i = 0; i < d; i++) {
    if (free.has(i)) continue;
    trace += g[i * d + i]!;
    counted++;
  }
  const scale = counted > 0 && trace > 0 ? trace / counted : 1;
  let rel = Math.max(ridge, 0);
  for (let attempt = 0; attempt < 12; attempt++) {
    const lambda = rel * scale;
    const a = Float64Array.from(g);
    for (let i = 0; i < d; i++) if (!free.has(i)) a[i * d + i]! += lambda;
    // an unpenalised row still needs a tiny jitter when its column is all zero (e.g. no samples)
    for (const i of free) if (a[i * d + i]! <= 0) a[i * d + i] = 1e-12 * scale;
    if (cholesky(a, d)) {
      const w = Float64Array.from(b);
      choleskySolve(a, d, w, m);
      return { w, lambda, relativeLambda: rel };
    }
    rel = rel > 0 ? rel * 10 : 1e-8;
  }
  throw new StudioError('internal', `The least-squares system (${d} unknowns) stayed singular even with a large ridge term.`);
}

/**
 * Residual energy Σ_j s_j (w_jᵀ G w_j − 2 w_jᵀ b_j + zz_j) of a solution `w` (d × m) for the system (G, B, zz),
 * with per-column weights `s` (squared output scales; 1 when absent). Clamped at 0 against round-off.
 */
export function residualEnergy(g: Float64Array, b: Float64Array, zz: Float64Array, w: ArrayLike<number>, d: number, m: number, s?: ArrayLike<number>): number {
  // GW (d × m) by rows: contiguous inner loops over the m columns
  const gw = new Float64Array(d * m);
  for (let i = 0; i < d; i++) {
    const ri = i * d;
    const oi = i * m;
    for (let k = 0; k < d; k++) {
      const f = g[ri + k]!;
      if (f === 0) continue;
      const wk = k * m;
      for (let c = 0; c < m; c++) gw[oi + c]! += f * w[wk + c]!;
    }
  }
  const quad = new Float64Array(m);
  const lin = new Float64Array(m);
  for (let i = 0; i < d; i++) {
    const oi = i * m;
    for (let c = 0; c < m; c++) {
      quad[c]! += w[oi + c]! * gw[oi + c]!;
      lin[c]! += w[oi + c]! * b[oi + c]!;
    }
  }
  let total = 0;
  for (let c = 0; c < m; c++) total += (s ? s[c]! : 1) * Math.max(0, quad[c]! - 2 * lin[c]! + zz[c]!);
  return total;
}
