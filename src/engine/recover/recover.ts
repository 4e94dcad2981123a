/**
 * Recovery after surgery: makes a pruned model compute what its original computed, from calibration images,
 * without training. Two methods (docs/pruning-engine.md, "Recovery"):
 *
 * - `bn`: every BatchNormalization's running mean and variance recomputed on the calibration images, in
 *   topological order (each layer sees the statistics of the already recalibrated layers before it).
 * - `reconstruct`: for every linear layer whose input channels were reduced (Conv2D, Dense, the pointwise part of
 *   SeparableConv2D), a ridge least-squares fit of its kernel (and an intercept) so that, fed with the pruned
 *   network's own activations, it reproduces the original network's output at that point. Layers are visited in
 *   topological order, so each also corrects what the layers before it changed. When the layer's output reaches an
 *   Add through at most one BatchNormalization, the target is the original Add output minus what the other
 *   (pruned) branches now contribute, mapped back through the BN: the block output is what is matched.
 *   The intercept goes into the layer's bias, or into the following BN's moving mean; the graph is unchanged.
 *
 * Gram matrices XᵀX, XᵀZ are accumulated chunk by chunk on the active backend from k sampled positions per image
 * (never all features at once) and solved in float64 (ridge.ts). The `pruned` model is updated in place (the
 * caller passes its own fresh copy); the original is only read.
 */
import * as tf from '@tensorflow/tfjs';
import type { SplitData } from '../data/types';
import { StudioError, throwIfAborted } from '../errors';
import { bnAffine } from '../deploy/fold';
import { buildDependencyGraph } from '../graph';
import { buildModelGraph, type GraphNode, type ModelGraph } from '../graph/model-graph';
import { layerConfig } from '../graph/rules';
import { inputBatch } from '../importance/inputs';
import type { InputSpec, RecoverSummary } from '../models/types';
import { nextTick, progressReporter, type JobOptions } from '../progress';
import { removedAtoms } from '../prune';
import { keptPositions } from '../prune/slice';
import { mulberry32, seededPermutation } from '../random';
import { GraphExecutor, type Chunks } from './executor';
import { atPositions, features, linearSpec, outputSize, samplePositions, weightOf, type LinearSpec, type Positions } from './linear';
import { NormalEquations } from './normal-equations';
import { residualEnergy, solveRidge } from './ridge';

export type RecoverMethod = 'bn' | 'reconstruct';

export interface RecoverOptions extends JobOptions {
  method: RecoverMethod;
  /** Calibration images from the split (default 512, at most the split's size). */
  images?: number;
  /** Which images: a seeded shuffle of the split (default) or its first N records. */
  sampling?: 'shuffled' | 'first';
  seed?: number;
  /** Sampled output positions per image and layer (default 32; all positions when larger than the map). */
  positions?: number;
  /** Ridge λ relative to the mean diagonal of XᵀX (default 1e-3). */
  ridge?: number;
  /** Images per chunk on the backend (default 64). */
  chunkSize?: number;
  /** Which layers are reconstructed: those whose inputs lost channels (default) or every linear layer. */
  layers?: 'reduced' | 'all';
  input: InputSpec;
  imageSize: number;
}

/**
 * What recovery did, stored on the recovered version (models/types.ts RecoverSummary). Per layer, in the order
 * solved: 'block' when the target was the original Add output (residual block), 'output' for the layer's own
 * output; the relative squared error of its (post-BN) output vs. the original on the calibration samples, before
 * and after; the ridge λ relative to mean(diag XᵀX) as used (it grows when the system is singular).
 */
export type RecoverReport = RecoverSummary;
export type LayerRecovery = RecoverSummary['layers'][number];

export const RECOVER_DEFAULTS = { images: 512, positions: 32, ridge: 1e-3, chunkSize: 64 } as const;

