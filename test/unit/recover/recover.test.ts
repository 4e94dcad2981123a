/**
 * Recovery after surgery (engine/recover): exact cases, a real residual network on held-out images, BatchNorm
 * recalibration, no tensor leaks, cancellation; and at the API level, `prune` with recovery and `reconstruct`.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type WorkerContext } from '../../../src/api/worker/context';
import { saveDataset } from '../../../src/api/worker/datasets';
import { listModels, modelRecord, saveModel } from '../../../src/api/worker/models';
import { prune, reconstruct } from '../../../src/api/worker/pruning';
import { makeDemoDataset } from '../../../src/engine/data/demo';
import type { SplitData } from '../../../src/engine/data/types';
import { buildDependencyGraph } from '../../../src/engine/graph';
import { analyze } from '../../../src/engine/importance/analyze';
import { setStudioMeta } from '../../../src/engine/models/metadata';
import { RAW_INPUT } from '../../../src/engine/models/types';
import { makePlan } from '../../../src/engine/plan/planner';
import { pruneModelDetailed } from '../../../src/engine/prune';
import { allocateByReconstruction } from '../../../src/engine/recover/allocate';
import { recoverPruned } from '../../../src/engine/recover/recover';
import { mulberry32 } from '../../../src/engine/random';
import { memoryKeyValue } from '../../../src/engine/storage/kv';
import { expectNoLeak } from '../../helpers/leak';
import { initWasmForNode } from '../../helpers/wasm';
import { loadAkamaster, losslessSplit } from '../models/akamaster';

let previous: string;
beforeAll(async () => {
  previous = tf.getBackend();
  await initWasmForNode();
  await tf.setBackend('wasm');
});
afterAll(async () => {
  await tf.setBackend(previous);
});

function randomSplit(n: number, size: number, seed: number): SplitData {
  const rnd = mulberry32(seed);
  return { count: n, images: Uint8Array.from({ length: n * size * size * 3 }, () => Math.floor(rnd() * 256)), labels: new Uint16Array(n) };
}

function toTensor(split: SplitData, size: number): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from(split.images), [split.count, size, size, 3]);
}

function maxRelDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / Math.max(1e-12, tf.max(tf.abs(b)).dataSync()[0]!));
}

/**
 * conv1 (6 filters, ReLU) → conv2 (valid) → flatten → dense. Channel 2 of conv1 is a constant map (zero kernel,
 * bias 0.7) and channel 4 duplicates channel 1: removing both is exactly undone by changing conv2's kernel and bias.
 */
function redundantCnn(): tf.LayersModel {
  const init = tf.initializers.glorotNormal({ seed: 3 });
  const inp = tf.input({ shape: [16, 16, 3], name: 'input' });
  let x = tf.layers.rescaling({ scale: 1 / 255, name: 'scale' }).apply(inp) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init, name: 'conv1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'valid', kernelInitializer: init, biasInitializer: 'ones', name: 'conv2' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flat' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, kernelInitializer: init, name: 'logits' }).apply(x) as tf.SymbolicTensor;
  const m = tf.model({ inputs: inp, outputs: out });
  const conv1 = m.getLayer('conv1');
  const [k, b] = conv1.getWeights();
  const kd = k!.arraySync() as number[][][][];
  const bd = Array.from(b!.dataSync());
  for (const row of kd) for (const col of row) for (const cin of col) {
    cin[2] = 0;
    cin[4] = cin[1]!;
  }
  bd[2] = 0.7;
  bd[4] = bd[1]!;
  const nk = tf.tensor4d(kd);
  const nb = tf.tensor1d(bd);
  conv1.setWeights([nk, nb]);
  tf.dispose([nk, nb]); // getWeights() hands out the variables' own tensors: not ours to dispose
  setStudioMeta(m, { arch: 'test', classes: ['a', 'b', 'c'], input: { ...RAW_INPUT }, lineage: [] });
  return m;
}

