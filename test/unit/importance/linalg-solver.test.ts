/** The one symmetric eigen solver (with and without vectors) and the solvers' iteration caps, which now say so. */
import { describe, expect, it } from 'vitest';
import { jacobiSingularValues, symmetricEigen, symmetricEigenvalues } from '../../../src/engine/importance/linalg';

function gram(n: number, seed: number): Float64Array {
  let s = seed;
  const r = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const x = Float64Array.from({ length: n * (n + 3) }, r);
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let t = 0;
    for (let k = 0; k < n + 3; k++) t += x[i * (n + 3) + k]! * x[j * (n + 3) + k]!;
    g[i * n + j] = t;
  }
  return g;
}

describe('linalg', () => {
  it('eigenvalues alone equal those of the full decomposition, and A·v = λ·v', () => {
    for (const n of [1, 2, 7, 40]) {
      const g = gram(n, n);
      const full = symmetricEigen(g, n);
      const only = Array.from(symmetricEigenvalues(g.slice(), n)).sort((a, b) => a - b);
      const scale = Math.max(...Array.from(full.values, Math.abs));
      only.forEach((v, i) => expect(Math.abs(v - full.values[i]!)).toBeLessThan(1e-12 * scale));
      const i = n - 1;
      for (let r = 0; r < n; r++) {
        let av = 0;
        for (let k = 0; k < n; k++) av += g[r * n + k]! * full.vectors[k * n + i]!;
        expect(Math.abs(av - full.values[i]! * full.vectors[r * n + i]!)).toBeLessThan(1e-9 * scale);
      }
    }
  });

  it('a Jacobi run that cannot converge (NaN input) throws not-converged instead of returning numbers', () => {
    const a = Float64Array.from({ length: 16 }, (_, i) => (i === 5 ? NaN : i + 1));
    expect(() => jacobiSingularValues(a, 4, 4)).toThrow(expect.objectContaining({ code: 'not-converged' }));
  });

  it('Jacobi converges on smooth positive float32 maps whose round-off kept it rotating forever at a plain-ε test', () => {
    // the generator that found them: 4 of 3,000 such 32×32 maps never converged with |γ| ≤ ε·‖aₚ‖‖a_q‖ (one pair
    // stuck at 1.25ε, the shape of the ResNet-56 stage-1 map that failed studio.analyze with HRank)
    let s = 5;
    const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
    const m = 32;
    const stuck = new Set([239, 507, 1038]);
    for (let trial = 0; trial <= 1038; trial++) {
      const f1 = rnd() * 0.3, f2 = rnd() * 0.3, ph = rnd() * 6, amp = rnd() * 0.5, noise = 10 ** (-1 - 3 * rnd());
      const a = new Float64Array(m * m);
      for (let j = 0; j < m; j++) for (let i = 0; i < m; i++) {
        a[i + j * m] = Math.fround(Math.max(0, 1.3 + amp * Math.sin(f1 * i + ph) * Math.cos(f2 * j) + 0.2 * Math.sin(0.1 * i * j) + noise * (rnd() - 0.5)));
      }
      if (!stuck.has(trial)) continue;
      // AᵀA (row-major) for the reference: its eigenvalues are the squared singular values
      const g = new Float64Array(m * m);
      for (let p = 0; p < m; p++) for (let q = 0; q < m; q++) {
        let t = 0;
        for (let i = 0; i < m; i++) t += a[i + p * m]! * a[i + q * m]!;
        g[p * m + q] = t;
      }
      const sv = Array.from(jacobiSingularValues(a, m, m, 30)).sort((x, y) => y - x);
      const ev = Array.from(symmetricEigenvalues(g, m)).sort((x, y) => y - x);
      const top = sv[0]!;
      // the leading singular values agree with the Gram eigenvalues (the tail is below √ε·σ₁ there)
      for (let k = 0; k < 8; k++) expect(Math.abs(sv[k]! ** 2 - ev[k]!)).toBeLessThan(1e-10 * top * top);
    }
  });
});
