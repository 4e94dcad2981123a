/**
 * The export IR: a tiny, runtime-neutral graph of NHWC float32 ops that both the .tflite and the .onnx writers read.
 * Weights are plain Float32Arrays in the layouts TFLite uses (conv filters OHWI, depthwise [1, kh, kw, c·m],
 * fully-connected [out, in]); the ONNX writer transposes what it needs.
 */

export type Activation = 'none' | 'relu' | 'relu6';
export type Padding = 'same' | 'valid';

/** A value in the graph: a activation produced by an op, or the graph input. Batch is always 1. */
export interface IrTensor {
  id: number;
  name: string;
  /** NHWC for 4-D values, [1, features] for 2-D ones. */
  shape: number[];
}

export interface ConvOp {
  kind: 'conv2d';
  name: string;
  input: number;
  output: number;
  /** OHWI: [cout, kh, kw, cin]. */
  filter: Float32Array;
  filterShape: [number, number, number, number];
  bias: Float32Array;
  strides: [number, number];
  dilations: [number, number];
  padding: Padding;
  activation: Activation;
}

export interface DepthwiseOp {
  kind: 'depthwise';
  name: string;
  input: number;
  output: number;
  /** [1, kh, kw, cin·multiplier]; output channel c·m + j reads input channel c. */
  filter: Float32Array;
  filterShape: [1, number, number, number];
  multiplier: number;
  bias: Float32Array;
  strides: [number, number];
  dilations: [number, number];
  padding: Padding;
  activation: Activation;
}

export interface DenseOp {
  kind: 'dense';
  name: string;
  input: number;
  output: number;
  /** [units, inFeatures]. */
  weights: Float32Array;
  weightsShape: [number, number];
  bias: Float32Array;
  activation: Activation;
}

/** Per-channel affine on the last axis: y = x · scale + shift (standalone BatchNormalization, input normalisation). */
export interface ScaleShiftOp {
  kind: 'scaleShift';
  name: string;
  input: number;
  output: number;
  scale: Float32Array;
  shift: Float32Array;
  activation: Activation;
}

export interface BinaryOp {
  kind: 'add' | 'mul';
  name: string;
  inputs: [number, number];
  output: number;
  activation: Activation;
}

export interface ConcatOp {
  kind: 'concat';
  name: string;
  inputs: number[];
  output: number;
  /** Non-negative axis in the value's rank. */
  axis: number;
  activation: Activation;
}

export interface PadOp {
  kind: 'pad';
  name: string;
  input: number;
  output: number;
  /** [[top, bottom], [left, right]] zero padding of H and W. */
  pads: [[number, number], [number, number]];
}

export interface PoolOp {
  kind: 'maxPool' | 'avgPool';
  name: string;
  input: number;
  output: number;
  size: [number, number];
  strides: [number, number];
  padding: Padding;
  activation: Activation;
}

/** Mean (or max) over H and W, dropping them: [1, H, W, C] → [1, C]. */
export interface GlobalPoolOp {
  kind: 'globalAvg' | 'globalMax';
  name: string;
  input: number;
  output: number;
}

export interface ReshapeOp {
  kind: 'reshape';
  name: string;
  input: number;
  output: number;
  shape: number[];
}

export interface UnaryOp {
  kind: 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'softmax';
  name: string;
  input: number;
  output: number;
}

export type IrOp = ConvOp | DepthwiseOp | DenseOp | ScaleShiftOp | BinaryOp | ConcatOp | PadOp | PoolOp | GlobalPoolOp | ReshapeOp | UnaryOp;

export interface IrGraph {
  name: string;
  tensors: IrTensor[];
  ops: IrOp[];
  input: number;
  output: number;
}

export function opInputs(op: IrOp): number[] {
  return 'inputs' in op ? [...op.inputs] : [op.input];
}

/** Ops that can carry a fused ReLU / ReLU6 in both runtimes' fused forms. */
export function takesFusedActivation(op: IrOp): op is ConvOp | DepthwiseOp | DenseOp | ScaleShiftOp | BinaryOp | ConcatOp | PoolOp {
  return op.kind === 'conv2d' || op.kind === 'depthwise' || op.kind === 'dense' || op.kind === 'scaleShift' || op.kind === 'add' || op.kind === 'mul' || op.kind === 'concat' || op.kind === 'maxPool' || op.kind === 'avgPool';
}

/** How many ops read each tensor (the graph output counts as a reader). */
export function consumerCounts(g: IrGraph): number[] {
  const n = new Array<number>(g.tensors.length).fill(0);
  for (const op of g.ops) for (const t of opInputs(op)) n[t]!++;
  n[g.output]!++;
  return n;
}

/** The number of weights (floats) the graph carries. */
export function weightCount(g: IrGraph): number {
  let n = 0;
  for (const op of g.ops) {
    if (op.kind === 'conv2d' || op.kind === 'depthwise') n += op.filter.length + op.bias.length;
    else if (op.kind === 'dense') n += op.weights.length + op.bias.length;
    else if (op.kind === 'scaleShift') n += op.scale.length + op.shift.length;
  }
  return n;
}
