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
  tred2(v, n, d, e);
  tql2(v, n, d, e);
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

/** Householder reduction to tridiagonal form, accumulating the orthogonal transform in v (row-major). */
function tred2(v: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
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

/** Implicit QL on the tridiagonal (d, e), rotating the eigenvectors in v. */
function tql2(v: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
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
        if (++iter > 60) break;
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
          for (let k = 0; k < n; k++) {
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
