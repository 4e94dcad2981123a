/**
 * Per-layer latency table for latency-aware planning: on the active backend, at batch 1, every conv / depthwise /
 * separable / dense layer whose width pruning can change is timed alone at a grid of candidate widths, as the fused
 * kernel a deploy version runs (conv + bias + ReLU). The whole model is timed as it is (the reference of a time
 * target) and as its deploy version (deploy/optimize.ts: BatchNorm folded, activations fused); what the table's layers
 * do not explain in the deploy version (input normalisation, adds, pads, pooling, per-op dispatch) is a fixed part.
 *
 * The estimate of a pruned model is the time of its deploy version: fixed part + Σ layer time at its new widths (bilinear between grid points, the
 * grid made monotone so noise never makes a narrower layer slower). Timing: all cases round-robin after two warm-up
 * rounds, each case `REPS` back-to-back runs before one read-back (so the read-back's fixed cost is amortised), the
 * median over rounds; layers of the same shape share their cases.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError, throwIfAborted } from '../errors';
import { optimizeForDeployment } from '../deploy/optimize';
import type { DependencyGraph } from '../graph/types';
import { nextTick, type JobOptions } from '../progress';
import { pruneModel } from '../prune';
import { layerWidthForms, widthOf } from '../prune/cost';
import { quantile } from './latency';

/** Width fractions of the grid along a dimension that pruning changes (1-D: one dimension varies; 2-D: both). */
const FRACTIONS_1D = [0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1];
const FRACTIONS_2D = [0.2, 0.4, 0.6, 0.8, 1];
const REPS = 3;

type OpKind = 'conv' | 'depthwise' | 'separable' | 'dense';

/** What one timed case runs (everything but the widths). */
interface OpShape {
  kind: OpKind;
  h: number;
  w: number;
  kernel: [number, number];
  strides: [number, number];
  dilation: [number, number];
  padding: 'same' | 'valid';
  multiplier: number;
}

export interface LayerLatency {
  name: string;
  className: string;
  /** Full (unpruned) input and output widths. */
  cin: number;
  cout: number;
  /** Grid widths along each dimension (a single entry: the dimension is fixed). */
  cinGrid: number[];
  coutGrid: number[];
  /** ms[i][j]: time at cinGrid[i] × coutGrid[j], monotone non-decreasing in both. */
  ms: number[][];
}

export interface LatencyTable {
  backend: string;
  /** WASM threads, when on wasm. */
  threads?: number;
  batch: 1;
  /** Measured whole-model batch-1 median of the model as it is: what time targets are fractions of. */
  wholeMs: number;
  /** The same for its deploy version (BatchNorm folded, activations fused), or of the model itself when it has none. */
  deployMs: number;
  deployForm: 'optimized' | 'as is';
  /** Σ of the table's layers at full width, as timed alone. */
  fullSumMs: number;
  /** Calibration: measured saving of the half-width probe / the saving the table predicts for it (clamped to 0.05–1.5). */
  scale: number;
  probe: { measuredMs: number; predictedSavingMs: number; measuredSavingMs: number };
  /** deployMs − scale · fullSumMs (≥ 0): the part of the deploy version that pruning does not change. */
  fixedMs: number;
  /** Share of deployMs the calibrated layers explain (scale · fullSumMs / deployMs). */
  coverage: number;
  layers: LayerLatency[];
  /** Distinct timed cases and the wall time the measurement took. */
  cases: number;
  measureMs: number;
  measuredAt: number;
}

export interface LayerLatencyOptions extends JobOptions {
  /** Timed rounds after two warm-up rounds (default 7; at least min(3, rounds) are made even past the time budget). */
  rounds?: number;
  /** Stop adding rounds once this much wall time has gone (default 20 s). */
  budgetMs?: number;
  threads?: number;
}

const now = (): number => performance.now();
const pair = (v: unknown, d: number): [number, number] => (Array.isArray(v) ? [Number(v[0] ?? d), Number(v[1] ?? v[0] ?? d)] : typeof v === 'number' ? [v, v] : [d, d]);