/** Calibration batches (caller disposes). */
function calibrationChunks(split: SplitData, o: RecoverOptions): Chunks {
  const n = Math.max(1, Math.min(split.count, Math.floor(o.images ?? RECOVER_DEFAULTS.images)));
  if (split.count === 0) throw new StudioError('bad-input', 'Recovery needs calibration images: the training split is empty.');
  const order = o.sampling === 'first' ? Uint32Array.from({ length: n }, (_, i) => i) : seededPermutation(split.count, o.seed ?? 1).subarray(0, n);
  const size = Math.max(1, Math.floor(o.chunkSize ?? RECOVER_DEFAULTS.chunkSize));
  const chunks: Chunks = [];
  for (let s = 0; s < n; s += size) chunks.push(inputBatch(split, order.subarray(s, Math.min(n, s + size)), o.imageSize, o.input));
  return chunks;
}

/** The pruned graph's nodes must mirror the original's one for one. */
function checkCorrespondence(a: ModelGraph, b: ModelGraph): void {
  const same = a.nodes.length === b.nodes.length && a.tensors.length === b.tensors.length && a.nodes.every((n, i) => n.name === b.nodes[i]!.name && n.className === b.nodes[i]!.className);
  if (!same) throw new StudioError('shape-mismatch', 'The pruned model does not have the same layers as the original: recovery needs a version pruned from this original.');
}

/** Replaces a variable's value (the variable keeps its own reference to the new data). */
function assign(v: tf.LayerVariable, values: Float32Array): void {
  const t = tf.tensor(values, v.shape as number[]);
  v.write(t);
  t.dispose();
}

interface Target {
  spec: LinearSpec;
  /** Set when the block output is the target. */
  path: BlockPath | null;
  /** The original's tensor the target is computed from. */
  from: number;
}

interface BlockPath {
  bn?: GraphNode;
  add: GraphNode;
  /** The Add's input that carries this layer's path. */
  via: number;
}

/** L → [BatchNormalization] → Add with nothing else reading the path, else null. */
function blockPath(g: ModelGraph, node: GraphNode): BlockPath | null {
  let t = node.outputs[0]!;
  let bn: GraphNode | undefined;
  for (;;) {
    const cons = g.tensors[t]!.consumers;
    if (cons.length !== 1 || g.outputs.includes(t)) return null;
    const next = g.nodes[cons[0]!]!;
    if (next.className === 'BatchNormalization' && !bn) {
      bn = next;
      t = next.outputs[0]!;
      continue;
    }
    if (next.className === 'Add') return { bn, add: next, via: t };
    return null;
  }
}

/** True when tensor `t` is computed from the output of node `index`. */
function dependsOn(g: ModelGraph, t: number, index: number): boolean {
  const seen = new Set<number>();
  const stack = [t];
  while (stack.length) {
    const cur = stack.pop()!;
    const p = g.tensors[cur]!.producer;
    if (p < 0 || seen.has(p)) continue;
    if (p === index) return true;
    seen.add(p);
    stack.push(...g.nodes[p]!.inputs);
  }
  return false;
}

/** Per-channel affine map of an inference BN: y = a·x + c (identity without a BN). */
function bnMap(bn: GraphNode | undefined, channels: number): { a: Float64Array; c: Float64Array } {
  if (!bn) return { a: new Float64Array(channels).fill(1), c: new Float64Array(channels) };
  const read = (name: string) => {
    const w = weightOf(bn.layer, name);
    return w ? (w.read().dataSync() as Float32Array) : undefined;
  };
  const { scale, shift } = bnAffine({
    gamma: read('gamma'), beta: read('beta'), mean: read('moving_mean')!, variance: read('moving_variance')!, epsilon: Number(layerConfig(bn.layer).epsilon ?? 1e-3),
  });
  return { a: scale, c: shift };
}

/**
 * Recovers `pruned` (updated in place) against `original`, given the channels removed per group of the original's
 * dependency graph (`removed`, as applied by surgery) and calibration images from `split`.
 */
