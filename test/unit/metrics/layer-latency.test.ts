/**
 * Latency-aware planning: the per-layer latency table (measurement, interpolation) and the planner's time targets,
 * on synthetic tables (deterministic: no timing is asserted) and on one real measurement (shape and leaks only).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/api/worker/context';
import { saveModel } from '../../../src/api/worker/models';
import { analyze, latencyTable, plan } from '../../../src/api/worker/pruning';
import { isStudioError } from '../../../src/engine/errors';
import { buildDependencyGraph } from '../../../src/engine/graph';
import type { Analysis } from '../../../src/engine/importance/analyze';
import { layerTimeAt, measureLayerLatency, type LatencyTable, type LayerLatency } from '../../../src/engine/metrics/layer-latency';
import { createZooModel } from '../../../src/engine/models/zoo/index';
import { LatencyEstimator } from '../../../src/engine/plan/latency-estimate';
import { makePlan } from '../../../src/engine/plan/planner';
import { layerWidthForms, widthOf } from '../../../src/engine/prune/cost';
import { memoryKeyValue } from '../../../src/engine/storage/kv';

const model = createZooModel('resnet20', { numClasses: 10, inputSize: 32, seed: 3 });
const graph = buildDependencyGraph(model);
const full = Float64Array.from(graph.groups, (g) => g.channels);

/** A table whose layer time is perMac(layer) · cin · cout on a 5-point grid, plus a fixed part. */
function syntheticTable(perMac: (name: string) => number, fixedMs = 1): LatencyTable {
  const layers: LayerLatency[] = [];
  for (const f of layerWidthForms(model, graph)) {
    const cin = Math.round(widthOf(f.inForm, full));
    const cout = Math.round(widthOf(f.outForm, full));
    const varIn = [...f.inForm.groups].some((g) => graph.groups[g]!.prunable);
    const varOut = [...f.outForm.groups].some((g) => graph.groups[g]!.prunable);
    if (!varIn && !varOut) continue;
    const grid = (n: number, v: boolean) => (v ? [0.2, 0.4, 0.6, 0.8, 1].map((x) => Math.max(1, Math.round(x * n))) : [n]);
    const cinGrid = grid(cin, varIn);
    const coutGrid = grid(cout, varOut);
    layers.push({ name: f.name, className: f.className, cin, cout, cinGrid, coutGrid, ms: cinGrid.map((a) => coutGrid.map((b) => perMac(f.name) * a * b)) });
  }
  const sum = layers.reduce((s, l) => s + perMac(l.name) * l.cin * l.cout, 0);
  return { backend: 'test', batch: 1, wholeMs: sum + fixedMs, deployMs: sum + fixedMs, deployForm: 'optimized', fullSumMs: sum, scale: 1, probe: { measuredMs: 0, predictedSavingMs: 0, measuredSavingMs: 0 }, fixedMs, coverage: sum / (sum + fixedMs), layers, cases: 0, measureMs: 0, measuredAt: 0 };
}

/** Equal scores everywhere, so only time decides. */
function flatAnalysis(): Analysis {
  return { criterion: 'l1', groups: graph.groups.filter((g) => g.prunable).map((g) => ({ id: g.id, layers: [], channels: g.channels, scores: Array.from({ length: g.channels }, (_, i) => 1 + i * 1e-3) })), warnings: [], images: 0, ms: 0, workers: 1 };
}

const innerOf = (stage: number) => graph.groups.filter((g) => g.id.startsWith(`stage${stage}_`) && g.id.endsWith('conv1'));
const meanRatio = (ratios: Record<string, number>, ids: string[]) => ids.reduce((s, id) => s + (ratios[id] ?? 0), 0) / ids.length;