function opShape(layer: tf.layers.Layer, inShape: (number | null)[]): OpShape {
  const c = layer.getConfig() as Record<string, unknown>;
  const cls = layer.getClassName();
  const kind: OpKind = cls === 'Dense' ? 'dense' : cls === 'DepthwiseConv2D' ? 'depthwise' : cls === 'SeparableConv2D' ? 'separable' : 'conv';
  if (kind === 'conv' && cls !== 'Conv2D') throw new StudioError('unsupported-layer', `Latency table: layer "${layer.name}" (${cls}) cannot be timed alone; only Conv2D, DepthwiseConv2D, SeparableConv2D and Dense are.`);
  if (kind !== 'dense' && (c.dataFormat ?? 'channelsLast') !== 'channelsLast') throw new StudioError('unsupported-layer', `Latency table: layer "${layer.name}" is channels-first.`);
  return {
    kind,
    h: kind === 'dense' ? 1 : Number(inShape[1] ?? 1),
    w: kind === 'dense' ? 1 : Number(inShape[2] ?? 1),
    kernel: pair(c.kernelSize, 1),
    strides: pair(c.strides, 1),
    dilation: pair(c.dilationRate, 1),
    padding: c.padding === 'same' ? 'same' : 'valid',
    multiplier: Number(c.depthMultiplier ?? 1),
  };
}

const caseKey = (s: OpShape, cin: number, cout: number): string =>
  `${s.kind}|${s.h}x${s.w}|k${s.kernel}|s${s.strides}|d${s.dilation}|${s.padding}|m${s.multiplier}|${cin}>${cout}`;

/** One timed case: REPS runs of the fused op on fixed random tensors, then one read-back. */
function makeCase(s: OpShape, cin: number, cout: number): { run: () => Promise<number>; dispose: () => void } {
  const seed = cin * 7919 + cout;
  const ts: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => (ts.push(t), t);
  let op: () => tf.Tensor;
  if (s.kind === 'dense') {
    const x = keep(tf.randomUniform([1, cin], -1, 1, 'float32', seed));
    const k = keep(tf.randomNormal([cin, cout], 0, 0.1, 'float32', seed + 1));
    const b = keep(tf.zeros([cout]));
    op = () => tf.fused.matMul({ a: x as tf.Tensor2D, b: k as tf.Tensor2D, bias: b, activation: 'relu' });
  } else {
    const x = keep(tf.randomUniform([1, s.h, s.w, cin], -1, 1, 'float32', seed)) as tf.Tensor4D;
    const [kh, kw] = s.kernel;
    if (s.kind === 'conv') {
      const k = keep(tf.randomNormal([kh, kw, cin, cout], 0, 0.1, 'float32', seed + 1)) as tf.Tensor4D;
      const b = keep(tf.zeros([cout]));
      op = () => tf.fused.conv2d({ x, filter: k, strides: s.strides, pad: s.padding, dilations: s.dilation, bias: b, activation: 'relu' });
    } else {
      const dw = keep(tf.randomNormal([kh, kw, cin, s.multiplier], 0, 0.1, 'float32', seed + 1)) as tf.Tensor4D;
      if (s.kind === 'depthwise') {
        const b = keep(tf.zeros([cin * s.multiplier]));
        op = () => tf.fused.depthwiseConv2d({ x, filter: dw, strides: s.strides, pad: s.padding, dilations: s.dilation, bias: b, activation: 'relu' });
      } else {
        const pw = keep(tf.randomNormal([1, 1, cin * s.multiplier, cout], 0, 0.1, 'float32', seed + 2)) as tf.Tensor4D;
        op = () => tf.tidy(() => tf.relu(tf.separableConv2d(x, dw, pw, s.strides, s.padding, s.dilation)));
      }
    }
  }
  return {
    run: async () => {
      const t0 = now();
      let y: tf.Tensor | null = null;
      for (let r = 0; r < REPS; r++) {
        y?.dispose();
        y = op();
      }
      await y!.data();
      y!.dispose();
      return (now() - t0) / REPS;
    },
    dispose: () => tf.dispose(ts),
  };
}

function gridOf(full: number, varies: boolean, fractions: number[]): number[] {
  if (!varies || full <= 1) return [full];
  return [...new Set(fractions.map((f) => Math.max(1, Math.round(f * full))))].sort((a, b) => a - b);
}

/** Makes ms monotone non-decreasing along both axes (running max), so an estimate never gains from widening. */
function monotone(ms: number[][]): number[][] {
  const out = ms.map((row) => row.slice());
  for (let i = 0; i < out.length; i++) for (let j = 1; j < out[i]!.length; j++) out[i]![j] = Math.max(out[i]![j]!, out[i]![j - 1]!);
  for (let i = 1; i < out.length; i++) for (let j = 0; j < out[i]!.length; j++) out[i]![j] = Math.max(out[i]![j]!, out[i - 1]![j]!);
  return out;
}

/**
 * Batch-1 medians of whole models, timed interleaved (one run of each per round): 3 warm-up rounds, then at least 5
 * timed rounds and until `minMs` of timing (at most 20 rounds).
 */