export async function recoverPruned(
  original: tf.LayersModel, pruned: tf.LayersModel, removed: Record<string, number[]>, split: SplitData, o: RecoverOptions,
): Promise<RecoverReport> {
  const t0 = performance.now();
  const og = buildDependencyGraph(original);
  const orig = og.internals.graph;
  const pg = buildModelGraph(pruned);
  checkCorrespondence(orig, pg);
  const dropped = removedAtoms(og, removed);
  const keep = (t: number): Int32Array | null => keptPositions(og.internals.layouts[t]!, dropped);
  for (const t of pg.tensors) {
    const want = keep(t.id)?.length ?? og.internals.layouts[t.id]!.length;
    const got = t.shape[t.shape.length - 1];
    if (got !== want) throw new StudioError('shape-mismatch', `The pruned model's tensor ${t.id} has ${got} channels where this removal leaves ${want}: recovery needs the removal the version was pruned with.`);
  }
  const report: RecoverReport = { method: o.method, images: 0, positions: o.positions ?? RECOVER_DEFAULTS.positions, ms: 0, layers: [], batchNorms: 0 };
  const progress = progressReporter(o.onProgress);
  const chunks = calibrationChunks(split, o);
  report.images = chunks.reduce((n, c) => n + c.shape[0]!, 0);

  // the nodes to fix (by index of the shared node order), each with what its target is made of
  const targets = new Map<number, Target>();
  if (o.method === 'reconstruct') {
    for (const node of pg.nodes) {
      const spec = linearSpec(node.layer);
      if (!spec || !node.layer.trainable || node.inputs.length !== 1) continue;
      const reduced = pg.tensors[node.inputs[0]!]!.shape.at(-1) !== orig.tensors[node.inputs[0]!]!.shape.at(-1);
      if (!reduced && o.layers !== 'all') continue;
      const linear = spec.activation === 'linear';
      const p = linear ? blockPath(pg, node) : null;
      const path = p && !p.add.inputs.some((t) => t !== p.via && dependsOn(pg, t, node.index)) ? p : null;
      // linear layers read the original's value (block output or own output); others recompute its pre-activation
      const from = path ? path.add.outputs[0]! : linear ? node.outputs[0]! : node.inputs[0]!;
      targets.set(node.index, { spec, path, from });
    }
  }
  const origExec = new GraphExecutor(orig, chunks);
  // the original values the targets read are kept until read
  for (const t of targets.values()) origExec.hold(t.from);

  const ridge = o.ridge ?? RECOVER_DEFAULTS.ridge;
  const k = report.positions;
  const rnd = mulberry32((o.seed ?? 1) * 7919 + 17);
  let prunedExec: GraphExecutor;
  const reconstruct = async (node: GraphNode, inputs: Chunks[]): Promise<void> => {
    const { spec, path, from } = targets.get(node.index)!;
    const useBlock = !!path;
    const kernelVar = weightOf(node.layer, spec.kind === 'separable' ? 'pointwise_kernel' : 'kernel')!;
    const biasVar = spec.useBias ? weightOf(node.layer, 'bias') : undefined;
    const bnAfter = path?.bn ?? (() => {
      const cons = pg.tensors[node.outputs[0]!]!.consumers;
      const next = cons.length === 1 ? pg.nodes[cons[0]!] : undefined;
      return next?.className === 'BatchNormalization' ? next : undefined;
    })();
    const interceptInBn = !biasVar && spec.activation === 'linear' && !!bnAfter && !!weightOf(bnAfter.layer, 'moving_mean');
    const intercept = !!biasVar || interceptInBn;
    const outCh = spec.kernelShape[spec.kernelShape.length - 1]!;
    const unknowns = spec.kernelShape.slice(0, -1).reduce((p, d) => p * d, 1);
    const d = unknowns + (intercept ? 1 : 0);
    const { a, c } = useBlock ? bnMap(path!.bn, outCh) : { a: new Float64Array(outCh).fill(1), c: new Float64Array(outCh) };
    const keepOut = keep(useBlock ? from : node.outputs[0]!);
    const origVals = await origExec.value(from);
    const others = useBlock ? await Promise.all(path!.add.inputs.filter((t) => t !== path!.via).map((t) => prunedExec.value(t))) : [];
    const origKernel = spec.activation === 'linear' ? null : weightOf(original.getLayer(node.name), spec.kind === 'separable' ? 'pointwise_kernel' : 'kernel');
    const origLayer = original.getLayer(node.name);
    // columns whose output the BN scales to nothing keep their weights (their target is undefined)
    const amax = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const dead = Array.from(a, (v) => Math.abs(v) <= 1e-6 * amax);
    const normal = new NormalEquations();
    try {
      const aT = tf.tensor1d(Float32Array.from(a, (v, j) => (dead[j] ? 1 : v)));
      const cT = tf.tensor1d(Float32Array.from(c));
      const keepT = keepOut ? tf.tensor1d(keepOut, 'int32') : null;
      try {
        for (let ci = 0; ci < inputs[0]!.length; ci++) {
          throwIfAborted(o.signal);
          const x = inputs[0]![ci]!;
          const [ho, wo] = x.rank === 4 ? outputSize(spec, x.shape[1]!, x.shape[2]!) : [1, 1];
          const pos: Positions = x.rank === 4 ? samplePositions(x.shape[0]!, ho, wo, k, rnd) : { idx: new Int32Array(0), count: x.shape[0]! };
          tf.tidy(() => {
            let feats = features(node.layer, spec, x, pos);
            if (intercept) feats = tf.concat([feats, tf.ones([feats.shape[0], 1])], 1);
            let z: tf.Tensor2D;
            if (origKernel) {
              // non-linear activation: match the original's pre-activation output, computed at the sampled positions
              const of = features(origLayer, spec, origVals[ci]!, pos);
              z = tf.matMul(of, origKernel.read().reshape([-1, origKernel.shape.at(-1)!]) as tf.Tensor2D);
              const ob = weightOf(origLayer, 'bias');
              if (ob) z = tf.add(z, ob.read());
            } else {
              z = atPositions(origVals[ci]!, pos);
            }
            if (keepT) z = tf.gather(z, keepT, 1);
            if (useBlock) {
              // the whole block's output is the target: subtract what the other pruned branches contribute, then undo the BN
              for (const other of others) z = tf.sub(z, atPositions(other[ci]!, pos));
              z = tf.div(tf.sub(z, cT), aT);
            }
            normal.add(feats as tf.Tensor2D, z);
          });
        }
      } finally {
        tf.dispose([aT, cT, ...(keepT ? [keepT] : [])]);
      }
      origExec.drop(from);
      const sys = await normal.read();
      // current weights as the "before" solution, [d, outCh]
      const w0 = new Float64Array(d * outCh);
      w0.set(kernelVar.read().dataSync() as Float32Array);
      if (biasVar) w0.set(biasVar.read().dataSync() as Float32Array, unknowns * outCh);
      const scale = Float64Array.from(a, (v, j) => (dead[j] ? 0 : v * v));
      const sol = solveRidge(sys.g, sys.b, d, outCh, ridge, intercept ? [unknowns] : []);
      for (let j = 0; j < outCh; j++) if (dead[j]) for (let i = 0; i < d; i++) sol.w[i * outCh + j] = w0[i * outCh + j]!;
      let energy = 0;
      for (let j = 0; j < outCh; j++) energy += scale[j]! * Math.max(0, sys.zz[j]! - (sys.zs[j]! * sys.zs[j]!) / Math.max(1, normal.rows));
      const rel = (w: ArrayLike<number>) => (energy > 0 ? residualEnergy(sys.g, sys.b, sys.zz, w, d, outCh, scale) / energy : 0);
      const entry: LayerRecovery = {
        layer: node.name, target: useBlock ? 'block' : 'output', unknowns: d, outputs: outCh, samples: normal.rows,
        errorBefore: rel(w0), errorAfter: rel(sol.w), ridge: sol.relativeLambda,
      };
      if (!(entry.errorAfter <= entry.errorBefore)) {
        // never make a layer worse than surgery left it (possible with a heavy ridge or too few samples)
        entry.errorAfter = entry.errorBefore;
      } else {
        assign(kernelVar, Float32Array.from(sol.w.subarray(0, unknowns * outCh)));
        if (intercept) {
          const bias = Float32Array.from(sol.w.subarray(unknowns * outCh));
          if (biasVar) assign(biasVar, bias);
          else {
            const mv = weightOf(bnAfter!.layer, 'moving_mean')!;
            const mean = mv.read().dataSync() as Float32Array;
            assign(mv, Float32Array.from(mean, (m, j) => m - bias[j]!));
          }
        }
      }
      report.layers.push(entry);
    } finally {
      normal.dispose();
    }
  };
  const recalibrate = async (node: GraphNode, inputs: Chunks[]): Promise<void> => {
    const cfg = layerConfig(node.layer);
    const ax = Number(cfg.axis ?? -1);
    const x0 = inputs[0]![0]!;
    if (!(ax === -1 || ax === x0.rank - 1)) throw new StudioError('unsupported-layer', `BatchNormalization ${node.name} normalises axis ${ax}; recalibration supports the channel axis only.`);
    const axes = Array.from({ length: x0.rank - 1 }, (_, i) => i);
    let count = 0;
    let sum: tf.Tensor | null = null;
    for (const x of inputs[0]!) {
      const s = tf.tidy(() => (sum ? tf.add(sum, tf.sum(x, axes)) : tf.sum(x, axes)));
      sum?.dispose();
      sum = s;
      count += x.size / x.shape[x.rank - 1]!;
    }
    const mean = tf.tidy(() => tf.div(sum!, count));
    sum!.dispose();
    let sq: tf.Tensor | null = null;
    for (const x of inputs[0]!) {
      const s = tf.tidy(() => {
        const v = tf.sum(tf.square(tf.sub(x, mean)), axes);
        return sq ? tf.add(sq, v) : v;
      });
      sq?.dispose();
      sq = s;
    }
    const variance = tf.tidy(() => tf.div(sq!, count));
    sq!.dispose();
    const mv = weightOf(node.layer, 'moving_mean');
    const vv = weightOf(node.layer, 'moving_variance');
    if (!mv || !vv) throw new StudioError('unsupported-layer', `BatchNormalization ${node.name} has no moving statistics.`);
    mv.write(mean);
    vv.write(variance);
    tf.dispose([mean, variance]);
    report.batchNorms++;
  };

  prunedExec = new GraphExecutor(pg, chunks, {
    beforeNode: async (node, inputs) => {
      if (targets.has(node.index)) await reconstruct(node, inputs);
      else if (o.method === 'bn' && node.className === 'BatchNormalization') await recalibrate(node, inputs);
    },
  });
  try {
    throwIfAborted(o.signal);
    progress(o.method, 0, `${report.images} calibration images`);
    const last = Math.max(-1, ...(o.method === 'reconstruct' ? [...targets.keys()] : pg.nodes.filter((n) => n.className === 'BatchNormalization').map((n) => n.index)));
    for (let i = 0; i <= last; i++) {
      throwIfAborted(o.signal);
      await prunedExec.run(i);
      progress(o.method, (i + 1) / (last + 1), `${pg.nodes[i]!.name} (${i + 1}/${last + 1} layers)`);
      if (targets.has(i) || pg.nodes[i]!.className === 'BatchNormalization') await nextTick();
    }
  } finally {
    prunedExec.dispose();
    origExec.dispose();
    tf.dispose(chunks);
  }
  report.ms = performance.now() - t0;
  progress(o.method, 1);
  return report;
}