describe('reconstruction', () => {
  it('undoes the removal of a constant and a duplicated channel exactly', async () => {
    const model = redundantCnn();
    const calib = randomSplit(48, 16, 1);
    const held = toTensor(randomSplit(16, 16, 2), 16);
    const removed = { conv1: [2, 4] };
    const { model: pruned, applied } = pruneModelDetailed(model, removed);
    expect(applied).toEqual(removed);
    const want = model.predict(held) as tf.Tensor;
    const raw = pruned.predict(held) as tf.Tensor;
    expect(maxRelDiff(raw, want)).toBeGreaterThan(0.01); // surgery alone changes the outputs
    const report = await expectNoLeak(() => recoverPruned(model, pruned, applied, calib, { method: 'reconstruct', input: RAW_INPUT, imageSize: 16, images: 48, positions: 36, ridge: 1e-9 }));
    expect(report.layers.map((l) => l.layer)).toEqual(['conv2']);
    expect(report.layers[0]).toMatchObject({ target: 'output', unknowns: 3 * 3 * 4 + 1, outputs: 4, samples: 48 * 36 });
    expect(report.layers[0]!.errorAfter).toBeLessThan(1e-4); // float32 Gram accumulation: relative error ~1e-5
    expect(report.layers[0]!.errorBefore).toBeGreaterThan(1e-3);
    const got = pruned.predict(held) as tf.Tensor;
    expect(maxRelDiff(got, want)).toBeLessThan(1e-4);
    tf.dispose([want, raw, got, held]);
    model.dispose();
    pruned.dispose();
  });

  it('solves a residual branch whose BN silences a channel (gamma 0), keeping that channel as it was', async () => {
    const init = tf.initializers.glorotNormal({ seed: 9 });
    const conv = (f: number, name: string) => tf.layers.conv2d({ filters: f, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init, name });
    const inp = tf.input({ shape: [8, 8, 3], name: 'input' });
    const stem = conv(8, 'stem').apply(inp) as tf.SymbolicTensor;
    let y = tf.layers.reLU({ name: 'r1' }).apply(tf.layers.batchNormalization({ name: 'b1' }).apply(conv(8, 'c1').apply(stem) as tf.SymbolicTensor) as tf.SymbolicTensor) as tf.SymbolicTensor;
    y = tf.layers.batchNormalization({ name: 'b2' }).apply(conv(8, 'c2').apply(y) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const out = tf.layers.add({ name: 'add' }).apply([y, stem]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: inp, outputs: tf.layers.dense({ units: 2, name: 'fc' }).apply(tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(out) as tf.SymbolicTensor) as tf.SymbolicTensor });
    const b2 = model.getLayer('b2');
    const gamma = tf.tensor1d([0, 1, 1, 1, 1, 1, 1, 1]);
    b2.setWeights([gamma, ...b2.getWeights().slice(1)]);
    gamma.dispose();
    const { model: pruned, applied } = pruneModelDetailed(model, { c1: [0, 1, 2, 3] });
    const before = Array.from(pruned.getLayer('c2').getWeights()[0]!.dataSync());
    const report = await expectNoLeak(() => recoverPruned(model, pruned, applied, randomSplit(32, 8, 4), { method: 'reconstruct', input: RAW_INPUT, imageSize: 8, positions: 64 }));
    const l = report.layers.find((x) => x.layer === 'c2')!;
    expect(l.target).toBe('block');
    expect(Number.isFinite(l.errorAfter) && l.errorAfter < l.errorBefore).toBe(true);
    const after = Array.from(pruned.getLayer('c2').getWeights()[0]!.dataSync());
    // output channel 0 (silenced by its BN) is unchanged; the others were solved
    for (let i = 0; i < after.length; i += 8) expect(after[i]).toBe(before[i]);
    expect(after.some((v, i) => i % 8 !== 0 && v !== before[i])).toBe(true);
    model.dispose();
    pruned.dispose();
  });

  describe('akamaster ResNet-20 (real weights and images)', () => {
    let model: tf.LayersModel;
    let applied: Record<string, number[]>;
    const calib = losslessSplit(0, 128);
    const heldSplit = losslessSplit(600, 64);
    beforeAll(async () => {
      model = await loadAkamaster(20);
      const graph = buildDependencyGraph(model);
      const analysis = await analyze(model, graph, null, 32, { criterion: 'l1' });
      const plan = makePlan(model, graph, analysis, { target: { macs: 0.5 }, scope: 'inner' });
      expect(plan.scope).toBe('inner');
      applied = pruneModelDetailed(model, plan.remove).applied;
      expect(Object.keys(applied).every((id) => /_conv1$/.test(id))).toBe(true);
    });
    afterAll(() => model.dispose());

    it('matches every residual block output better than surgery alone, on held-out images', async () => {
      const pruned = pruneModelDetailed(model, applied).model;
      const held = toTensor(heldSplit, 32);
      const blocks = ['stage1_block2_add', 'stage2_block2_add', 'stage3_block2_add'];
      const outputsOf = (m: tf.LayersModel) => tf.model({ inputs: m.inputs, outputs: [...blocks.map((b) => m.getLayer(b).output as tf.SymbolicTensor), m.outputs[0]!] }).predict(held) as tf.Tensor[];
      const want = outputsOf(model);
      const before = outputsOf(pruned);
      const report = await expectNoLeak(() => recoverPruned(model, pruned, applied, calib, { method: 'reconstruct', input: RAW_INPUT, imageSize: 32, positions: 16 }));
      const after = outputsOf(pruned);
      expect(report.layers).toHaveLength(9);
      for (const l of report.layers) {
        expect(l.target).toBe('block');
        expect(l.errorAfter).toBeLessThan(l.errorBefore);
      }
      const err = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.sum(tf.square(tf.sub(a, b))).dataSync()[0]! / tf.sum(tf.square(b)).dataSync()[0]!);
      for (let i = 0; i < want.length; i++) expect(err(after[i]!, want[i]!), blocks[i] ?? 'logits').toBeLessThan(0.8 * err(before[i]!, want[i]!));
      // top-1 agreement with the original improves too
      const agree = (a: tf.Tensor) => tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(a, 1), tf.argMax(want.at(-1)!, 1)), 'float32')).dataSync()[0]!);
      expect(agree(after.at(-1)!)).toBeGreaterThan(agree(before.at(-1)!));
      tf.dispose([...want, ...before, ...after, held]);
      pruned.dispose();
    });

    it('recalibrates BatchNorm statistics to the pruned network’s own activations', async () => {
      const pruned = pruneModelDetailed(model, applied).model;
      const report = await expectNoLeak(() => recoverPruned(model, pruned, applied, calib, { method: 'bn', input: RAW_INPUT, imageSize: 32, images: 128 }));
      expect(report.batchNorms).toBe(19);
      expect(report.layers).toEqual([]);
      // the last block's bn1 now holds the mean/variance of its input over the calibration images
      const x = toTensor(calib, 32);
      const conv = tf.model({ inputs: pruned.inputs, outputs: pruned.getLayer('stage3_block2_conv1').output as tf.SymbolicTensor }).predict(x) as tf.Tensor;
      const { mean, variance } = tf.moments(conv, [0, 1, 2]);
      const bn = pruned.getLayer('stage3_block2_bn1').getWeights();
      expect(maxRelDiff(bn[2]!, mean)).toBeLessThan(1e-3);
      expect(maxRelDiff(bn[3]!, variance)).toBeLessThan(1e-3);
      tf.dispose([x, conv, mean, variance]);
      pruned.dispose();
    });

    it('stops on cancel without leaking tensors', async () => {
      const pruned = pruneModelDetailed(model, applied).model;
      const ac = new AbortController();
      await expectNoLeak(async () => {
        await expect(recoverPruned(model, pruned, applied, calib, {
          method: 'reconstruct', input: RAW_INPUT, imageSize: 32, positions: 8, signal: ac.signal,
          onProgress: (p) => { if (p.fraction > 0.2) ac.abort(); },
        })).rejects.toMatchObject({ code: 'cancelled' });
      });
      pruned.dispose();
    });

    it('allocates per-group ratios by reconstruction error under the MACs budget', async () => {
      const graph = buildDependencyGraph(model);
      const analysis = await analyze(model, graph, null, 32, { criterion: 'l1' });
      const a = await expectNoLeak(() => allocateByReconstruction(model, graph, analysis, calib, { input: RAW_INPUT, imageSize: 32, target: { macs: 0.5 }, images: 64, positions: 8 }));
      expect(Object.keys(a.ratios).sort()).toEqual(Object.keys(applied).sort()); // the nine inner groups
      expect(a.macs).toBeLessThanOrEqual(a.baseMacs * 0.5);
      expect(a.macs).toBeGreaterThan(a.baseMacs * 0.48);
      expect(new Set(Object.values(a.ratios).map((r) => r.toFixed(2))).size).toBeGreaterThan(1); // not uniform
      for (const curve of Object.values(a.curves)) {
        expect(curve[0]!.error).toBeLessThan(1e-3); // nothing removed: the system reproduces its own output
        // keeping fewer of the same channels can only fit worse (nested least-squares problems)
        for (let i = 1; i < curve.length; i++) expect(curve[i]!.error).toBeGreaterThanOrEqual(curve[i - 1]!.error - 1e-4);
      }
      const plan = makePlan(model, graph, analysis, { target: { ratios: a.ratios }, scope: 'uniform' });
      expect(plan.macs).toBe(a.macs);
    });

    it('refuses a removal that does not match the pruned model', async () => {
      const pruned = pruneModelDetailed(model, applied).model;
      await expect(recoverPruned(model, pruned, {}, calib, { method: 'bn', input: RAW_INPUT, imageSize: 32 })).rejects.toMatchObject({ code: 'shape-mismatch' });
      pruned.dispose();
    });
  });
});

