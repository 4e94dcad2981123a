/**
 * Eigenvalues of a symmetric matrix with one row and column deleted, from ONE eigen-decomposition
 * of the whole matrix (used by CHIP: C deletions per layer and image cost one decomposition
 * plus C root-findings instead of C decompositions).
 *
 * With G = V Λ Vᵀ (λ ascending) and z = row j of V (‖z‖ = 1), Cauchy's formula for the resolvent,
 *   (G − μI)⁻¹_jj = det(G_{−j} − μI) / det(G − μI) = Σ_i z_i² / (λ_i − μ),
 * says the eigenvalues μ of the principal submatrix G_{−j} are
 *   • λ_i itself wherever z_i = 0 (deflation), and one copy of every repeated λ less one;
 *   • otherwise the roots of the secular function f(μ) = Σ_i z_i² / (λ_i − μ), one strictly
 *     between each pair of consecutive distinct active poles (f increases from −∞ to +∞ there).
 * Each root is found relative to its nearer pole (no cancellation for roots hugging a pole)
 * by Newton on h(τ) = τ·f(origin + τ), which has no pole at the origin, safeguarded by bisection.
 */

/** Poles with a weight below this (z_i² ≤ 1e-20) are deflated: their root moves by ≈ z_i² · λ_max. */
const DEFLATE_WEIGHT = 1e-20;
/** Poles closer than this fraction of λ_max are merged (a rotation inside their eigenspace). */
const MERGE_RELATIVE = 1e-13;

/** Scratch buffers reused between calls (the hot loop allocates nothing). */
let poles = new Float64Array(64);
let weights = new Float64Array(64);
let delta = new Float64Array(64);

function grow(n: number): void {
  if (poles.length >= n) return;
  poles = new Float64Array(n);
  weights = new Float64Array(n);
  delta = new Float64Array(n);
}

/**
 * Σ_k g(μ_k) over the n − 1 eigenvalues μ of G with row/column j deleted, where `values` (ascending)
 * and `vectors` (row-major, columns = eigenvectors) decompose G. `g` defaults to √max(μ, 0)
 * (the nuclear-norm term of a Gram matrix's square root).
 */
export function sumOverDeletedRow(values: Float64Array, vectors: Float64Array, n: number, j: number, g: (mu: number) => number = sqrtPos): number {
  grow(n);
  const scale = Math.max(Math.abs(values[0] ?? 0), Math.abs(values[n - 1] ?? 0));
  const mergeTol = MERGE_RELATIVE * scale;
  let total = 0;
  // deflate and merge: the active poles (ascending) and their weights
  let a = 0;
  for (let i = 0; i < n; i++) {
    const zi = vectors[j * n + i]!;
    const w = zi * zi;
    const lam = values[i]!;
    if (w <= DEFLATE_WEIGHT) {
      total += g(lam);
      continue;
    }
    if (a > 0 && lam - poles[a - 1]! <= mergeTol) {
      // a repeated eigenvalue: one copy stays an eigenvalue of the submatrix, the weights add up
      total += g(poles[a - 1]!);
      weights[a - 1] = weights[a - 1]! + w;
      continue;
    }
    poles[a] = lam;
    weights[a] = w;
    a++;
  }
  for (let k = 0; k + 1 < a; k++) total += g(rootBetween(a, k));
  return total;
}

function sqrtPos(mu: number): number {
  return mu > 0 ? Math.sqrt(mu) : 0;
}

/** The root of f strictly between active poles k and k + 1. */
function rootBetween(a: number, k: number): number {
  const lo = poles[k]!;
  const hi = poles[k + 1]!;
  const mid = 0.5 * (lo + hi);
  let fm = 0;
  for (let i = 0; i < a; i++) fm += weights[i]! / (poles[i]! - mid);
  // f increases through the interval: f(mid) ≥ 0 puts the root in the lower half
  const fromLo = fm >= 0;
  const origin = fromLo ? lo : hi;
  const o = fromLo ? k : k + 1;
  for (let i = 0; i < a; i++) delta[i] = poles[i]! - origin;
  delta[o] = 0;
  const half = 0.5 * (hi - lo);
  // bracket in τ: (0, half] from below, [−half, 0) from above; the root is never exactly at the pole
  let tLo = fromLo ? 0 : -half;
  let tHi = fromLo ? half : 0;
  let t = fromLo ? half : -half; // the midpoint: f's sign there is known, the first step uses its slope
  const wo = weights[o]!;
  // the other end of the interval: the model's second pole
  const dq = fromLo ? delta[k + 1]! : delta[k]!;
  for (let it = 0; it < 100; it++) {
    // f(τ) = −w_o/τ + φ(τ), φ = Σ_{i≠o} w_i/(δ_i − τ), φ' = Σ_{i≠o} w_i/(δ_i − τ)²
    let phi = 0;
    let dphi = 0;
    for (let i = 0; i < a; i++) {
      if (i === o) continue;
      const inv = 1 / (delta[i]! - t);
      const q = weights[i]! * inv;
      phi += q;
      dphi += q * inv;
    }
    const f = phi - wo / t;
    if (f === 0) break;
    if (f < 0) tLo = t;
    else tHi = t;
    // model φ by r + s/(δ_q − τ) matching its value and slope at τ (pole o kept exact), then solve
    // −w_o/τ + s/(δ_q − τ) + r = 0, i.e. A τ² + B τ + C = 0 — quadratic convergence near the root
    const dd = dq - t;
    const sw = dphi * dd * dd;
    const r = phi - sw / dd;
    const A = -r;
    const B = wo + sw + r * dq;
    const C = -wo * dq;
    let next = NaN;
    if (A === 0) next = B !== 0 ? -C / B : NaN;
    else {
      const disc = B * B - 4 * A * C;
      if (disc >= 0) {
        const qq = -0.5 * (B + (B >= 0 ? 1 : -1) * Math.sqrt(disc));
        const r1 = qq / A;
        next = r1 > tLo && r1 < tHi ? r1 : qq !== 0 ? C / qq : NaN;
      }
    }
    if (!(next > tLo && next < tHi)) next = 0.5 * (tLo + tHi);
    const step = Math.abs(next - t);
    t = next;
    // quadratic convergence: once a step is below 1e-9·|τ|, the error left is far below eps64·|τ|
    if (step <= 1e-9 * Math.abs(t) || tHi - tLo <= 4e-16 * Math.max(Math.abs(tLo), Math.abs(tHi))) break;
  }
  return origin + t;
}