async function wholeModelsMs(models: tf.LayersModel[], minMs: number, signal?: AbortSignal): Promise<number[]> {
  const shape = models[0]!.inputs[0]!.shape;
  if (shape.slice(1).some((d) => typeof d !== 'number')) throw new StudioError('bad-input', `Cannot time a model whose input shape is not fixed (${JSON.stringify(shape)}).`);
  const x = tf.randomUniform([1, ...(shape.slice(1) as number[])], 0, 255, 'float32', 99);
  const times = models.map(() => [] as number[]);
  try {
    let start = 0;
    for (let i = 0; ; i++) {
      throwIfAborted(signal);
      if (i === 3) start = now();
      for (const [k, model] of models.entries()) {
        const t0 = now();
        const y = model.predict(x) as tf.Tensor | tf.Tensor[];
        const outs = Array.isArray(y) ? y : [y];
        await Promise.all(outs.map((o) => o.data()));
        tf.dispose(outs);
        if (i >= 3) times[k]!.push(now() - t0);
      }
      const n = times[0]!.length;
      if (n >= 20 || (n >= 5 && now() - start >= minMs)) break;
    }
  } finally {
    x.dispose();
  }
  return times.map((t) => quantile(t.sort((a, b) => a - b), 0.5));
}

/** The model's deploy version (a new model the caller disposes), or null when it cannot be optimised. */
function deployVersion(model: tf.LayersModel): tf.LayersModel | null {
  try {
    return optimizeForDeployment(model).model;
  } catch {
    return null;
  }
}

/** Surgery for the probe; null when the model refuses it (the table is then uncalibrated: scale 1). */
function probeModel(model: tf.LayersModel, remove: Record<string, number[]>): tf.LayersModel | null {
  try {
    return pruneModel(model, remove);
  } catch {
    return null;
  }
}

/** Half of every prunable group's channels (the first ones: latency does not depend on which), as surgery's removal. */
function halfRemoval(graph: DependencyGraph): { remove: Record<string, number[]>; kept: Float64Array } {
  const remove: Record<string, number[]> = {};
  const kept = Float64Array.from(graph.groups, (g) => g.channels);
  graph.groups.forEach((g, gi) => {
    if (!g.prunable || g.channels < 2) return;
    const n = Math.floor(g.channels / 2);
    remove[g.id] = Array.from({ length: n }, (_, i) => i);
    kept[gi] = g.channels - n;
  });
  return { remove, kept };
}

