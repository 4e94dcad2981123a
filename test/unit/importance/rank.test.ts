import { describe, expect, it } from 'vitest';
import { EPS_FLOAT32, matrixRank, matrixRankReference, nuclearNorm, singularValues } from '../../../src/engine/importance/rank';
import { mulberry32 } from '../../../src/engine/random';

function randn(rnd: () => number): number {
  const u = Math.max(rnd(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
}

/** rows×cols float64 matrix (row-major) with Gaussian entries. */
function gauss(rows: number, cols: number, rnd: () => number): Float64Array {
  const a = new Float64Array(rows * cols);
  for (let i = 0; i < a.length; i++) a[i] = randn(rnd);
  return a;
}

function matmul(a: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  const c = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let t = 0; t < k; t++) for (let j = 0; j < m; j++) c[i * m + j] += a[i * k + t]! * b[t * m + j]!;
  return c;
}

/** n×n orthogonal matrix (row-major) by Gram–Schmidt of a Gaussian matrix. */
function orthogonal(n: number, rnd: () => number): Float64Array {
  const q = gauss(n, n, rnd);
  for (let j = 0; j < n; j++) {
    for (let p = 0; p < j; p++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += q[i * n + j]! * q[i * n + p]!;
      for (let i = 0; i < n; i++) q[i * n + j] -= d * q[i * n + p]!;
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += q[i * n + j]! ** 2;
    for (let i = 0; i < n; i++) q[i * n + j] /= Math.sqrt(s);
  }
  return q;
}

/** U·diag(σ)·Vᵀ for square n, as float32. */
function withSingularValues(sigma: number[], rnd: () => number): Float32Array {
  const n = sigma.length;
  const u = orthogonal(n, rnd);
  const v = orthogonal(n, rnd);
  const us = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) us[i * n + j] = u[i * n + j]! * sigma[j]!;
  const vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vt[i * n + j] = v[j * n + i]!;
  return Float32Array.from(matmul(us, vt, n, n, n));
}

describe('matrixRank', () => {
  it('zeros have rank 0, constant maps rank 1, a single nonzero entry rank 1', () => {
    expect(matrixRank(new Float32Array(32 * 32), 32, 32)).toBe(0);
    expect(matrixRank(new Float32Array(8 * 8).fill(3.5), 8, 8)).toBe(1);
    expect(matrixRank(new Float32Array(16 * 16).fill(-0.1), 16, 16)).toBe(1);
    const one = new Float32Array(32 * 32);
    one[5 * 32 + 7] = 2;
    expect(matrixRank(one, 32, 32)).toBe(1);
  });

  it('full-rank random maps (square and rectangular)', () => {
    const rnd = mulberry32(1);
    for (const [r, c] of [[32, 32], [16, 16], [8, 8], [16, 32], [32, 8], [1, 5], [5, 1]] as const) {
      const a = Float32Array.from(gauss(r, c, rnd));
      expect(matrixRank(a, r, c)).toBe(Math.min(r, c));
      expect(matrixRankReference(a, r, c)).toBe(Math.min(r, c));
    }
  });

  it('products of thin random matrices have their inner rank', () => {
    const rnd = mulberry32(2);
    for (const [n, r] of [[32, 1], [32, 5], [32, 17], [32, 31], [16, 8], [8, 3], [8, 7]] as const) {
      const a = Float32Array.from(matmul(gauss(n, r, rnd), gauss(r, n, rnd), n, r, n));
      expect(matrixRank(a, n, n), `n=${n} r=${r}`).toBe(r);
      expect(matrixRankReference(a, n, n)).toBe(r);
    }
  });

  it('rank deficiency with zero rows/cols and negative values (post-ReLU-like)', () => {
    const rnd = mulberry32(3);
    const n = 16;
    const a = Float32Array.from(matmul(gauss(n, 4, rnd), gauss(4, n, rnd), n, 4, n));
    for (let c = 0; c < n; c++) a[3 * n + c] = 0;
    for (let r = 0; r < n; r++) a[r * n + 9] = 0;
    expect(matrixRank(a, n, n)).toBe(matrixRankReference(a, n, n));
    expect(matrixRank(a, n, n)).toBe(4);
  });

  it('decides singular values just above / below the tolerance', () => {
    const rnd = mulberry32(4);
    for (const n of [8, 16, 32]) {
      const tol = 1 * n * EPS_FLOAT32; // σ_max = 1
      for (const [factor, expected] of [[1.5, n], [0.6, n - 1], [3, n], [0.3, n - 1]] as const) {
        const sigma = Array.from({ length: n }, (_, i) => (i === 0 ? 1 : i === n - 1 ? factor * tol : 0.9 ** i));
        const a = withSingularValues(sigma, rnd);
        // precondition: float32 rounding kept the smallest singular value on the intended side
        const sv = singularValues(a, n, n);
        const t = sv[0]! * n * EPS_FLOAT32;
        expect(sv[n - 1]! > t).toBe(expected === n);
        expect(matrixRank(a, n, n), `n=${n} factor=${factor}`).toBe(expected);
        expect(matrixRankReference(a, n, n)).toBe(expected);
      }
      // two singular values under the tolerance, one just above
      const sigma = Array.from({ length: n }, (_, i) => (i < n - 3 ? 0.8 ** i : [2, 0.5, 0.1][i - (n - 3)]! * tol));
      expect(matrixRank(withSingularValues(sigma, rnd), n, n)).toBe(n - 2);
    }
  });

  it('agrees with the Jacobi reference on many random matrices of mixed kinds', () => {
    const rnd = mulberry32(5);
    for (let t = 0; t < 150; t++) {
      const n = [8, 16, 32][t % 3]!;
      const r = 1 + Math.floor(rnd() * n);
      let a = Float32Array.from(matmul(gauss(n, r, rnd), gauss(r, n, rnd), n, r, n));
      if (t % 2) a = a.map((v) => Math.max(0, v)); // ReLU
      if (t % 5 === 0) for (let i = 0; i < a.length; i++) if (rnd() < 0.3) a[i] = 0;
      expect(matrixRank(a, n, n)).toBe(matrixRankReference(a, n, n));
    }
  });

  it('reads a channel map out of an NHWC batch through a strided view', () => {
    const rnd = mulberry32(6);
    const [N, H, W, C] = [2, 8, 8, 3];
    const data = new Float32Array(N * H * W * C);
    const want: number[] = [];
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const r = 1 + ((n * C + c) % 6);
        const m = matmul(gauss(H, r, rnd), gauss(r, W, rnd), H, r, W);
        for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) data[((n * H + h) * W + w) * C + c] = m[h * W + w]!;
        want.push(r);
      }
    }
    const got: number[] = [];
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++) got.push(matrixRank(data, H, W, { offset: n * H * W * C + c, rowStride: W * C, colStride: C }));
    expect(got).toEqual(want);
  });
});

describe('nuclearNorm', () => {
  it('equals the sum of singular values', () => {
    const rnd = mulberry32(7);
    for (const [r, c] of [[16, 64], [64, 16], [8, 8], [3, 100]] as const) {
      const a = Float32Array.from(gauss(r, c, rnd));
      const sv = singularValues(a, r, c);
      const want = sv.reduce((s, x) => s + x, 0);
      expect(nuclearNorm(a, r, c)).toBeCloseTo(want, 8);
    }
    expect(nuclearNorm(new Float32Array(12), 3, 4)).toBe(0);
    // diag(3, 4) → 7
    expect(nuclearNorm(Float32Array.from([3, 0, 0, 4]), 2, 2)).toBeCloseTo(7, 12);
  });
});
