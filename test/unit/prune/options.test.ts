import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildDependencyGraph } from '../../../src/engine/graph';
import { countAfterPruning, pruneModel, resolveRemoval } from '../../../src/engine/prune';
import { isStudioError } from '../../../src/engine/errors';
import { expectNoLeak } from '../../helpers/leak';
import * as G from './graphs';
import { expectSameOutputs, randomInputs, randomRemoval, zeroedCopy } from './helpers';

type Sym = tf.SymbolicTensor;
const ap = (l: tf.layers.Layer, x: Sym | Sym[]): Sym => l.apply(x) as Sym;
const filters = (m: tf.LayersModel, name: string) => (m.getLayer(name) as tf.layers.Layer).getConfig().filters;

function throwsStudio(fn: () => unknown, re: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(isStudioError(e)).toBe(true);
    expect((e as Error).message).toMatch(re);
    return;
  }
  throw new Error('expected a StudioError');
}

describe('prune options', () => {
  it('roundTo rounds the kept count up by dropping the end of the remove list', () => {
    const m = G.nestedResiduals();
    const graph = buildDependencyGraph(m);
    const applied = resolveRemoval(graph, { b1_conv1: [5, 4, 3, 2, 1] }, { roundTo: 4 });
    expect(applied).toEqual({ b1_conv1: [5, 4] }); // 6 - 5 = 1 kept -> 4 kept
    const pruned = pruneModel(m, { b1_conv1: [5, 4, 3, 2, 1] }, { roundTo: 4 });
    expect(filters(pruned, 'b1_conv1')).toBe(4);
    expect(resolveRemoval(graph, { b1_conv1: [0, 0, 1] })).toEqual({ b1_conv1: [0, 1] });
    expect(resolveRemoval(graph, { b1_conv1: [0, 1, 2, 3, 4, 5] }, { minChannels: 0 })).toEqual({ b1_conv1: [0, 1, 2, 3, 4] });
    pruned.dispose();
    m.dispose();
  });

  it('protect leaves the groups touching a layer untouched', () => {
    const m = G.nestedResiduals();
    const graph = buildDependencyGraph(m, { protect: ['b2_bn2'] });
    expect(graph.groups.find((g) => g.id === 'stem')!.reason).toMatch(/protected layer b2_bn2/);
    const pruned = pruneModel(m, { stem: [0, 1], b1_conv1: [0] }, { protect: ['b2_bn2'] });
    expect(filters(pruned, 'stem')).toBe(8);
    expect(filters(pruned, 'b2_conv2')).toBe(8);
    expect(filters(pruned, 'b1_conv1')).toBe(5);
    pruned.dispose();
    m.dispose();
  });

  it('rejects bad removals with specific messages', () => {
    const m = G.flattenDense();
    throwsStudio(() => pruneModel(m, { nope: [0] }), /Unknown channel group "nope"/);
    throwsStudio(() => pruneModel(m, { a: [5] }), /Channel 5 is out of range for group "a" \(5 channels\)/);
    throwsStudio(() => pruneModel(m, { a: [1.5] }), /out of range/);
    throwsStudio(() => pruneModel(m, { logits: [0] }), /cannot be pruned: model output units/);
    const graph = buildDependencyGraph(m);
    throwsStudio(() => countAfterPruning(m, graph, { a: 9 }), /cannot keep 9 of 5/);
    const other = G.flattenDense();
    throwsStudio(() => countAfterPruning(other, graph, {}), /different model/);
    other.dispose();
    m.dispose();
  });

  it('copies userDefinedMetadata and keeps layer names', () => {
    const m = G.selfConcat();
    m.setUserDefinedMetadata({ studio: { arch: 'x', classes: ['a'] }, other: [1, 2] });
    const pruned = pruneModel(m, { a: [1] });
    expect(pruned.getUserDefinedMetadata()).toEqual(m.getUserDefinedMetadata());
    expect(pruned.layers.map((l) => l.name)).toEqual(m.layers.map((l) => l.name));
    expect(pruned.name).toBe(m.name);
    pruned.dispose();
    m.dispose();
  });

  it('slices exactly the kept weights (depthwise multiplier blocks, separable rows, PReLU alpha, BN)', () => {
    const m = G.depthwiseAfterConcat();
    const pruned = pruneModel(m, { a: [1], sep: [0, 5] });
    const w = (model: tf.LayersModel, layer: string, i: number) => (model.getLayer(layer) as tf.layers.Layer).getWeights()[i].arraySync();
    // concat channels: a0 a1 a2 a3 b0 b1 b2 -> a1 removed is concat position 1
    const keptCh = [0, 2, 3, 4, 5, 6];
    const dwOld = w(m, 'dw', 0) as number[][][][];
    const dwNew = w(pruned, 'dw', 0) as number[][][][];
    expect(dwNew[1][2]).toEqual(keptCh.map((c) => dwOld[1][2][c]));
    const biasOld = w(m, 'dw', 1) as number[];
    const keptDwOut = keptCh.flatMap((c) => [2 * c, 2 * c + 1]);
    expect(w(pruned, 'dw', 1)).toEqual(keptDwOut.map((p) => biasOld[p]));
    expect(w(pruned, 'dw_bn', 2)).toEqual(keptDwOut.map((p) => (w(m, 'dw_bn', 2) as number[])[p]));
    // separable: depthwise over 14 inputs (mult 2) -> 12; pointwise rows 28 -> 24, cols 6 -> 4
    const pwOld = w(m, 'sep', 1) as number[][][][];
    const pwNew = w(pruned, 'sep', 1) as number[][][][];
    const keptSepIn = keptDwOut;
    const rows = keptSepIn.flatMap((p) => [2 * p, 2 * p + 1]);
    expect(pwNew[0][0]).toEqual(rows.map((r) => [1, 2, 3, 4].map((c) => pwOld[0][0][r][c])));
    const alphaOld = w(m, 'prelu', 0) as number[][][];
    expect((w(pruned, 'prelu', 0) as number[][][])[3][4]).toEqual([1, 2, 3, 4].map((c) => alphaOld[3][4][c]));
    pruned.dispose();
    m.dispose();
  });

  it('separable conv with multiplier 2 survives save + reload after pruning', async () => {
    const m = G.depthwiseAfterConcat();
    const xs = randomInputs(m, 2, 1);
    await expectNoLeak(async () => {
      const pruned = pruneModel(m, { b: [0], sep: [1] });
      let art: tf.io.ModelArtifacts | undefined;
      await pruned.save(tf.io.withSaveHandler(async (a) => {
        art = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }));
      const back = await tf.loadLayersModel(tf.io.fromMemory(art!));
      expectSameOutputs(back, pruned, xs, 1e-6);
      pruned.dispose();
      back.dispose();
    });
    tf.dispose(xs);
    m.dispose();
  });
});

