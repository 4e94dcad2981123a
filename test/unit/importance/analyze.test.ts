import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildDependencyGraph } from '../../../src/engine/graph';
import { analyze, CRITERIA } from '../../../src/engine/importance/analyze';
import type { SplitData } from '../../../src/engine/data/types';
import { mulberry32 } from '../../../src/engine/random';
import { expectNoLeak } from '../../helpers/leak';
import { inProcessPool, runStatTask, sliceChannels } from '../../../src/engine/importance/stat-pool';

/** input 8×8×3 → convA(8)+bn+relu → convB(8)+bn → add(x1) → relu → convC(6)+bn+relu → GAP → dense(3). */
function tinyResidual(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const inp = tf.input({ shape: [8, 8, 3] });
  const a = tf.layers.conv2d({ name: 'convA', filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: init(1) }).apply(inp) as tf.SymbolicTensor;
  const x1 = tf.layers.activation({ name: 'reluA', activation: 'relu' }).apply(tf.layers.batchNormalization({ name: 'bnA' }).apply(a)) as tf.SymbolicTensor;
  const b = tf.layers.conv2d({ name: 'convB', filters: 8, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(2) }).apply(x1) as tf.SymbolicTensor;
  const bb = tf.layers.batchNormalization({ name: 'bnB' }).apply(b) as tf.SymbolicTensor;
  const s = tf.layers.add({ name: 'add' }).apply([bb, x1]) as tf.SymbolicTensor;
  const x2 = tf.layers.activation({ name: 'reluOut', activation: 'relu' }).apply(s) as tf.SymbolicTensor;
  const c = tf.layers.conv2d({ name: 'convC', filters: 6, kernelSize: 3, padding: 'same', kernelInitializer: init(3) }).apply(x2) as tf.SymbolicTensor;
  const x3 = tf.layers.activation({ name: 'reluC', activation: 'relu' }).apply(tf.layers.batchNormalization({ name: 'bnC' }).apply(c)) as tf.SymbolicTensor;
  const p = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x3) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'logits', units: 3, kernelInitializer: init(4) }).apply(p) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: out });
}

function tinySplit(count: number, size: number, seed = 1): SplitData {
  const rnd = mulberry32(seed);
  const images = new Uint8Array(count * size * size * 3);
  for (let i = 0; i < images.length; i++) images[i] = Math.floor(rnd() * 256);
  const labels = new Uint16Array(count);
  for (let i = 0; i < count; i++) labels[i] = i % 3;
  return { count, images, labels };
}

