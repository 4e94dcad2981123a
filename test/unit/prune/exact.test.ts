import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildDependencyGraph } from '../../../src/engine/graph';
import { pruneModel, resolveRemoval } from '../../../src/engine/prune';
import { expectNoLeak } from '../../helpers/leak';
import * as G from './graphs';
import { checkExact, expectSameOutputs, randomInputs, zeroedCopy } from './helpers';

const byId = (model: tf.LayersModel) => new Map(buildDependencyGraph(model).groups.map((g) => [g.id, g]));

describe('pruneModel exactness on odd graphs', () => {
  it('self-concat concat([a, a])', async () => {
    const m = G.selfConcat();
    const groups = byId(m);
    const a = groups.get('a')!;
    expect(a.channels).toBe(4);
    expect(a.prunable).toBe(true);
    expect(a.members).toEqual(expect.arrayContaining([
      { layer: 'cat', role: 'passthrough', offset: 0 },
      { layer: 'cat', role: 'passthrough', offset: 4 },
      { layer: 'b', role: 'consumer', offset: 0 },
      { layer: 'b', role: 'consumer', offset: 4 },
    ]));
    expect(a.capture).toEqual([{ layer: 'cat', offset: 0 }]);
    expect(a.bnLayers).toEqual(['a_bn']);
    await checkExact(m);
    m.dispose();
  });

  it('concat feeding an add splits the add partner into two groups', async () => {
    const m = G.concatIntoAdd();
    const groups = byId(m);
    expect(groups.get('a')).toMatchObject({ channels: 4, producers: ['a', 'c'], prunable: true });
    expect(groups.get('b')).toMatchObject({ channels: 3, producers: ['b', 'c'], prunable: true });
    expect(groups.get('b')!.members).toEqual(expect.arrayContaining([{ layer: 'c', role: 'producer', offset: 4 }]));
    expect(groups.get('a')!.capture).toEqual([{ layer: 's_relu', offset: 0 }]);
    await checkExact(m);
    m.dispose();
  });

  it('depthwise (multiplier 2) after concat, separable conv, PReLU', async () => {
    const m = G.depthwiseAfterConcat();
    const groups = byId(m);
    expect(groups.get('a')!.channels).toBe(4);
    expect(groups.get('b')!.channels).toBe(3);
    expect(groups.get('a')!.bnLayers).toEqual(['dw_bn']);
    expect(groups.get('sep')!.channels).toBe(6);
    await checkExact(m);
    m.dispose();
  });

  it('nested residuals couple stem and both blocks', async () => {
    const m = G.nestedResiduals();
    const groups = byId(m);
    const res = groups.get('stem')!;
    expect(res.producers).toEqual(['stem', 'b1_conv2', 'b2_conv2']);
    expect(res.bnLayers.sort()).toEqual(['b1_bn2', 'b2_bn2', 'stem_bn']);
    expect(res.capture.map((c) => c.layer).sort()).toEqual(['b1_relu2', 'outer_add', 'stem_relu']);
    expect(groups.get('b1_conv1')!.capture).toEqual([{ layer: 'b1_relu1', offset: 0 }]);
    await checkExact(m);
    m.dispose();
  });

  it('flatten -> dense (channel-fastest rows)', async () => {
    const m = G.flattenDense();
    const groups = byId(m);
    expect(groups.get('a')!.channels).toBe(5);
    expect(groups.get('hidden')!.channels).toBe(7);
    expect(groups.get('logits')!.prunable).toBe(false);
    await checkExact(m);
    m.dispose();
  });

  it('multiple outputs', async () => {
    const m = G.multiOutput();
    const groups = byId(m);
    expect(groups.get('h1_logits')!.reason).toMatch(/model output/);
    expect(groups.get('h2_logits')!.reason).toMatch(/model output/);
    await checkExact(m);
    m.dispose();
  });

  it('unsupported layers block only their neighbours', async () => {
    const m = G.unsupportedMiddle();
    const groups = byId(m);
    expect(groups.get('a')!.prunable).toBe(false);
    expect(groups.get('a')!.reason).toMatch(/times_two of class TimesTwo/);
    expect(groups.get('b')!.prunable).toBe(false);
    expect(groups.get('b')!.reason).toMatch(/perm of class Permute/);
    expect(groups.get('c')!.prunable).toBe(true);
    expect(groups.get('d')!.prunable).toBe(true);
    await checkExact(m);
    m.dispose();
  });

  it('Sequential model with padding, LeakyReLU, ELU, flatten', async () => {
    const m = G.sequentialModel();
    const groups = byId(m);
    expect(groups.get('c1')!.prunable).toBe(true);
    expect(groups.get('c2')!.prunable).toBe(true);
    const remove = await checkExact(m);
    const pruned = pruneModel(m, remove);
    expect(pruned).toBeInstanceOf(tf.Sequential);
    pruned.dispose();
    m.dispose();
  });

  it('nested functional and Sequential models stay nested', async () => {
    const m = G.nestedModel();
    const groups = byId(m);
    expect(groups.get('a')!.members).toEqual(expect.arrayContaining([{ layer: 'inner_conv', role: 'consumer', offset: 0 }]));
    expect(groups.get('inner_conv')!.members).toEqual(expect.arrayContaining([{ layer: 'seq_conv', role: 'consumer', offset: 0 }]));
    const remove = await checkExact(m);
    const pruned = pruneModel(m, remove);
    expect(pruned.layers.map((l) => l.name)).toEqual(m.layers.map((l) => l.name));
    expect(pruned.getLayer('inner_block')).toBeInstanceOf(tf.LayersModel);
    pruned.dispose();
    m.dispose();
  });

  it('merges, cropping, upsampling, pooling, Conv2DTranspose, reshape keeping channels, Conv1D', async () => {
    const m = G.layerZoo();
    const groups = byId(m);
    const a = groups.get('a')!;
    expect(a.producers).toEqual(['a', 'b']);
    expect(a.prunable).toBe(true);
    expect(groups.get('c')!.prunable).toBe(true);
    expect(groups.get('tconv')!.prunable).toBe(true);
    expect(groups.get('conv1d')!.prunable).toBe(true);
    await checkExact(m);
    m.dispose();
  });

  it('a branch pruned to its minimum keeps minChannels', async () => {
    const m = G.concatIntoAdd();
    const graph = buildDependencyGraph(m);
    const all = (id: string) => Array.from({ length: graph.groups.find((g) => g.id === id)!.channels }, (_, i) => i);
    const remove = { a: all('a'), d: all('d') };
    const xs = randomInputs(m, 2, 3);
    await expectNoLeak(() => {
      const p1 = pruneModel(m, remove);
      expect((p1.getLayer('a') as tf.layers.Layer).getConfig().filters).toBe(1);
      expect((p1.getLayer('c') as tf.layers.Layer).getConfig().filters).toBe(4);
      expect((p1.getLayer('d') as tf.layers.Layer).getConfig().filters).toBe(1);
      const ref = zeroedCopy(m, graph, resolveRemoval(graph, remove));
      expectSameOutputs(p1, ref, xs);
      const p3 = pruneModel(m, remove, { minChannels: 3 });
      expect((p3.getLayer('d') as tf.layers.Layer).getConfig().filters).toBe(3);
      p1.dispose();
      p3.dispose();
      ref.dispose();
    });
    xs.forEach((x) => x.dispose());
    m.dispose();
  });
});
