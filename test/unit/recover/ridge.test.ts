/** The float64 ridge solver against a closed form computed another way (Gauss-Jordan on the explicit system). */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/engine/random';
import { residualEnergy, solveRidge } from '../../../src/engine/recover/ridge';

/** Solves A x = B by Gauss-Jordan elimination with partial pivoting (a different method from Cholesky). */
function gaussJordan(a: number[][], b: number[][]): number[][] {
  const n = a.length;
  const m = b[0]!.length;
  const aug = a.map((row, i) => [...row, ...b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(aug[r]![c]!) > Math.abs(aug[p]![c]!)) p = r;
    [aug[c], aug[p]] = [aug[p]!, aug[c]!];
    const piv = aug[c]![c]!;
    for (let k = 0; k < n + m; k++) aug[c]![k]! /= piv;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = aug[r]![c]!;
      for (let k = 0; k < n + m; k++) aug[r]![k]! -= f * aug[c]![k]!;
    }
  }
  return aug.map((row) => row.slice(n));
}

function problem(rows: number, d: number, m: number, seed: number) {
  const rnd = mulberry32(seed);
  const x = Array.from({ length: rows }, () => Array.from({ length: d }, () => rnd() * 2 - 1));
  const z = Array.from({ length: rows }, () => Array.from({ length: m }, () => rnd() * 4 - 2));
  const g = new Float64Array(d * d);
  const b = new Float64Array(d * m);
  const zz = new Float64Array(m);
  for (const [r, row] of x.entries()) {
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) g[i * d + j]! += row[i]! * row[j]!;
      for (let c = 0; c < m; c++) b[i * m + c]! += row[i]! * z[r]![c]!;
    }
    for (let c = 0; c < m; c++) zz[c]! += z[r]![c]! ** 2;
  }
  return { x, z, g, b, zz };
}

describe('solveRidge', () => {
  it('equals (XᵀX + λI)⁻¹XᵀZ solved by Gauss-Jordan, with the intercept row unpenalised', () => {
    for (const [rows, d, m, seed] of [[40, 6, 3, 1], [12, 9, 2, 2], [200, 15, 5, 3]] as const) {
      const { g, b } = problem(rows, d, m, seed);
      const ridge = 1e-2;
      const sol = solveRidge(g, b, d, m, ridge, [d - 1]);
      let trace = 0;
      for (let i = 0; i < d - 1; i++) trace += g[i * d + i]!;
      const lambda = (ridge * trace) / (d - 1);
      expect(sol.lambda).toBeCloseTo(lambda, 12);
      const a = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => g[i * d + j]! + (i === j && i !== d - 1 ? lambda : 0)));
      const want = gaussJordan(a, Array.from({ length: d }, (_, i) => Array.from(b.subarray(i * m, (i + 1) * m))));
      for (let i = 0; i < d; i++) for (let c = 0; c < m; c++) expect(sol.w[i * m + c]).toBeCloseTo(want[i]![c]!, 9);
    }
  });

  it('solves a rank-deficient system (fewer rows than unknowns, a duplicated column) thanks to the ridge', () => {
    const { g, b } = problem(4, 8, 2, 5);
    const sol = solveRidge(g, b, 8, 2, 1e-6);
    expect(sol.w.every(Number.isFinite)).toBe(true);
    const zero = new Float64Array(64);
    const grown = solveRidge(zero, new Float64Array(16), 8, 2, 0);
    expect(grown.relativeLambda).toBeGreaterThan(0); // singular with λ = 0: the ridge grew
  });

  it('residualEnergy is ‖XW − Z‖² computed directly', () => {
    const { x, z, g, b, zz } = problem(30, 5, 3, 9);
    const w = Float64Array.from({ length: 15 }, (_, i) => Math.sin(i));
    let direct = 0;
    for (const [r, row] of x.entries()) {
      for (let c = 0; c < 3; c++) {
        let p = 0;
        for (let i = 0; i < 5; i++) p += row[i]! * w[i * 3 + c]!;
        direct += (p - z[r]![c]!) ** 2;
      }
    }
    expect(residualEnergy(g, b, zz, w, 5, 3)).toBeCloseTo(direct, 8);
  });
});