describe('analyze', () => {
  const model = tinyResidual();
  const graph = buildDependencyGraph(model);
  const split = tinySplit(20, 8);
  const prunable = graph.groups.filter((g) => g.prunable);

  it('the tiny model has a coupled residual group and two free groups', () => {
    expect(prunable.map((g) => g.channels).sort()).toEqual([6, 8]);
    expect(prunable.find((g) => g.channels === 8)!.capture.length).toBe(2);
  });

  for (const criterion of CRITERIA) {
    it(`${criterion}: one finite score per channel per prunable group, no leaks`, async () => {
      const a = await expectNoLeak(() => analyze(model, graph, split, 8, { criterion, batches: 2, batchSize: 8, memoryBytes: 8 * 8 * 30 * 4 * 3 }));
      expect(a.criterion).toBe(criterion);
      expect(a.groups.map((g) => g.id)).toEqual(prunable.map((g) => g.id));
      for (const g of a.groups) {
        expect(g.scores.length).toBe(g.channels);
        for (const s of g.scores) expect(Number.isFinite(s)).toBe(true);
      }
      expect(a.images).toBe(['hrank', 'chip', 'apoz', 'mean', 'taylor'].includes(criterion) ? 16 : 0);
      if (criterion === 'hrank') for (const g of a.groups) for (const s of g.scores) expect(s).toBeLessThanOrEqual(g.layers.length * 8);
    });
  }

  it('streams in chunks: the result does not depend on the chunk size', async () => {
    const big = await analyze(model, graph, split, 8, { criterion: 'hrank', batches: 1, batchSize: 16 });
    const small = await analyze(model, graph, split, 8, { criterion: 'hrank', batches: 1, batchSize: 16, memoryBytes: 1 });
    expect(small.groups).toEqual(big.groups);
  });

  for (const criterion of ['hrank', 'chip'] as const) {
    it(`${criterion} on a statistics pool gives the same scores as on the calling thread`, async () => {
      const o = { criterion, batches: 2, batchSize: 8, memoryBytes: 8 * 8 * 30 * 4 * 3 };
      const here = await analyze(model, graph, split, 8, o);
      const seen: number[] = [];
      const pool = inProcessPool();
      let tasks = 0;
      const counting = { size: 3, run: (t: Parameters<typeof pool.run>[0]) => (tasks++, pool.run(t)) };
      const pooled = await expectNoLeak(() => analyze(model, graph, split, 8, { ...o, pool: counting, onProgress: (p) => seen.push(p.fraction) }));
      expect(pooled.groups.map((g) => g.id)).toEqual(here.groups.map((g) => g.id));
      // the same sums, added in another order
      pooled.groups.forEach((g, i) => g.scores.forEach((v, j) => expect(v).toBeCloseTo(here.groups[i]!.scores[j]!, 9)));
      expect(pooled.workers).toBe(3);
      expect(here.workers).toBe(1);
      // one task per capture point per chunk
      expect(tasks).toBeGreaterThanOrEqual(3 * 2);
      expect(seen.at(-1)).toBe(1);
      for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
    });
  }

  it('a failing pool task fails the analysis with its error', async () => {
    const broken = { size: 2, run: () => Promise.reject(new Error('worker crashed')) };
    await expectNoLeak(() => expect(analyze(model, graph, split, 8, { criterion: 'chip', batches: 1, batchSize: 8, pool: broken })).rejects.toThrow('worker crashed'));
  });

  it('runStatTask checks its input; sliceChannels copies one channel range', () => {
    expect(() => runStatTask({ criterion: 'hrank', data: new Float32Array(5), n: 1, h: 2, w: 2, channels: 1 })).toThrow(/expected 1×2×2×1/);
    expect(() => runStatTask({ criterion: 'apoz' as 'hrank', data: new Float32Array(4), n: 1, h: 2, w: 2, channels: 1 })).toThrow(/No pooled statistic/);
    const data = Float32Array.from({ length: 2 * 3 }, (_, i) => i); // 2 positions × 3 channels
    expect(Array.from(sliceChannels({ data, n: 1, h: 1, w: 2, c: 3, offset: 1, channels: 2 }))).toEqual([1, 2, 4, 5]);
    const whole = sliceChannels({ data, n: 1, h: 1, w: 2, c: 3, offset: 0, channels: 3 });
    expect(Array.from(whole)).toEqual(Array.from(data));
    expect(whole.buffer).not.toBe(data.buffer); // a copy: it may be transferred
    const r = runStatTask({ criterion: 'hrank', data: new Float32Array([1, 0, 0, 1, 1, 0, 0, 0]), n: 2, h: 2, w: 2, channels: 1 });
    expect(Array.from(r.sum)).toEqual([3]);
    expect(r.images).toBe(2);
    expect(r.allFullRank).toBe(false);
  });

  it('reports progress and honours an aborted signal', async () => {
    const seen: number[] = [];
    await analyze(model, graph, split, 8, { criterion: 'apoz', batches: 1, batchSize: 20, onProgress: (p) => seen.push(p.fraction) });
    expect(seen[seen.length - 1]).toBe(1);
    const ac = new AbortController();
    ac.abort();
    await expectNoLeak(() => expect(analyze(model, graph, split, 8, { criterion: 'hrank', signal: ac.signal })).rejects.toMatchObject({ code: 'cancelled' }));
  });

  it('needs data for data criteria and checks the image size', async () => {
    await expect(analyze(model, graph, null, 8, { criterion: 'hrank' })).rejects.toMatchObject({ code: 'bad-input' });
    await expect(analyze(model, graph, split, 16, { criterion: 'apoz' })).rejects.toMatchObject({ code: 'shape-mismatch' });
  });

  it('warns when HRank/APoZ read maps with no ReLU before them', async () => {
    const inp = tf.input({ shape: [8, 8, 3] });
    const c = tf.layers.conv2d({ name: 'lin', filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }).apply(inp) as tf.SymbolicTensor;
    const o = tf.layers.dense({ name: 'out', units: 3 }).apply(tf.layers.globalAveragePooling2d({}).apply(c)) as tf.SymbolicTensor;
    const m = tf.model({ inputs: inp, outputs: o });
    const g = buildDependencyGraph(m);
    const h = await expectNoLeak(() => analyze(m, g, split, 8, { criterion: 'hrank', batches: 1, batchSize: 4 }));
    expect(h.warnings.join(' ')).toMatch(/not after a ReLU/);
    expect(h.warnings.join(' ')).toMatch(/full rank/);
    const z = await analyze(m, g, split, 8, { criterion: 'apoz', batches: 1, batchSize: 4 });
    expect(z.warnings.join(' ')).toMatch(/no zero activations/);
    m.dispose();
  });

  it('taylor equals mean over images of |Σ a·∂L/∂a| / positions (dense check by hand)', async () => {
    const inp = tf.input({ shape: [2, 2, 3] });
    const f = tf.layers.flatten({ name: 'flat' }).apply(inp) as tf.SymbolicTensor;
    const h = tf.layers.dense({ name: 'hidden', units: 4, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }), biasInitializer: tf.initializers.constant({ value: 0.1 }) }).apply(f) as tf.SymbolicTensor;
    const o = tf.layers.dense({ name: 'out', units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }) }).apply(h) as tf.SymbolicTensor;
    const m = tf.model({ inputs: inp, outputs: o });
    const g = buildDependencyGraph(m);
    const data = tinySplit(6, 2, 3);
    const spec = { range: [0, 1] as [number, number], mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number], normalizeOutside: false };
    const a = await expectNoLeak(() => analyze(m, g, data, 2, { criterion: 'taylor', batches: 1, batchSize: 6, input: spec }));
    const hid = a.groups.find((x) => x.layers.includes('hidden'))!;
    // by hand: g = (softmax(z) − y) W2ᵀ, score_c = mean_n |a_nc g_nc|
    const want = tf.tidy(() => {
      const x = tf.tensor4d(Float32Array.from(data.images, (v) => v / 255), [6, 2, 2, 3]);
      const act = m.getLayer('hidden').apply(m.getLayer('flat').apply(x)) as tf.Tensor2D;
      const logits = m.getLayer('out').apply(act) as tf.Tensor2D;
      const y = tf.oneHot(tf.tensor1d(Array.from(data.labels), 'int32'), 3);
      const grad = tf.matMul(tf.sub(tf.softmax(logits), y), m.getLayer('out').getWeights()[0]!, false, true);
      return Array.from(tf.mean(tf.abs(tf.mul(act, grad)), 0).dataSync());
    });
    hid.scores.forEach((s, i) => expect(s).toBeCloseTo(want[i]!, 5));
    m.dispose();
  });
});