describe('graph structure of other layers', () => {
  it('shared conv couples its inputs; non-channel concat couples; LayerNorm/Softmax/Dense on rank 3', () => {
    const x = tf.input({ shape: [6, 6, 3], name: 'input' });
    const a = ap(G.conv('a', 4), x);
    const b = ap(G.conv('b', 4), x);
    const shared = G.conv('shared', 5);
    const sa = ap(shared, a);
    const sb = ap(shared, b);
    const vcat = ap(tf.layers.concatenate({ name: 'vcat', axis: 1 }), [sa, sb]); // [12, 6, 5]
    const ln = ap(tf.layers.layerNormalization({ name: 'ln' }), vcat);
    const sm = ap(tf.layers.softmax({ name: 'sm', axis: -1 }), ap(G.conv('c', 3), ln));
    const r = ap(tf.layers.reshape({ name: 'r', targetShape: [72, 3] }), sm);
    const d = ap(G.dense('d', 4), r);
    const sm1 = ap(tf.layers.activation({ name: 'sm1', activation: 'tanh' }), d);
    const out = ap(G.dense('out', 2), ap(tf.layers.globalAveragePooling1d({ name: 'gap' }), sm1));
    const m = tf.model({ inputs: x, outputs: out });
    const groups = new Map(buildDependencyGraph(m).groups.map((g) => [g.id, g]));
    expect(groups.get('a')!.producers).toEqual(['a', 'b']);
    expect(groups.get('a')!.prunable).toBe(true);
    expect(groups.get('shared')!.members).toEqual(expect.arrayContaining([{ layer: 'ln', role: 'passthrough', offset: 0 }]));
    expect(groups.get('shared')!.prunable).toBe(true);
    expect(groups.get('c')!.reason).toMatch(/softmax over the channels of sm/);
    expect(groups.get('d')!.prunable).toBe(true);
    const pruned = pruneModel(m, { a: [0], shared: [1, 3], d: [2] });
    expect((pruned.getLayer('ln') as tf.layers.Layer).getWeights()[0].shape).toEqual([3]);
    expect(filters(pruned, 'shared')).toBe(3);
    expect((pruned.getLayer('shared') as tf.layers.Layer).getWeights()[0].shape).toEqual([3, 3, 3, 3]);
    expect((pruned.getLayer('d') as tf.layers.Layer).getWeights()[0].shape).toEqual([3, 3]);
    const y = tf.tidy(() => (pruned.predict(tf.ones([1, 6, 6, 3])) as tf.Tensor).shape);
    expect(y).toEqual([1, 2]);
    pruned.dispose();
    m.dispose();
  });

  it('zeroed-reference check catches a wrong surgery (the test can fail)', () => {
    const m = G.flattenDense();
    const graph = buildDependencyGraph(m);
    const remove = randomRemoval(graph, 2);
    const xs = randomInputs(m, 2, 2);
    const pruned = pruneModel(m, remove);
    // reference zeroing different channels must NOT match
    const wrong: Record<string, number[]> = { a: remove.a.map((c) => (c + 1) % 5) };
    const ref = zeroedCopy(m, graph, { ...remove, ...wrong });
    const ya = pruned.predict(xs[0]) as tf.Tensor;
    const yb = ref.predict(xs[0]) as tf.Tensor;
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(ya, yb))).dataSync()[0])).toBeGreaterThan(1e-4);
    tf.dispose([ya, yb, ...xs]);
    pruned.dispose();
    ref.dispose();
    m.dispose();
  });
});
