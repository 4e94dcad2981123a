/**
 * Small dense float64 linear-algebra kernels used by the importance criteria:
 * one-sided Jacobi singular values (the exact reference for matrix rank) and one symmetric eigen solver
 * (Householder tridiagonalisation + implicit QL, EISPACK tred2/tql2 as formulated in the public-domain JAMA
 * library), with or without eigenvectors, for nuclear norms via Gram matrices. A solver that hits its iteration
 * cap throws `not-converged` instead of returning unconverged numbers.
 * Plain loops on typed arrays, no allocation in the inner loops, no tfjs.
 */

import { StudioError } from '../errors';

const EPS64 = 2 ** -52;

/**
 * Singular values of the m×n column-major matrix `a` (a[i + j*m]) by one-sided (Hestenes)
 * Jacobi rotations. `a` is overwritten. Returns the n singular values, unsorted.
 * High relative accuracy; converges when every column pair is orthogonal to the round-off of its dot product.
 */
export function jacobiSingularValues(a: Float64Array, m: number, n: number, maxSweeps = 80): Float64Array {
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    const o = j * m;
    for (let i = 0; i < m; i++) s += a[o + i]! * a[o + i]!;
    norms[j] = s;
  }
  // A column whose norm is below EPS·(largest column norm) is zero at working precision: rotating it against
  // another only stirs round-off (and can keep a rank-deficient matrix from ever meeting the test below).
  let maxNorm = 0;
  for (let j = 0; j < n; j++) maxNorm = Math.max(maxNorm, norms[j]!);
  const negligible = EPS64 * EPS64 * maxNorm;
  // Two columns count as orthogonal when |aₚ·a_q| ≤ m·ε·‖aₚ‖‖a_q‖ (the Demmel–Veselić criterion). A plain ε is
  // below the round-off of an m-term dot product: a pair can then sit at |γ| ≈ 1.25ε‖aₚ‖‖a_q‖ forever, each
  // rotation too small to change the computed γ (a smooth ResNet-56 stage-1 map did this for every sweep).
  const orthogonal = m * EPS64;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      const op = p * m;
      for (let q = p + 1; q < n; q++) {
        const oq = q * m;
        const alpha = norms[p]!;
        const beta = norms[q]!;
        if (alpha <= negligible || beta <= negligible) continue;
        let gamma = 0;
        for (let i = 0; i < m; i++) gamma += a[op + i]! * a[oq + i]!;
        if (Math.abs(gamma) <= orthogonal * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        let np = 0;
        let nq = 0;
        for (let i = 0; i < m; i++) {
          const x = a[op + i]!;
          const y = a[oq + i]!;
          const nx = c * x - s * y;
          const ny = s * x + c * y;
          a[op + i] = nx;
          a[oq + i] = ny;
          np += nx * nx;
          nq += ny * ny;
        }
        norms[p] = np;
        norms[q] = nq;
      }
    }
    if (!rotated) break;
    if (sweep === maxSweeps - 1) {
      throw new StudioError('not-converged', `Jacobi singular values of a ${m}×${n} matrix did not converge in ${maxSweeps} sweeps (non-finite feature maps?).`, { m, n, sweeps: maxSweeps });
    }
  }
  const sv = new Float64Array(n);
  for (let j = 0; j < n; j++) sv[j] = Math.sqrt(norms[j]!);
  return sv;
}

/**
 * Eigenvalues of the symmetric n×n matrix `g` (row-major, overwritten), unsorted. The same Householder + implicit
 * QL solver as `symmetricEigen` (EISPACK tred2/tql2, in the public-domain JAMA formulation) with the eigenvector
 * work skipped: the transform is not accumulated and no rotations are applied to vectors.
 */
export function symmetricEigenvalues(g: Float64Array, n: number): Float64Array {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(g, n, d, e, false);
  tql2(g, n, d, e, false);
  return d;
}

/** Eigen-decomposition of a symmetric matrix: ascending eigenvalues and the matching unit eigenvectors. */
export interface SymmetricEigen {
  /** n eigenvalues, ascending. */
  values: Float64Array;
  /** Row-major n×n: component k of eigenvector i is vectors[k * n + i] (columns are eigenvectors). */
  vectors: Float64Array;
}

/**
 * Eigenvalues and eigenvectors of the symmetric n×n row-major matrix `a` (not modified):
 * Householder tridiagonalisation with accumulated transforms, then implicit QL with
 * eigenvector updates (the classic tred2/tql2 pair, as in EISPACK and JAMA).
 */
export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  const v = a.slice(0, n * n);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(v, n, d, e, true);
  tql2(v, n, d, e, true);
  // sort ascending, permuting the columns of v
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[x]! - d[y]!);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = d[src]!;
    for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src]!;
  });
  return { values, vectors };
}

/**
 * Householder reduction to tridiagonal form (diagonal in d, sub-diagonal in e[1..]); with `vectors`, the orthogonal
 * transform is accumulated in v (row-major), else v is left as scratch.
 */
function tred2(v: Float64Array, n: number, d: Float64Array, e: Float64Array, vectors: boolean): void {
  if (n === 0) return;
  for (let j = 0; j < n; j++) d[j] = v[(n - 1) * n + j]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = v[(i - 1) * n + j]!;
        v[i * n + j] = 0;
        v[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        v[j * n + i] = f;
        g = e[j]! + v[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += v[k * n + j]! * d[k]!;
          e[k] = e[k]! + v[k * n + j]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) v[k * n + j] = v[k * n + j]! - (f * e[k]! + g * d[k]!);
        d[j] = v[(i - 1) * n + j]!;
        v[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  if (!vectors) {
    // The reduction leaves the tridiagonal's diagonal on v's diagonal (what the accumulation below reads out).
    for (let j = 0; j < n; j++) d[j] = v[j * n + j]!;
    e[0] = 0;
    return;
  }
  // accumulate the transformations
  for (let i = 0; i < n - 1; i++) {
    v[(n - 1) * n + i] = v[i * n + i]!;
    v[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = v[k * n + i + 1]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += v[k * n + i + 1]! * v[k * n + j]!;
        for (let k = 0; k <= i; k++) v[k * n + j] = v[k * n + j]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) v[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = v[(n - 1) * n + j]!;
    v[(n - 1) * n + j] = 0;
  }
  v[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/** QL iterations per eigenvalue before the solver gives up (it converges in a few; JAMA sets no cap at all). */
const QL_MAX_ITERATIONS = 60;

/** Implicit QL on the tridiagonal (d, e); with `vectors`, rotating the eigenvectors in v. */
function tql2(v: Float64Array, n: number, d: Float64Array, e: Float64Array, vectors: boolean): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  if (n > 0) e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]!) > EPS64 * tst1) m++;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > QL_MAX_ITERATIONS) {
          throw new StudioError('not-converged', `The symmetric eigen solver did not converge for eigenvalue ${l} of a ${n}×${n} matrix in ${QL_MAX_ITERATIONS} QL iterations (non-finite or badly scaled statistics?).`, { n, index: l });
        }
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          if (vectors) for (let k = 0; k < n; k++) {
            const o = k * n;
            h = v[o + i + 1]!;
            v[o + i + 1] = s * v[o + i]! + c * h;
            v[o + i] = c * v[o + i]! - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > EPS64 * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}
