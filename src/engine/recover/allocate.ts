/**
 * Allocation by reconstruction error: how many channels each inner group should lose under a MACs budget, chosen
 * from what reconstruction could make of it. For each inner group (no merge layer) and its reconstructable consumer
 * (the conv/dense reading it, e.g. a ResNet block's conv2), one pass of the ORIGINAL network over calibration images
 * accumulates the consumer's normal equations over all its input channels (G = XᵀX, B = XᵀZ). Keeping a subset S of
 * the group's channels (the best-scored ones, by the analysis) and re-solving leaves the residual
 *   e(S) = Σⱼ sⱼ (zzⱼ − b_Sⱼᵀ (G_SS + λI)⁻¹ b_Sⱼ),
 * read off the sub-system without another pass. Errors are relative to the energy of the consumer's own output
 * (pre-BN). A greedy loop then removes, step by step, the channels of the
 * group whose next step adds the least error per MAC saved, until the MACs target is met.
 * It approximates the sequential reconstruction (each group is judged with unpruned inputs).
 */
import * as tf from '@tensorflow/tfjs';
import type { SplitData } from '../data/types';
import { StudioError, throwIfAborted } from '../errors';
import type { ChannelGroup, DependencyGraph } from '../graph/types';
import type { Analysis } from '../importance/analyze';
import { inputBatch } from '../importance/inputs';
import type { InputSpec } from '../models/types';
import { isStreamGroup } from '../plan/planner';
import { countAfterPruning } from '../prune';
import { progressReporter, type JobOptions } from '../progress';
import { mulberry32, seededPermutation } from '../random';
import { GraphExecutor, type Chunks } from './executor';
import { features, linearSpec, outputSize, samplePositions, weightOf, type Positions } from './linear';
import { NormalEquations } from './normal-equations';
import { residualEnergy, solveRidge } from './ridge';

export interface AllocateOptions extends JobOptions {
  input: InputSpec;
  imageSize: number;
  target: { macs: number };
  images?: number;
  positions?: number;
  ridge?: number;
  maxRatio?: number;
  /** Kept-count grid points per group (default 8). */
  steps?: number;
  /**
   * Refuse (bad-input) when a consumer has more unknowns than this: each grid point costs a Cholesky of that size
   * (a VGG-16 conv reading 512 channels has 4,608), which 'auto' should not spend without being asked.
   */
  maxUnknowns?: number;
  seed?: number;
}

export interface Allocation {
  /** Per group id: fraction of channels to remove (feed to the planner as target.ratios). */
  ratios: Record<string, number>;
  /** Per group: relative reconstruction error at each kept count evaluated. */
  curves: Record<string, { kept: number; error: number }[]>;
  macs: number;
  baseMacs: number;
  ms: number;
}

interface Candidate {
  group: ChannelGroup;
  consumer: string;
  /** Channel indices, least important first. */
  order: number[];
}

