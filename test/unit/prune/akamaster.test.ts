import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDependencyGraph } from '../../../src/engine/graph';
import type { DependencyGraph } from '../../../src/engine/graph/types';
import { countModel } from '../../../src/engine/metrics/count';
import { pruneModel } from '../../../src/engine/prune';
import { loadAkamaster, losslessImages } from '../models/akamaster';
import { expectNoLeak } from '../../helpers/leak';
import { withBackend } from '../../helpers/wasm';
import { checkExact, expectSameOutputs, randomRemoval } from './helpers';

const loadResnet20 = () => loadAkamaster(20);
const cifar = losslessImages;

describe('akamaster resnet20', () => {
  let model: tf.LayersModel;
  let graph: DependencyGraph;
  beforeAll(async () => {
    model = await loadResnet20();
    graph = buildDependencyGraph(model);
  });
  afterAll(() => model.dispose());

  it('finds the residual and block-internal groups', () => {
    const byId = new Map(graph.groups.map((g) => [g.id, g]));
    const input = graph.groups[0];
    expect(input.prunable).toBe(false);
    expect(input.reason).toMatch(/model input/);
    expect(input.members).toEqual(expect.arrayContaining([{ layer: 'normalize', role: 'passthrough', offset: 0 }, { layer: 'stem_conv', role: 'consumer', offset: 0 }]));
    const s1 = byId.get('stem_conv')!;
    expect(s1).toMatchObject({ channels: 16, prunable: true });
    expect(s1.fixedProducers).toBeUndefined();
    expect(s1.producers).toEqual(['stem_conv', 'stage1_block0_conv2', 'stage1_block1_conv2', 'stage1_block2_conv2']);
    expect(s1.bnLayers.sort()).toEqual(['stage1_block0_bn2', 'stage1_block1_bn2', 'stage1_block2_bn2', 'stem_bn']);
    expect(s1.capture.map((c) => c.layer).sort()).toEqual(['stage1_block0_relu2', 'stage1_block1_relu2', 'stage1_block2_relu2', 'stem_relu']);
    expect(s1.members).toEqual(expect.arrayContaining([{ layer: 'stage2_block0_shortcut', role: 'consumer', offset: 0 }]));
    for (const s of [2, 3]) {
      const res = graph.groups.find((g) => g.producers.includes(`stage${s}_block0_shortcut`))!;
      expect(res.channels).toBe(16 * 2 ** (s - 1));
      expect(res.producers.sort()).toEqual([`stage${s}_block0_conv2`, `stage${s}_block0_shortcut`, `stage${s}_block1_conv2`, `stage${s}_block2_conv2`].sort());
      expect(res.prunable).toBe(true);
      expect(res.fixedProducers).toEqual([`stage${s}_block0_shortcut`]);
    }
    for (let s = 1; s <= 3; s++)
      for (let j = 0; j < 3; j++) {
        const g = byId.get(`stage${s}_block${j}_conv1`)!;
        expect(g).toMatchObject({ prunable: true, producers: [`stage${s}_block${j}_conv1`], bnLayers: [`stage${s}_block${j}_bn1`] });
        expect(g.capture).toEqual([{ layer: `stage${s}_block${j}_relu1`, offset: 0 }]);
      }
    expect(byId.get('logits')!.prunable).toBe(false);
    expect(graph.groups.filter((g) => g.prunable)).toHaveLength(12);
  });

  it('prunes exactly on real images (wasm), keeps the 0/1 shortcut fixed, keeps metadata', async () => {
    const x = cifar(4);
    const remove = await withBackend('wasm', () => checkExact(model, { seed: 11, inputs: [x] }));
    const pruned = pruneModel(model, remove);
    const counted = countModel(pruned);
    expect(counted.layers.find((l) => l.name === 'stage2_block0_shortcut')?.fixed).toBe(true);
    expect(pruned.getUserDefinedMetadata()).toEqual(model.getUserDefinedMetadata());
    const k = (pruned.getLayer('stage2_block0_shortcut') as tf.layers.Layer).getWeights()[0];
    const kd = k.dataSync();
    expect([...new Set(kd)].sort()).toEqual([0, 1]);
    expect(pruned.getLayer('stage2_block0_shortcut').trainable).toBe(false);
    expect(pruned.getLayer('normalize').trainable).toBe(false);
    pruned.dispose();
    x.dispose();
  });

  it('prunes twice in a row, then survives save + reload', async () => {
    const x = cifar(2);
    await expectNoLeak(async () => {
      const once = pruneModel(model, randomRemoval(graph, 3, 0.25));
      const g1 = buildDependencyGraph(once);
      const twice = pruneModel(once, randomRemoval(g1, 4, 0.25));
      expect(twice.countParams()).toBeLessThan(once.countParams());
      let artifacts: tf.io.ModelArtifacts | undefined;
      await twice.save(tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }));
      const reloaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
      expectSameOutputs(reloaded, twice, [x], 1e-6);
      expect(reloaded.getUserDefinedMetadata()).toEqual(model.getUserDefinedMetadata());
      once.dispose();
      twice.dispose();
      reloaded.dispose();
    });
    x.dispose();
  });
});