describe('studio.prune with recovery, studio.reconstruct', () => {
  let ctx: WorkerContext;
  let datasetId: string;
  let baseId: string;
  beforeAll(async () => {
    ctx = createContext(memoryKeyValue());
    const ds = makeDemoDataset({ trainPerClass: 20, testPerClass: 10, seed: 2 });
    datasetId = (await saveDataset(ctx, ds)).id;
    const init = tf.initializers.heNormal({ seed: 5 });
    const inp = tf.input({ shape: [32, 32, 3], name: 'input' });
    let x = tf.layers.rescaling({ scale: 1 / 255, name: 'scale' }).apply(inp) as tf.SymbolicTensor;
    x = tf.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: init, name: 'c1' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: 'b1' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ name: 'r1' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: init, name: 'c2' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: 'b2' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ name: 'r2' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 10, kernelInitializer: init, name: 'logits' }).apply(x) as tf.SymbolicTensor;
    const m = tf.model({ inputs: inp, outputs: out });
    setStudioMeta(m, { arch: 'test-cnn', classes: ds.info.classes, input: { ...RAW_INPUT }, lineage: [] });
    baseId = (await saveModel(ctx, m, { name: 'cnn' })).id;
  });

  it('recovers by default when a dataset is given, records what was removed, and reconstruct() re-recovers it', async () => {
    const r = await prune(ctx, baseId, datasetId, { criterion: 'l1', target: { macs: 0.4 }, evaluate: true, evalLimit: 50, calibrationImages: 64 }, {});
    expect(r.plan?.scope).toBe('error'); // auto + reconstruction: allocated by measured reconstruction error
    expect(r.plan?.scopeReason).toMatch(/^auto: per-group ratios allocated by measured reconstruction error/);
    expect(1 - r.model.macs / (await modelRecord(ctx, baseId)).macs).toBeGreaterThanOrEqual(0.39);
    expect(r.recover?.method).toBe('reconstruct');
    expect(r.recover?.layers.map((l) => l.layer)).toEqual(['c2', 'logits']);
    expect(r.model.pruning?.from).toBe(baseId);
    expect(r.top1BeforeRecover).toBeTypeOf('number');
    expect(r.model.lineage.at(-1)).toMatch(/reconstructed from 64 images/);
    const none = await prune(ctx, baseId, datasetId, { criterion: 'l1', target: { macs: 0.4 }, recover: 'none' }, {});
    expect(none.recover).toBeUndefined();
    const again = await reconstruct(ctx, none.model.id, baseId, datasetId, { method: 'bn', calibrationImages: 32, evaluate: true, evalLimit: 50 }, {});
    expect(again.model.parentId).toBe(none.model.id);
    expect(again.recover.batchNorms).toBe(2);
    expect(again.top1After).toBeTypeOf('number');
    await expect(reconstruct(ctx, none.model.id, r.model.id, datasetId, {}, {})).rejects.toMatchObject({ code: 'bad-input' });
    await expect(reconstruct(ctx, baseId, baseId, datasetId, {}, {})).rejects.toMatchObject({ code: 'bad-input' });
  });

  it('stores nothing when cancelled during recovery', async () => {
    const before = (await listModels(ctx)).length;
    const ac = new AbortController();
    await expect(prune(ctx, baseId, datasetId, { criterion: 'l1', target: { macs: 0.4 }, calibrationImages: 128 }, {
      signal: ac.signal, onProgress: (p) => { if (p.phase === 'reconstruct') ac.abort(); },
    })).rejects.toMatchObject({ code: 'cancelled' });
    expect((await listModels(ctx)).length).toBe(before);
  });
});