describe('latency table', () => {
  it('interpolates bilinearly on its grid and clamps outside it', () => {
    const l: LayerLatency = { name: 'x', className: 'Conv2D', cin: 8, cout: 8, cinGrid: [2, 8], coutGrid: [4, 8], ms: [[1, 2], [3, 6]] };
    expect(layerTimeAt(l, 8, 8)).toBe(6);
    expect(layerTimeAt(l, 2, 4)).toBe(1);
    expect(layerTimeAt(l, 5, 6)).toBeCloseTo(0.25 * 1 + 0.25 * 2 + 0.25 * 3 + 0.25 * 6);
    expect(layerTimeAt(l, 1, 1)).toBe(1); // below the grid: the smallest measured width
    expect(layerTimeAt({ ...l, coutGrid: [8], ms: [[1], [3]] }, 5, 3)).toBe(2);
  });

  it('is measured for every layer pruning can narrow, monotone in width, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const t = await measureLayerLatency(model, graph, { rounds: 1, budgetMs: 1 });
    expect(tf.memory().numTensors).toBe(before);
    const convs = model.layers.filter((l) => l.getClassName() === 'Conv2D' && l.trainable).map((l) => l.name);
    expect(t.layers.map((l) => l.name).sort()).toEqual([...convs, 'logits'].sort());
    for (const l of t.layers) {
      for (let i = 0; i < l.ms.length; i++) for (let j = 0; j < l.ms[i]!.length; j++) {
        expect(l.ms[i]![j]).toBeGreaterThan(0);
        if (i > 0) expect(l.ms[i]![j]).toBeGreaterThanOrEqual(l.ms[i - 1]![j]!);
        if (j > 0) expect(l.ms[i]![j]).toBeGreaterThanOrEqual(l.ms[i]![j - 1]!);
      }
    }
    const inner = t.layers.find((l) => l.name === 'stage2_block1_conv1')!;
    expect(inner.cinGrid.length).toBeGreaterThan(1); // block input: the residual stream is prunable under 'uniform'
    expect(t.wholeMs).toBeGreaterThan(0);
    expect(t.fixedMs).toBeGreaterThanOrEqual(0);
    expect(t.cases).toBeLessThan(t.layers.reduce((n, l) => n + l.cinGrid.length * l.coutGrid.length, 0)); // shapes shared
    expect(t.deployForm).toBe('optimized');
    expect(t.fullSumMs).toBeCloseTo(t.layers.reduce((s, l) => s + l.ms.at(-1)!.at(-1)!, 0), 9);
    expect(t.scale).toBeGreaterThanOrEqual(0.05);
    expect(t.scale).toBeLessThanOrEqual(1.5);
    expect(t.probe.predictedSavingMs).toBeGreaterThan(0); // the half-width probe narrows every table layer
    const est = new LatencyEstimator(t, model, graph);
    expect(est.estimate(full)).toBeCloseTo(t.deployMs, 6); // unpruned: exactly the measured deploy version
    const half = Float64Array.from(graph.groups, (g) => (g.prunable && g.channels >= 2 ? g.channels - Math.floor(g.channels / 2) : g.channels));
    expect(est.estimate(half)).toBeCloseTo(t.deployMs - t.scale * t.probe.predictedSavingMs, 6); // the probe, as calibrated
  });
});

