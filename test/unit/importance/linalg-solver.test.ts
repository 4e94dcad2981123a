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
});
