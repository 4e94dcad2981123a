/** Test helpers for the pruning engine: model cloning, the zeroed reference, output comparison. */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { buildDependencyGraph } from '../../../src/engine/graph';
import { countModel } from '../../../src/engine/metrics/count';
import { countAfterPruning, pruneModel, resolveRemoval } from '../../../src/engine/prune';
import { expectNoLeak } from '../../helpers/leak';
import { RULES } from '../../../src/engine/graph/rules';
import type { DependencyGraph } from '../../../src/engine/graph/types';
import { mulberry32 } from '../../../src/engine/random';

function allLayers(model: tf.LayersModel, acc = new Map<string, tf.layers.Layer>()): Map<string, tf.layers.Layer> {
  for (const l of model.layers) {
    if (l instanceof tf.LayersModel) allLayers(l, acc);
    else acc.set(l.name, l);
  }
  return acc;
}

/** Independent copy of a model (config + weights), without using the engine. */
export function cloneModel(model: tf.LayersModel): tf.LayersModel {
  const cls = (model instanceof tf.Sequential ? tf.Sequential : tf.LayersModel) as unknown as {
    fromConfig(c: unknown, config: unknown, custom: unknown, fast: boolean): tf.LayersModel;
  };
  const config = JSON.parse(JSON.stringify(model.getConfig())) as { layers: { className: string; config: Record<string, unknown> }[] };
  const src = allLayers(model);
  const patch = (c: { layers: { className: string; config: Record<string, unknown> }[] }): void => {
    for (const e of c.layers) {
      if (Array.isArray(e.config.layers)) patch(e.config as unknown as typeof c);
      // tfjs 4.22 SeparableConv2D.getConfig() omits depthMultiplier
      if (e.className === 'SeparableConv2D') e.config.depthMultiplier = (src.get(String(e.config.name)) as unknown as { depthMultiplier: number }).depthMultiplier;
    }
  };
  patch(config);
  const copy = cls.fromConfig(cls, config, {}, true);
  const dst = allLayers(copy);
  for (const [name, l] of allLayers(model)) if (l.weights.length) dst.get(name)!.setWeights(l.weights.map((w) => w.read()));
  return copy;
}

/**
 * Copy of `model` where the removed channels contribute nothing: every kernel that reads a
 * group through its input axis (conv/dense/separable) gets those input rows zeroed.
 */
export function zeroedCopy(model: tf.LayersModel, graph: DependencyGraph, remove: Record<string, number[]>): tf.LayersModel {
  const copy = cloneModel(model);
  const { layouts, groupAtoms, layers } = graph.internals;
  const removed = new Set<number>();
  for (const [id, list] of Object.entries(remove)) {
    const gi = graph.groups.findIndex((g) => g.id === id);
    for (const c of list) removed.add(groupAtoms[gi][c]);
  }
  const dst = allLayers(copy);
  for (const plan of layers.values()) {
    if (RULES[plan.className]?.kind !== 'producer') continue;
    const layout = layouts[plan.input];
    const rows = new Set<number>();
    layout.forEach((a, p) => removed.has(a) && rows.add(p));
    if (rows.size === 0) continue;
    const target = dst.get(plan.name)!;
    const values = target.weights.map((w, wi) => {
      const wp = plan.weights[wi];
      const data = w.read().dataSync().slice();
      const shape = w.shape as number[];
      wp.axes.forEach((role, ax) => {
        if (role !== 'in' && role !== 'inBlock') return;
        const block = role === 'inBlock' ? wp.block : 1;
        let stride = 1;
        for (let k = ax + 1; k < shape.length; k++) stride *= shape[k];
        for (let i = 0; i < data.length; i++) {
          const coord = Math.floor(i / stride) % shape[ax];
          if (rows.has(Math.floor(coord / block))) data[i] = 0;
        }
      });
      return tf.tensor(data, shape);
    });
    target.setWeights(values);
    tf.dispose(values);
  }
  return copy;
}