describe('latency-aware plans', () => {
  it('take channels where they save the most time per importance, and meet the estimated goal', () => {
    // stage-1 layers cost 10× more per MAC than stage-3 layers: equal scores → stage 1 loses more
    const table = syntheticTable((n) => (n.startsWith('stage1_') ? 1e-3 : n.startsWith('stage2_') ? 3e-4 : 1e-4));
    const p = makePlan(model, graph, flatAnalysis(), { target: { speedup: 1.6 }, scope: 'inner', latencyTable: table });
    expect(p.warnings).toEqual([]);
    expect(p.latency!.goalMs).toBeCloseTo(table.wholeMs / 1.6);
    expect(p.latency!.estimatedMs).toBeLessThanOrEqual(p.latency!.goalMs!);
    expect(p.latency!.estimatedSpeedup).toBeGreaterThanOrEqual(1.6);
    const s1 = meanRatio(p.ratios, innerOf(1).map((g) => g.id));
    const s3 = meanRatio(p.ratios, innerOf(3).map((g) => g.id));
    expect(s1).toBeGreaterThan(s3 + 0.2);
    // only inner groups were touched
    for (const [id, r] of Object.entries(p.ratios)) if (r > 0) expect(id).toMatch(/conv1$/);
    // the plan's estimate is what the estimator says of its kept counts
    const kept = Float64Array.from(graph.groups, (g) => p.keep[g.id]?.length ?? g.channels);
    expect(new LatencyEstimator(table, model, graph).estimate(kept)).toBeCloseTo(p.latency!.estimatedMs, 9);
  });

  it('latency: f is the same goal as speedup: 1/f; the stricter of both wins; MACs targets are met too', () => {
    const table = syntheticTable(() => 1e-4);
    const a = makePlan(model, graph, flatAnalysis(), { target: { latency: 0.6 }, scope: 'global', latencyTable: table });
    const b = makePlan(model, graph, flatAnalysis(), { target: { speedup: 1 / 0.6 }, scope: 'global', latencyTable: table });
    expect(a.keep).toEqual(b.keep);
    const both = makePlan(model, graph, flatAnalysis(), { target: { latency: 0.9, speedup: 1 / 0.6 }, scope: 'global', latencyTable: table });
    expect(both.latency!.goalMs).toBeCloseTo(a.latency!.goalMs!);
    const withMacs = makePlan(model, graph, flatAnalysis(), { target: { latency: 0.9, macs: 0.5 }, scope: 'global', latencyTable: table });
    expect(withMacs.macs).toBeLessThanOrEqual(withMacs.baseMacs * 0.5);
    expect(withMacs.latency!.estimatedMs).toBeLessThanOrEqual(withMacs.latency!.goalMs!);
  });

  it("uniform scope meets a time goal with one ratio; an unreachable goal says what part pruning cannot change", () => {
    const table = syntheticTable(() => 1e-4, 50);
    const u = makePlan(model, graph, flatAnalysis(), { target: { latency: 0.95 }, scope: 'uniform', latencyTable: table });
    const rs = Object.values(u.ratios);
    expect(Math.max(...rs) - Math.min(...rs)).toBeLessThan(0.2);
    expect(u.latency!.estimatedMs).toBeLessThanOrEqual(u.latency!.goalMs!);
    const far = makePlan(model, graph, flatAnalysis(), { target: { speedup: 50 }, scope: 'inner', latencyTable: table });
    expect(far.warnings.join()).toMatch(/latency target cannot be reached.*does not change is 50\.00 ms/);
  });

  it('refuses a time target without a table, bad fractions, and a table of another model', () => {
    const err = (fn: () => unknown, re: RegExp) => {
      try { fn(); } catch (e) { expect(isStudioError(e)).toBe(true); expect((e as Error).message).toMatch(re); return; }
      throw new Error('expected a StudioError');
    };
    err(() => makePlan(model, graph, flatAnalysis(), { target: { speedup: 2 }, scope: 'inner' }), /needs a per-layer latency table/);
    err(() => makePlan(model, graph, flatAnalysis(), { target: { latency: 1.5 }, scope: 'inner', latencyTable: syntheticTable(() => 1) }), /fraction .* \(0, 1\]/);
    err(() => makePlan(model, graph, flatAnalysis(), { target: { speedup: 0.5 }, scope: 'inner', latencyTable: syntheticTable(() => 1) }), /speedup must be ≥ 1/);
    const other = syntheticTable(() => 1);
    other.layers[0] = { ...other.layers[0]!, name: 'nope' };
    err(() => makePlan(model, graph, flatAnalysis(), { target: { speedup: 2 }, scope: 'inner', latencyTable: other }), /names layer "nope"/);
  });

  it("studio.plan plans a speed-up target from the session's table and states the estimate of later plans", async () => {
    const ctx = createContext(memoryKeyValue());
    const m = await saveModel(ctx, createZooModel('resnet20', { numClasses: 10, inputSize: 32, seed: 1 }), { name: 'r20' });
    const a = await analyze(ctx, m.id, null, { criterion: 'l1' }, {});
    const t = await latencyTable(ctx, m.id, { rounds: 1, budgetMs: 1 }, {});
    const p = await plan(ctx, m.id, a, { target: { speedup: 1.1 }, scope: 'inner' });
    expect(p.latency!.baseMs).toBe(t.wholeMs); // plan used the table this session measured
    expect(p.latency!.estimatedMs).toBeLessThanOrEqual(p.latency!.goalMs! + 1e-9);
    expect(Object.values(p.ratios).some((r) => r > 0)).toBe(true);
    const q = await plan(ctx, m.id, a, { target: { macs: 0.3 } });
    expect(q.latency!.baseMs).toBe(p.latency!.baseMs); // the same session's table
    expect(q.latency!.goalMs).toBeUndefined();
  });
});
