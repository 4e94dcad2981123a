/**
 * Small dense float64 linear-algebra kernels used by the importance criteria:
 * one-sided Jacobi singular values (the exact reference for matrix rank) and symmetric
 * eigenvalues (Householder tridiagonalisation + implicit QL) for nuclear norms via Gram matrices.
 * Plain loops on typed arrays, no allocation in the inner loops, no tfjs.
 */

const EPS64 = 2 ** -52;

/**
 * Singular values of the m×n column-major matrix `a` (a[i + j*m]) by one-sided (Hestenes)
 * Jacobi rotations. `a` is overwritten. Returns the n singular values, unsorted.
 * High relative accuracy; converges when every column pair is orthogonal to working precision.
 */
export function jacobiSingularValues(a: Float64Array, m: number, n: number, maxSweeps = 80): Float64Array {
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    const o = j * m;
    for (let i = 0; i < m; i++) s += a[o + i]! * a[o + i]!;
    norms[j] = s;
  }
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      const op = p * m;
      for (let q = p + 1; q < n; q++) {
        const oq = q * m;
        const alpha = norms[p]!;
        const beta = norms[q]!;
        if (alpha === 0 || beta === 0) continue;
        let gamma = 0;
        for (let i = 0; i < m; i++) gamma += a[op + i]! * a[oq + i]!;
        if (Math.abs(gamma) <= EPS64 * Math.sqrt(alpha * beta)) continue;
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
  }
  const sv = new Float64Array(n);
  for (let j = 0; j < n; j++) sv[j] = Math.sqrt(norms[j]!);
  return sv;
}

/**
 * Eigenvalues of the symmetric n×n matrix `g` (row-major, only used, overwritten).
 * Householder reduction to tridiagonal form, then implicit QL with Wilkinson shifts
 * (the classic tred2/tqli pair, eigenvalues only). Returns n eigenvalues, unsorted.
 */
export function symmetricEigenvalues(g: Float64Array, n: number): Float64Array {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tridiagonalize(g, n, d, e);
  tqli(d, e, n);
  return d;
}

/** Householder tridiagonalisation (Numerical Recipes tred2 without eigenvectors). */
function tridiagonalize(a: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  for (let i = n - 1; i > 0; i--) {
    const l = i - 1;
    let h = 0;
    const ri = i * n;
    if (l > 0) {
      let scale = 0;
      for (let k = 0; k <= l; k++) scale += Math.abs(a[ri + k]!);
      if (scale === 0) {
        e[i] = a[ri + l]!;
      } else {
        for (let k = 0; k <= l; k++) {
          a[ri + k] = a[ri + k]! / scale;
          h += a[ri + k]! * a[ri + k]!;
        }
        let f = a[ri + l]!;
        const gg = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
        e[i] = scale * gg;
        h -= f * gg;
        a[ri + l] = f - gg;
        f = 0;
        for (let j = 0; j <= l; j++) {
          const rj = j * n;
          let s = 0;
          for (let k = 0; k <= j; k++) s += a[rj + k]! * a[ri + k]!;
          for (let k = j + 1; k <= l; k++) s += a[k * n + j]! * a[ri + k]!;
          e[j] = s / h;
          f += e[j]! * a[ri + j]!;
        }
        const hh = f / (h + h);
        for (let j = 0; j <= l; j++) {
          const fj = a[ri + j]!;
          const gj = e[j]! - hh * fj;
          e[j] = gj;
          const rj = j * n;
          for (let k = 0; k <= j; k++) a[rj + k] = a[rj + k]! - (fj * e[k]! + gj * a[ri + k]!);
        }
      }
    } else {
      e[i] = a[ri + l]!;
    }
    d[i] = h;
  }
  e[0] = 0;
  for (let i = 0; i < n; i++) d[i] = a[i * n + i]!;
}

/** Implicit QL on a tridiagonal matrix (diagonal d, subdiagonal e[1..n-1]); eigenvalues into d. */
function tqli(d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  if (n > 0) e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    let m: number;
    do {
      for (m = l; m < n - 1; m++) {
        const dd = Math.abs(d[m]!) + Math.abs(d[m + 1]!);
        if (Math.abs(e[m]!) <= EPS64 * dd) break;
      }
      if (m !== l) {
        if (iter++ === 60) break;
        let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
        let r = Math.hypot(g, 1);
        g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
        let s = 1;
        let c = 1;
        let p = 0;
        let i: number;
        for (i = m - 1; i >= l; i--) {
          let f = s * e[i]!;
          const b = c * e[i]!;
          r = Math.hypot(f, g);
          e[i + 1] = r;
          if (r === 0) {
            d[i + 1] = d[i + 1]! - p;
            e[m] = 0;
            break;
          }
          s = f / r;
          c = g / r;
          g = d[i + 1]! - p;
          r = (d[i]! - g) * s + 2 * c * b;
          p = s * r;
          d[i + 1] = g + p;
          g = c * r - b;
          f = 0;
        }
        if (r === 0 && i >= l) continue;
        d[l] = d[l]! - p;
        e[l] = g;
        e[m] = 0;
      }
    } while (m !== l);
  }
}
