import type * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDependencyGraph } from '../../../src/engine/graph';
import type { DependencyGraph } from '../../../src/engine/graph/types';
import { analyze, type Analysis } from '../../../src/engine/importance/analyze';
import { countModel } from '../../../src/engine/metrics/count';
import { makePlan } from '../../../src/engine/plan/planner';
import { pruneModel } from '../../../src/engine/prune';
import { expectNoLeak } from '../../helpers/leak';
import { withBackend } from '../../helpers/wasm';
import { loadAkamaster, loadCifarRecords } from '../models/akamaster';
import { ratiosForTarget, sensitivity, type Sensitivity } from '../../../src/engine/plan/sensitivity';
import { top1 } from '../../../src/engine/plan/top1';

describe('makePlan on akamaster resnet20', () => {
  let model: tf.LayersModel;
  let graph: DependencyGraph;
  let l1: Analysis;
  beforeAll(async () => {
    model = await loadAkamaster(20);
    graph = buildDependencyGraph(model);
    l1 = await analyze(model, graph, null, 32, { criterion: 'l1' });
  });
  afterAll(() => model.dispose());

  const removedFraction = (p: { macs: number; baseMacs: number }) => 1 - p.macs / p.baseMacs;

  for (const scope of ['uniform', 'global'] as const) {
    for (const target of [0.3, 0.5, 0.7]) {
      it(`${scope}: meets a ${target * 100}% MACs target within 1%`, async () => {
        const plan = await expectNoLeak(() => makePlan(model, graph, l1, { target: { macs: target }, scope }));
        const f = removedFraction(plan);
        expect(f).toBeGreaterThanOrEqual(target);
        expect(f).toBeLessThan(target + 0.01);
        expect(plan.warnings).toEqual([]);
        for (const ratio of Object.values(plan.ratios)) expect(ratio).toBeLessThanOrEqual(0.9);
        for (const id of Object.keys(plan.keep)) {
          const g = graph.groups.find((x) => x.id === id)!;
          expect([...plan.keep[id]!, ...plan.remove[id]!].sort((a, b) => a - b)).toEqual(Array.from({ length: g.channels }, (_, i) => i));
        }
      });
    }
  }

  it('uniform keeps ratios within one channel of each other per group size', () => {
    const plan = makePlan(model, graph, l1, { target: { macs: 0.4 }, scope: 'uniform' });
    const bySize = new Map<number, number[]>();
    for (const [id, r] of Object.entries(plan.ratios)) {
      const n = graph.groups.find((g) => g.id === id)!.channels;
      bySize.set(n, [...(bySize.get(n) ?? []), Math.round(r * n)]);
    }
    for (const counts of bySize.values()) expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });

  it('removes the lowest-scored channels of each group first', () => {
    const plan = makePlan(model, graph, l1, { target: { macs: 0.5 }, scope: 'global' });
    for (const g of l1.groups) {
      const removed = plan.remove[g.id]!;
      const kept = plan.keep[g.id]!;
      if (!removed.length) continue;
      const maxRemoved = Math.max(...removed.map((c) => g.scores[c]!));
      const minKept = Math.min(...kept.map((c) => g.scores[c]!));
      expect(maxRemoved).toBeLessThanOrEqual(minKept);
    }
  });

  it('params target, roundTo, minChannels, protect', () => {
    const plan = makePlan(model, graph, l1, { target: { params: 0.4 }, scope: 'global', roundTo: 4, minChannels: 8, protect: ['stage3_block0_conv2'] });
    const f = 1 - plan.params / plan.baseParams;
    expect(f).toBeGreaterThanOrEqual(0.4);
    expect(f).toBeLessThan(0.41);
    for (const [id, keep] of Object.entries(plan.keep)) {
      expect(keep.length % 4).toBe(0);
      expect(keep.length).toBeGreaterThanOrEqual(8);
      expect(id).not.toBe('stage3_block0_conv2');
    }
  });

  it('explicit ratios by layer name or group id, and ratios scaled to a target', () => {
    const plan = makePlan(model, graph, l1, { target: { ratios: { stage1_block0_conv1: 0.5, stage2_block1_conv1: 0.25 } }, scope: 'uniform' });
    expect(plan.remove['stage1_block0_conv1']!.length).toBe(8);
    expect(plan.remove['stage2_block1_conv1']!.length).toBe(8);
    expect(plan.remove['stem_conv']!.length).toBe(0);
    const byLayer = makePlan(model, graph, l1, { target: { ratios: { stage2_block2_conv2: 0.5 } }, scope: 'uniform' });
    expect(byLayer.remove['stage2_block0_conv2']!.length).toBe(16);
    expect(() => makePlan(model, graph, l1, { target: { ratios: { nope: 0.5 } }, scope: 'uniform' })).toThrow(/nope/);
    const scaled = makePlan(model, graph, l1, { target: { macs: 0.2, ratios: { stage1_block0_conv1: 1, stage2_block0_conv1: 0.5, stage3_block0_conv1: 0.5, stage3_block1_conv1: 1, stage3_block2_conv1: 1 } }, scope: 'uniform' });
    expect(removedFraction(scaled)).toBeGreaterThanOrEqual(0.2);
    expect(removedFraction(scaled)).toBeLessThan(0.21);
    expect(scaled.remove['stem_conv']!.length).toBe(0);
  });

  it('warns when the target is out of reach', () => {
    const plan = makePlan(model, graph, l1, { target: { macs: 0.95 }, scope: 'uniform', maxRatio: 0.5 });
    expect(plan.warnings.length).toBeGreaterThan(0);
    for (const r of Object.values(plan.ratios)) expect(r).toBeLessThanOrEqual(0.5);
  });

  it('the pruned model has the MACs the plan predicted', async () => {
    const plan = makePlan(model, graph, l1, { target: { macs: 0.5 }, scope: 'global' });
    const pruned = await expectNoLeak(() => {
      const p = pruneModel(model, plan.remove);
      const c = countModel(p);
      p.dispose();
      return c;
    });
    expect(pruned.macs).toBe(plan.macs);
    expect(plan.baseMacs).toBe(countModel(model).macs);
  });

  it('sensitivity: curves per group, top-1 loop, no leaks; curves → ratios meeting a MACs target', async () => {
    const rec = loadCifarRecords();
    const n = 16;
    const split = { count: n, images: Uint8Array.from(rec.x.subarray(0, n * 32 * 32 * 3)), labels: Uint16Array.from(rec.labels.subarray(0, n)) };
    await withBackend('wasm', async () => {
      const base = await expectNoLeak(() => top1(model, split, 32, { batchSize: 16 }));
      expect(base).toBeGreaterThan(0.7); // resnet20 is ~91% on these images
      const seen: number[] = [];
      const sens = await expectNoLeak(() =>
        sensitivity(model, graph, l1, split, 32, { images: n, ratios: [0.5, 0.9], groups: ['stem_conv'], onProgress: (p) => seen.push(p.fraction) }),
      );
      expect(sens.baseTop1).toBe(base);
      expect(Object.keys(sens.curves)).toEqual(['stem_conv']);
      for (const c of Object.values(sens.curves)) expect(c.map((p) => p.ratio)).toEqual([0.5, 0.9]);
      expect(sens.curves['stem_conv']![1]!.top1).toBeLessThan(base); // 90% of the residual stage-1 channels gone
      expect(seen[seen.length - 1]).toBe(1);
    });
    // synthetic curves: conv1 groups robust, residual groups fragile
    const curves: Sensitivity['curves'] = {};
    for (const g of l1.groups) {
      const robust = g.id.endsWith('conv1');
      curves[g.id] = [0.25, 0.5, 0.75].map((r) => ({ ratio: r, top1: 0.9 - (robust ? 0.02 : 0.3) * r }));
    }
    const ratios = ratiosForTarget(model, graph, { baseTop1: 0.9, images: 100, curves }, 0.3);
    const plan = makePlan(model, graph, l1, { target: { ratios }, scope: 'uniform' });
    expect(removedFraction(plan)).toBeGreaterThanOrEqual(0.3);
    expect(ratios['stage1_block0_conv1']!).toBeGreaterThan(ratios['stem_conv']!);
  });
});