/** Measures the latency table of `model` (whose dependency graph is `graph`) on the active backend. */
export async function measureLayerLatency(model: tf.LayersModel, graph: DependencyGraph, opts: LayerLatencyOptions = {}): Promise<LatencyTable> {
  const t0 = now();
  const rounds = Math.max(1, Math.round(opts.rounds ?? 7));
  const budget = opts.budgetMs ?? 20_000;
  const full = Float64Array.from(graph.groups.map((g) => g.channels));
  const { layers: plans, graph: mg } = graph.internals;
  interface Pending { name: string; className: string; cin: number; cout: number; cinGrid: number[]; coutGrid: number[]; keys: string[][] }
  const pending: Pending[] = [];
  const shapes = new Map<string, { s: OpShape; cin: number; cout: number }>();
  for (const f of layerWidthForms(model, graph)) {
    const varIn = [...f.inForm.groups].some((gi) => graph.groups[gi]!.prunable);
    const varOut = [...f.outForm.groups].some((gi) => graph.groups[gi]!.prunable);
    if (!varIn && !varOut) continue;
    const plan = plans.get(f.name)!;
    const s = opShape(plan.layer, mg.tensors[plan.input]!.shape);
    const cin = Math.round(widthOf(f.inForm, full));
    const cout = Math.round(widthOf(f.outForm, full));
    const fr = varIn && varOut ? FRACTIONS_2D : FRACTIONS_1D;
    // depthwise: output width = input width × multiplier, both follow the same group, so only cin is a free axis
    const cinGrid = gridOf(cin, varIn, fr);
    const coutGrid = s.kind === 'depthwise' ? [cout] : gridOf(cout, varOut, fr);
    const keys = cinGrid.map((ci) => coutGrid.map((co) => {
      const c2 = s.kind === 'depthwise' ? ci * s.multiplier : co;
      const k = caseKey(s, ci, c2);
      if (!shapes.has(k)) shapes.set(k, { s, cin: ci, cout: c2 });
      return k;
    }));
    pending.push({ name: f.name, className: f.className, cin, cout, cinGrid, coutGrid, keys });
  }
  const keys = [...shapes.keys()];
  const cases = keys.map((k) => { const v = shapes.get(k)!; return makeCase(v.s, v.cin, v.cout); });
  const times = keys.map(() => [] as number[]);
  try {
    const total = rounds + 2;
    for (let r = 0; r < total; r++) {
      throwIfAborted(opts.signal);
      for (const [i, c] of cases.entries()) {
        const t = await c.run();
        if (r >= 2) times[i]!.push(t);
        if (i % 16 === 15) await nextTick();
      }
      opts.onProgress?.({ phase: 'layer latency', fraction: 0.85 * (r + 1) / total, message: `${keys.length} layer shapes × widths, round ${r + 1} of ${total}` });
      if (r >= 1 + Math.min(3, rounds) && now() - t0 > budget) break;
    }
  } finally {
    cases.forEach((c) => c.dispose());
  }
  const med = new Map(keys.map((k, i) => [k, quantile(times[i]!.sort((a, b) => a - b), 0.5)]));
  const layers: LayerLatency[] = pending.map((p) => ({
    name: p.name, className: p.className, cin: p.cin, cout: p.cout, cinGrid: p.cinGrid, coutGrid: p.coutGrid,
    ms: monotone(p.keys.map((row) => row.map((k) => med.get(k)!))),
  }));
  const fullSum = layers.reduce((s, l) => s + l.ms[l.ms.length - 1]![l.ms[0]!.length - 1]!, 0);

  // in-context calibration: whole model, its deploy version and the half-width probe's deploy version, interleaved
  opts.onProgress?.({ phase: 'layer latency', fraction: 0.9, message: 'whole model, its deploy version and a half-width probe' });
  const forms = new Map(layerWidthForms(model, graph).map((f) => [f.name, f]));
  const { remove, kept } = halfRemoval(graph);
  const probeSum = layers.reduce((s, l) => s + layerTimeAt(l, widthOf(forms.get(l.name)!.inForm, kept), widthOf(forms.get(l.name)!.outForm, kept)), 0);
  const deploy = deployVersion(model);
  const owned: tf.LayersModel[] = [];
  let wholeMs: number;
  let deployMs: number;
  let probeMs: number;
  try {
    if (deploy) owned.push(deploy);
    const probeRaw = Object.keys(remove).length ? probeModel(model, remove) : null;
    if (probeRaw) owned.push(probeRaw);
    const probe = probeRaw ? deployVersion(probeRaw) ?? probeRaw : null;
    if (probe && probe !== probeRaw) owned.push(probe);
    const list = [model, deploy ?? model, ...(probe ? [probe] : [])];
    const ms = await wholeModelsMs(list, Math.min(1500, budget / 8), opts.signal);
    [wholeMs, deployMs] = [ms[0]!, ms[1]!];
    probeMs = ms[2] ?? deployMs;
  } finally {
    owned.forEach((m) => m.dispose());
  }
  const predicted = fullSum - probeSum;
  const measuredSaving = deployMs - probeMs;
  const scale = predicted > 0 ? Math.min(1.5, Math.max(0.05, measuredSaving / predicted)) : 1;
  opts.onProgress?.({ phase: 'layer latency', fraction: 1 });
  return {
    backend: tf.getBackend(), ...(opts.threads !== undefined ? { threads: opts.threads } : {}), batch: 1,
    wholeMs, deployMs, deployForm: deploy ? 'optimized' : 'as is', fullSumMs: fullSum, scale,
    probe: { measuredMs: probeMs, predictedSavingMs: predicted, measuredSavingMs: measuredSaving },
    fixedMs: Math.max(0, deployMs - scale * fullSum), coverage: deployMs > 0 ? (scale * fullSum) / deployMs : 0,
    layers, cases: keys.length, measureMs: now() - t0, measuredAt: Date.now(),
  };
}

/** Position of v on a sorted grid: lower index and weight of the upper neighbour (clamped at both ends). */
function locate(grid: number[], v: number): [number, number] {
  if (grid.length === 1 || v <= grid[0]!) return [0, 0];
  const last = grid.length - 1;
  if (v >= grid[last]!) return [last, 0];
  let i = 0;
  while (grid[i + 1]! < v) i++;
  return [i, (v - grid[i]!) / (grid[i + 1]! - grid[i]!)];
}

/** A table layer's time at widths (cin, cout): bilinear on the grid, clamped to its range. */
export function layerTimeAt(l: LayerLatency, cin: number, cout: number): number {
  const [i, a] = locate(l.cinGrid, cin);
  const [j, b] = locate(l.coutGrid, cout);
  const at = (ii: number, jj: number) => l.ms[Math.min(ii, l.cinGrid.length - 1)]![Math.min(jj, l.coutGrid.length - 1)]!;
  return (1 - a) * ((1 - b) * at(i, j) + b * at(i, j + 1)) + a * ((1 - b) * at(i + 1, j) + b * at(i + 1, j + 1));
}
