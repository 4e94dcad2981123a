import { describe, expect, it } from 'vitest';
import { apozStatistic } from '../../../src/engine/importance/criteria/apoz';
import { bnScores } from '../../../src/engine/importance/criteria/bn';
import { channelIndependence, chipStatistic } from '../../../src/engine/importance/criteria/chip';
import { fpgmScores } from '../../../src/engine/importance/criteria/fpgm';
import { hrankStatistic } from '../../../src/engine/importance/criteria/hrank';
import { meanStatistic } from '../../../src/engine/importance/criteria/mean';
import { l1Scores, l2Scores } from '../../../src/engine/importance/criteria/norms';
import { randomScores } from '../../../src/engine/importance/criteria/random';
import { taylorStatistic } from '../../../src/engine/importance/criteria/taylor';
import type { Filters } from '../../../src/engine/importance/criteria/types';
import { combineLayerScores } from '../../../src/engine/importance/combine';
import { nuclearNorm } from '../../../src/engine/importance/rank';

/** NHWC batch from per-image, per-channel H×W maps given as functions. */
function nhwc(n: number, h: number, w: number, c: number, f: (i: number, y: number, x: number, ch: number) => number): Float32Array {
  const d = new Float32Array(n * h * w * c);
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) d[((i * h + y) * w + x) * c + ch] = f(i, y, x, ch);
  return d;
}

describe('feature-map criteria', () => {
  // channel 0: zeros; 1: constant (rank 1); 2: rank 2 outer-product sum; 3: identity (full rank 4); extra channel 4 ignored via offset/channels
  const data = nhwc(2, 4, 4, 5, (i, y, x, ch) =>
    ch === 0 ? 0 : ch === 1 ? 2 + i : ch === 2 ? (y + 1) * (x + 1) + (y === x ? 0 : 0) + (y % 2) * (x === 0 ? 5 : 0) : ch === 3 ? (y === x ? 1 + i : 0) : 9,
  );
  const batch = { data, n: 2, h: 4, w: 4, c: 5, offset: 0, channels: 4 };

  it('HRank: average rank per channel (zeros 0, constant 1, rank-2, identity full)', () => {
    const s = hrankStatistic(4);
    s.add(batch);
    expect(Array.from(s.result())).toEqual([0, 1, 2, 4]);
    expect(s.notes!().allFullRank).toBe(false);
    const full = hrankStatistic(1);
    full.add({ ...batch, offset: 3, channels: 1 });
    expect(full.notes!().allFullRank).toBe(true);
  });

  it('APoZ: 1 − zero fraction; mean activation', () => {
    const a = apozStatistic(4);
    a.add(batch);
    expect(Array.from(a.result())).toEqual([0, 1, 1, 4 / 16]);
    const m = meanStatistic(4);
    m.add(batch);
    const r = m.result();
    expect(r[0]).toBe(0);
    expect(r[1]).toBeCloseTo(2.5, 12);
    expect(r[3]).toBeCloseTo((4 * 1 + 4 * 2) / 32, 12);
  });

  it('CHIP: orthogonal rows → CI = row norm; zero row → 0; matches direct nuclear norms', () => {
    // rows of a 3×4 matrix: orthogonal with norms 3, 0, 5
    const gram = Float64Array.from([9, 0, 0, 0, 0, 0, 0, 0, 25]);
    const ci = channelIndependence(gram, 3);
    expect(ci[0]).toBeCloseTo(3, 10);
    expect(ci[1]).toBeCloseTo(0, 10);
    expect(ci[2]).toBeCloseTo(5, 10);
    // general case vs nuclearNorm of the matrix with row j zeroed, through the streaming statistic
    const d = nhwc(1, 3, 3, 4, (_i, y, x, ch) => Math.sin(1 + y * 3 + x + ch * 7) * (ch + 1));
    const s = chipStatistic(4);
    s.add({ data: d, n: 1, h: 3, w: 3, c: 4, offset: 0, channels: 4 });
    const got = s.result();
    // A as C×HW row-major: element (ch, p) at d[p*4 + ch]
    const full = nuclearNorm(d, 4, 9, { rowStride: 1, colStride: 4 });
    for (let j = 0; j < 4; j++) {
      const z = d.slice();
      for (let p = 0; p < 9; p++) z[p * 4 + j] = 0;
      expect(got[j]).toBeCloseTo(full - nuclearNorm(z, 4, 9, { rowStride: 1, colStride: 4 }), 6);
      expect(got[j]).toBeGreaterThan(0);
    }
  });

  it('Taylor: mean over images of |Σ a·g| / positions', () => {
    const t = taylorStatistic(2);
    t.add(Float32Array.from([4, -8, 0, 2, -2, 100]), 2, 3, 1, 4); // channels 1..2 of 3
    expect(Array.from(t.result())).toEqual([(2 + 0.5) / 2, (0 + 25) / 2]);
  });
});

describe('weight criteria', () => {
  // kernel [kh=1, kw=2, in=1, out=3]: filters f0 = [1, -2], f1 = [0, 0], f2 = [3, 4]
  const k: Filters = { layer: 'c', count: 3, size: 2, data: Float32Array.from([1, 0, 3, -2, 0, 4]), stride: 3, offset: 0 };

  it('L1 and L2 norms of known kernels', () => {
    expect(Array.from(l1Scores(k))).toEqual([3, 0, 7]);
    expect(Array.from(l2Scores(k)).map((x) => +x.toFixed(6))).toEqual([+Math.sqrt(5).toFixed(6), 0, 5]);
    expect(Array.from(l1Scores({ ...k, count: 2, offset: 1 }))).toEqual([0, 7]);
  });

  it('FPGM: filters at the geometric median (duplicates in the middle) are the least important', () => {
    // 1-D filters: -10, 10, 0, 0 (duplicated centre), 11
    const f: Filters = { layer: 'c', count: 5, size: 1, data: Float32Array.from([-10, 10, 0, 0, 11]), stride: 5, offset: 0 };
    const s = Array.from(fpgmScores(f));
    expect(s).toEqual([20 + 10 + 10 + 21, 20 + 10 + 10 + 1, 10 + 10 + 0 + 11, 10 + 10 + 0 + 11, 21 + 1 + 11 + 11]);
    const order = s.map((v, i) => [v, i]).sort((a, b) => a[0]! - b[0]!).map((x) => x[1]);
    expect(order.slice(0, 2).sort()).toEqual([2, 3]);
  });

  it('BN |γ|, seeded random, coupled-group combination', () => {
    expect(Array.from(bnScores(Float32Array.from([0.5, -2, 1]), 1, 2))).toEqual([2, 1]);
    const a = randomScores(6, 3, 'g');
    expect(Array.from(randomScores(6, 3, 'g'))).toEqual(Array.from(a));
    expect(Array.from(randomScores(6, 4, 'g'))).not.toEqual(Array.from(a));
    expect(combineLayerScores([Float64Array.from([1, 2])], 2)).toEqual([1, 2]);
    expect(combineLayerScores([Float64Array.from([1, 2]), Float64Array.from([30, 0]), Float64Array.from([0, 0])], 2)).toEqual([1.5, 1]);
  });
});