/** Removes a seeded random `fraction` of every prunable group's channels. */
export function randomRemoval(graph: DependencyGraph, seed: number, fraction = 0.5): Record<string, number[]> {
  const rnd = mulberry32(seed);
  const remove: Record<string, number[]> = {};
  for (const g of graph.groups) {
    if (!g.prunable) continue;
    const idx = Array.from({ length: g.channels }, (_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    const n = Math.floor(g.channels * fraction);
    if (n > 0) remove[g.id] = idx.slice(0, n);
  }
  return remove;
}

export function randomInputs(model: tf.LayersModel, batch: number, seed: number, range: [number, number] = [-1, 1]): tf.Tensor[] {
  return model.inputs.map((inp, i) => tf.randomUniform([batch, ...(inp.shape.slice(1) as number[])], range[0], range[1], 'float32', seed + i));
}

export function predictAll(model: tf.LayersModel, xs: tf.Tensor[]): tf.Tensor[] {
  const y = model.predict(xs) as tf.Tensor | tf.Tensor[];
  return Array.isArray(y) ? y : [y];
}

/** Max |a-b| over all outputs, relative to the largest |b|. */
export function relativeDiff(ya: tf.Tensor[], yb: tf.Tensor[]): number {
  expect(ya.length).toBe(yb.length);
  let scale = 1e-12;
  let maxDiff = 0;
  ya.forEach((t, i) => {
    expect(t.shape).toEqual(yb[i].shape);
    const da = t.dataSync();
    const db = yb[i].dataSync();
    for (let k = 0; k < da.length; k++) {
      scale = Math.max(scale, Math.abs(db[k]));
      maxDiff = Math.max(maxDiff, Math.abs(da[k] - db[k]));
    }
  });
  return maxDiff / scale;
}

/** Asserts both models give the same outputs (1e-5 relative to the outputs' max |value|). */
export function expectSameOutputs(a: tf.LayersModel, b: tf.LayersModel, xs: tf.Tensor[], tol = 1e-5): void {
  const ya = predictAll(a, xs);
  const yb = predictAll(b, xs);
  expect(relativeDiff(ya, yb)).toBeLessThan(tol);
  tf.dispose([...ya, ...yb]);
}

/** Snapshot of all weights (to check the original model is left untouched). */
export function weightSnapshot(model: tf.LayersModel): Float32Array[] {
  return model.weights.map((w) => w.read().dataSync().slice() as Float32Array);
}

export interface CheckOptions {
  seed?: number;
  fraction?: number;
  batch?: number;
  inputs?: tf.Tensor[];
  range?: [number, number];
}

/**
 * Prunes `model` with a seeded random removal and checks: outputs equal the zeroed reference
 * (1e-5 relative), differ from the original, countAfterPruning = countModel(pruned), no
 * tensor leaks, and the original model is untouched. Returns the removal used.
 */
export async function checkExact(model: tf.LayersModel, opts: CheckOptions = {}): Promise<Record<string, number[]>> {
  const { seed = 7, fraction = 0.5, batch = 2, inputs, range } = opts;
  const graph = buildDependencyGraph(model);
  const remove = randomRemoval(graph, seed, fraction);
  expect(Object.keys(remove).length).toBeGreaterThan(0);
  const before = weightSnapshot(model);
  const xs = inputs ?? randomInputs(model, batch, seed, range);
  const origOut = predictAll(model, xs);
  await expectNoLeak(() => {
    const pruned = pruneModel(model, remove);
    const ref = zeroedCopy(model, graph, resolveRemoval(graph, remove));
    const yp = predictAll(pruned, xs);
    const yr = predictAll(ref, xs);
    expect(relativeDiff(yp, yr), 'pruned vs zeroed reference').toBeLessThan(1e-5);
    // the removal really changed something
    expect(relativeDiff(yp, origOut), 'pruned vs original').toBeGreaterThan(1e-4);
    tf.dispose([...yp, ...yr]);
    // analytic count agrees with counting the real pruned model
    const kept: Record<string, number> = {};
    for (const g of graph.groups) kept[g.id] = g.channels - (remove[g.id]?.length ?? 0);
    const predicted = countAfterPruning(model, graph, kept);
    const real = countModel(pruned);
    expect(predicted).toEqual({ params: real.trainableParams, macs: real.macs });
    expect(pruned.countParams()).toBeLessThan(model.countParams());
    pruned.dispose();
    ref.dispose();
  });
  // the original is untouched
  const after = weightSnapshot(model);
  let changed = 0;
  after.forEach((w, i) => {
    if (w.length !== before[i].length) changed++;
    else for (let k = 0; k < w.length; k++) if (w[k] !== before[i][k]) changed++;
  });
  expect(changed, 'original weights modified').toBe(0);
  const origOut2 = predictAll(model, xs);
  expect(relativeDiff(origOut2, origOut)).toBe(0);
  tf.dispose([...origOut, ...origOut2]);
  if (!inputs) tf.dispose(xs);
  return remove;
}
