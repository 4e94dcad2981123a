/**
 * Graph clean-up before writing: folds a per-channel scale/shift (inference BatchNormalization) into the conv,
 * depthwise conv or dense op that feeds it, then fuses ReLU/ReLU6 into the op before them, then drops tensors no
 * op uses. Only a producer whose output has no other reader is rewritten, so the result computes the same function.
 * The folding itself is the one small function `foldScaleShift` (swap it for a shared BN-fold helper if one lands).
 */
import { consumerCounts, opInputs, takesFusedActivation } from './ir';
import type { ConvOp, DenseOp, DepthwiseOp, IrGraph, IrOp } from './ir';

/**
 * w'[o, …] = w[o, …] · scale[o], b'[o] = b[o] · scale[o] + shift[o] for the op's output channels.
 * Returns new arrays; the op's own are not modified.
 */
export function foldScaleShift(weights: Float32Array, bias: Float32Array, scale: Float32Array, shift: Float32Array, layout: 'out-first' | 'out-last'): { weights: Float32Array; bias: Float32Array } {
  const c = bias.length;
  const per = weights.length / c;
  const w = new Float32Array(weights.length);
  if (layout === 'out-first') {
    for (let o = 0; o < c; o++) for (let k = 0; k < per; k++) w[o * per + k] = weights[o * per + k]! * scale[o]!;
  } else {
    for (let k = 0; k < per; k++) for (let o = 0; o < c; o++) w[k * c + o] = weights[k * c + o]! * scale[o]!;
  }
  const b = new Float32Array(c);
  for (let o = 0; o < c; o++) b[o] = bias[o]! * scale[o]! + shift[o]!;
  return { weights: w, bias: b };
}

function foldInto(p: ConvOp | DepthwiseOp | DenseOp, scale: Float32Array, shift: Float32Array): IrOp {
  if (p.kind === 'dense') {
    const f = foldScaleShift(p.weights, p.bias, scale, shift, 'out-first');
    return { ...p, weights: f.weights, bias: f.bias };
  }
  // conv OHWI: output channel first; depthwise [1, kh, kw, C]: output channel last.
  const f = foldScaleShift(p.filter, p.bias, scale, shift, p.kind === 'conv2d' ? 'out-first' : 'out-last');
  return { ...p, filter: f.weights, bias: f.bias };
}

export interface FuseReport {
  foldedScaleShifts: number;
  fusedActivations: number;
}

/** Returns a new graph with scale/shifts folded and activations fused (the input graph is left as it is). */
export function fuseGraph(g: IrGraph): { graph: IrGraph; report: FuseReport } {
  let ops = [...g.ops];
  const report: FuseReport = { foldedScaleShifts: 0, fusedActivations: 0 };
  const producerIndex = (list: IrOp[]): Map<number, number> => new Map(list.map((op, i) => [op.output, i]));

  // 1. scale/shift folding into the producing conv/depthwise/dense.
  let counts = consumerCounts({ ...g, ops });
  let prod = producerIndex(ops);
  const keep: boolean[] = ops.map(() => true);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.kind !== 'scaleShift' || op.activation !== 'none') continue;
    const pi = prod.get(op.input);
    if (pi === undefined || !keep[pi]) continue;
    const p = ops[pi]!;
    if ((p.kind !== 'conv2d' && p.kind !== 'depthwise' && p.kind !== 'dense') || p.activation !== 'none' || counts[op.input] !== 1) continue;
    ops[pi] = { ...foldInto(p, op.scale, op.shift), output: op.output } as IrOp;
    keep[i] = false;
    report.foldedScaleShifts++;
  }
  ops = ops.filter((_, i) => keep[i]);

  // 2. ReLU / ReLU6 fused into the op that produces their input.
  counts = consumerCounts({ ...g, ops });
  prod = producerIndex(ops);
  const keep2: boolean[] = ops.map(() => true);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.kind !== 'relu' && op.kind !== 'relu6') continue;
    const pi = prod.get(op.input);
    if (pi === undefined || !keep2[pi]) continue;
    const p = ops[pi]!;
    if (!takesFusedActivation(p) || p.activation !== 'none' || counts[op.input] !== 1) continue;
    ops[pi] = { ...p, activation: op.kind, output: op.output } as IrOp;
    keep2[i] = false;
    report.fusedActivations++;
  }
  ops = ops.filter((_, i) => keep2[i]);

  // 3. Keep only tensors still in use, renumbered densely.
  const used = new Set<number>([g.input, g.output]);
  for (const op of ops) {
    for (const t of opInputs(op)) used.add(t);
    used.add(op.output);
  }
  const order = [...used].sort((a, b) => a - b);
  const map = new Map(order.map((t, i) => [t, i]));
  const m = (t: number): number => map.get(t)!;
  const tensors = order.map((t, i) => ({ ...g.tensors[t]!, id: i }));
  const remapped = ops.map((op): IrOp => ('inputs' in op ? { ...op, inputs: op.inputs.map(m) as never, output: m(op.output) } : { ...op, input: m(op.input), output: m(op.output) }));
  return { graph: { name: g.name, tensors, ops: remapped, input: m(g.input), output: m(g.output) }, report };
}