export async function allocateByReconstruction(model: tf.LayersModel, graph: DependencyGraph, analysis: Analysis, split: SplitData, o: AllocateOptions): Promise<Allocation> {
  const t0 = performance.now();
  const g = graph.internals.graph;
  const progress = progressReporter(o.onProgress);
  const scores = new Map(analysis.groups.map((s) => [s.id, s.scores]));
  const maxRatio = o.maxRatio ?? 0.9;
  // inner groups whose every consumer is one reconstructable layer reading exactly this group
  const cands: Candidate[] = [];
  for (const group of graph.groups) {
    if (!group.prunable || isStreamGroup(graph, group)) continue;
    const consumers = [...new Set(group.members.filter((m) => m.role === 'consumer').map((m) => m.layer))];
    const s = scores.get(group.id);
    if (consumers.length !== 1 || !s) continue;
    const layer = g.layers.get(consumers[0]!);
    const node = g.nodes.find((n) => n.name === consumers[0]);
    // conv and dense only: their kernel rows are (tap, channel), so a kept channel set is a set of rows
    if (!layer || !node || !['conv', 'dense'].includes(linearSpec(layer)?.kind ?? '') || node.inputs.length !== 1) continue;
    if (g.tensors[node.inputs[0]!]!.shape.at(-1) !== group.channels) continue;
    const order = Array.from({ length: group.channels }, (_, i) => i).sort((a, b) => s[a]! - s[b]! || a - b);
    cands.push({ group, consumer: consumers[0]!, order });
  }
  const unknowns = (c: Candidate) => linearSpec(g.layers.get(c.consumer)!)!.kernelShape.slice(0, -1).reduce((p, x) => p * x, 1);
  const largest = Math.max(0, ...cands.map(unknowns));
  if (o.maxUnknowns !== undefined && largest > o.maxUnknowns)
    throw new StudioError('bad-input', `Allocation by reconstruction error would solve systems of ${largest} unknowns (limit ${o.maxUnknowns}).`);
  if (!cands.length) throw new StudioError('bad-input', 'Allocation by reconstruction error needs inner channel groups read by one conv or dense layer; this model has none (use scope uniform).');

  const n = Math.max(1, Math.min(split.count, o.images ?? 256));
  const order = seededPermutation(split.count, o.seed ?? 1).subarray(0, n);
  const chunks: Chunks = [];
  for (let s = 0; s < n; s += 64) chunks.push(inputBatch(split, order.subarray(s, Math.min(n, s + 64)), o.imageSize, o.input));
  const rnd = mulberry32((o.seed ?? 1) * 104729 + 3);
  const k = o.positions ?? 16;
  const systems = new Map<string, { g: Float64Array; b: Float64Array; zz: Float64Array; d: number; m: number; taps: number; c: number; energy: number }>();
  const byConsumer = new Map(cands.map((c) => [c.consumer, c]));
  const exec = new GraphExecutor(g, chunks, {
    beforeNode: async (node, inputs) => {
      const cand = byConsumer.get(node.name);
      if (!cand) return;
      const spec = linearSpec(node.layer)!;
      const kernel = weightOf(node.layer, 'kernel')!;
      const outCh = spec.kernelShape.at(-1)!;
      const d = spec.kernelShape.slice(0, -1).reduce((p, x) => p * x, 1);
      const normal = new NormalEquations();
      let sys: Awaited<ReturnType<NormalEquations['read']>>;
      try {
        for (const x of inputs[0]!) {
          throwIfAborted(o.signal);
          const [ho, wo] = x.rank === 4 ? outputSize(spec, x.shape[1]!, x.shape[2]!) : [1, 1];
          const pos: Positions = x.rank === 4 ? samplePositions(x.shape[0]!, ho, wo, k, rnd) : { idx: new Int32Array(0), count: x.shape[0]! };
          tf.tidy(() => {
            const f = features(node.layer, spec, x, pos);
            normal.add(f, tf.matMul(f, kernel.read().reshape([d, outCh]) as tf.Tensor2D));
          });
        }
        sys = await normal.read();
      } finally {
        normal.dispose();
      }
      let energy = 0;
      for (const v of sys.zz) energy += v;
      systems.set(cand.group.id, { g: sys.g, b: sys.b, zz: sys.zz, d, m: outCh, taps: d / cand.group.channels, c: cand.group.channels, energy });
    },
  });
  try {
    const last = Math.max(...cands.map((c) => g.nodes.findIndex((nd) => nd.name === c.consumer)));
    for (let i = 0; i <= last; i++) {
      throwIfAborted(o.signal);
      await exec.run(i);
      progress('allocate', (0.6 * (i + 1)) / (last + 1), g.nodes[i]!.name);
    }
  } finally {
    exec.dispose();
    tf.dispose(chunks);
  }

  // error curves on a kept-count grid, from the sub-systems
  const steps = Math.max(2, o.steps ?? 8);
  const curves: Record<string, { kept: number; error: number }[]> = {};
  const ridge = o.ridge ?? 1e-3;
  cands.forEach((cand, ci) => {
    const sys = systems.get(cand.group.id)!;
    const minKept = Math.max(1, Math.ceil(cand.group.channels * (1 - maxRatio)));
    const grid = new Set<number>();
    for (let s = 0; s <= steps; s++) grid.add(Math.round(cand.group.channels - ((cand.group.channels - minKept) * s) / steps));
    const curve: { kept: number; error: number }[] = [];
    for (const kept of [...grid].sort((a, b) => b - a)) {
      const keepSet = cand.order.slice(cand.group.channels - kept).sort((a, b) => a - b);
      const rows: number[] = [];
      for (let t = 0; t < sys.taps; t++) for (const c of keepSet) rows.push(t * sys.c + c);
      const ds = rows.length;
      const gs = new Float64Array(ds * ds);
      const bs = new Float64Array(ds * sys.m);
      rows.forEach((r, i) => {
        rows.forEach((q, j) => (gs[i * ds + j] = sys.g[r * sys.d + q]!));
        for (let j = 0; j < sys.m; j++) bs[i * sys.m + j] = sys.b[r * sys.m + j]!;
      });
      const sol = solveRidge(gs, bs, ds, sys.m, ridge);
      const err = residualEnergy(gs, bs, sys.zz, sol.w, ds, sys.m);
      curve.push({ kept, error: sys.energy > 0 ? err / sys.energy : 0 });
    }
    curves[cand.group.id] = curve;
    progress('allocate', 0.6 + (0.3 * (ci + 1)) / cands.length, cand.group.id);
  });

  // greedy: least added error per MAC saved
  const keptNow: Record<string, number> = Object.fromEntries(graph.groups.map((gr) => [gr.id, gr.channels]));
  const at = new Map(cands.map((c) => [c.group.id, 0]));
  const base = countAfterPruning(model, graph, {});
  const goal = base.macs * (1 - o.target.macs);
  let macs = base.macs;
  while (macs > goal) {
    let best: { id: string; score: number; macs: number } | null = null;
    for (const cand of cands) {
      const id = cand.group.id;
      const curve = curves[id]!;
      const i = at.get(id)!;
      if (i + 1 >= curve.length) continue;
      const trial = { ...keptNow, [id]: curve[i + 1]!.kept };
      const m = countAfterPruning(model, graph, trial).macs;
      const saved = macs - m;
      if (saved <= 0) continue;
      const score = Math.max(0, curve[i + 1]!.error - curve[i]!.error) / saved;
      if (!best || score < best.score) best = { id, score, macs: m };
    }
    if (!best) break;
    at.set(best.id, at.get(best.id)! + 1);
    keptNow[best.id] = curves[best.id]![at.get(best.id)!]!.kept;
    macs = best.macs;
  }
  const ratios: Record<string, number> = {};
  for (const cand of cands) ratios[cand.group.id] = 1 - keptNow[cand.group.id]! / cand.group.channels;
  progress('allocate', 1);
  return { ratios, curves, macs, baseMacs: base.macs, ms: performance.now() - t0 };
}
