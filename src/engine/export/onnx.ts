/**
 * The .onnx writer: IR graph (NHWC, TFLite weight layouts) → an ONNX ModelProto, opset 17 (IR version 8), default
 * domain only, batch 1, float32. Inside the graph every 4-D value is NCHW, ONNX's native layout (Conv, pools and
 * GlobalAveragePool are defined on it); 2-D and 3-D values keep the IR's layout. The input is either
 * - `nhwc` (default, the studio's convention and the .tflite's): `input` [1, H, W, 3] followed by one Transpose, or
 * - `nchw`: `input` [1, 3, H, W], no Transpose.
 * Flatten/Reshape of a 4-D value transposes back to NHWC first, so the flattened order is the tfjs model's and
 * the Dense weights need no permutation. Fused ReLU / ReLU6 become Relu / Clip(0, 6) nodes (runtimes fuse them
 * into the Conv again). The output is `logits`. metadata_props carry the layout, opset, class names, the input
 * convention and the studio's JSON metadata (`pruning_studio`).
 */
import { StudioError } from '../errors';
import type { Activation, IrGraph, IrOp, Padding } from './ir';
import { DataType, encodeModel } from './onnx-proto';
import type { Attribute, NodeProto, TensorProto } from './onnx-proto';

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;
export type OnnxLayout = 'nhwc' | 'nchw';
export const ONNX_LAYOUTS: readonly OnnxLayout[] = ['nhwc', 'nchw'];

export interface OnnxWriteOptions {
  layout: OnnxLayout;
  producerVersion: string;
  docString: string;
  /** Extra metadata_props entries (strings), e.g. classes, input convention. */
  metadataProps: Record<string, string>;
  /** Stored as JSON under `pruning_studio`. */
  metadata: Record<string, unknown>;
}

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

/** Position of NHWC axis `a` in the NCHW layout. */
function nchwAxis(a: number): number {
  return TO_NCHW.indexOf(a);
}

/** OHWI [o, kh, kw, i] → OIHW [o, i, kh, kw]. */
export function ohwiToOihw(f: Float32Array, o: number, kh: number, kw: number, i: number): Float32Array {
  const out = new Float32Array(f.length);
  for (let a = 0; a < o; a++)
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let c = 0; c < i; c++) out[((a * i + c) * kh + y) * kw + x] = f[((a * kh + y) * kw + x) * i + c]!;
  return out;
}

/** Depthwise [1, kh, kw, C] → grouped-conv weights [C, 1, kh, kw]. */
export function depthwiseToOihw(f: Float32Array, kh: number, kw: number, c: number): Float32Array {
  const out = new Float32Array(f.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let o = 0; o < c; o++) out[(o * kh + y) * kw + x] = f[(y * kw + x) * c + o]!;
  return out;
}

/** TF 'same' / 'valid' padding as explicit ONNX pads [top, left, bottom, right]. */
export function explicitPads(padding: Padding, inHw: [number, number], outHw: [number, number], k: [number, number], s: [number, number], d: [number, number]): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  const before: number[] = [];
  const after: number[] = [];
  for (let a = 0; a < 2; a++) {
    const eff = (k[a]! - 1) * d[a]! + 1;
    const total = Math.max((outHw[a]! - 1) * s[a]! + eff - inHw[a]!, 0);
    before.push(Math.floor(total / 2));
    after.push(total - Math.floor(total / 2));
  }
  return [before[0]!, before[1]!, after[0]!, after[1]!];
}

class OnnxBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly used = new Set<string>();
  private readonly shared = new Map<string, string>();

  unique(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, '_') || 'v';
    let n = clean;
    for (let k = 1; this.used.has(n); k++) n = `${clean}_${k}`;
    this.used.add(n);
    return n;
  }

  init(base: string, dims: number[], data: Float32Array | BigInt64Array): string {
    const name = this.unique(base);
    this.initializers.push({ name, dims, data });
    return name;
  }

  /** A constant shared by several nodes (Clip bounds). */
  constant(key: string, dims: number[], data: Float32Array | BigInt64Array): string {
    const have = this.shared.get(key);
    if (have) return have;
    const name = this.init(key, dims, data);
    this.shared.set(key, name);
    return name;
  }

  node(opType: string, name: string, inputs: string[], output: string, attributes: Attribute[] = []): void {
    this.nodes.push({ name: this.unique(name), opType, inputs, outputs: [output], attributes });
  }
}

const ints = (name: string, v: number[]): Attribute => ({ name, type: 'ints', ints: v });
const int = (name: string, v: number): Attribute => ({ name, type: 'int', i: v });

/** Lays the IR graph out as ONNX nodes and initializers. */
function buildGraph(g: IrGraph, layout: OnnxLayout): { b: OnnxBuilder; input: { name: string; dims: number[] }; output: { name: string; dims: number[] } } {
  const b = new OnnxBuilder();
  const phys = new Map<number, string>();
  const shapeOf = (t: number): number[] => g.tensors[t]!.shape;
  const nameOf = (t: number): string => {
    const n = phys.get(t);
    if (n === undefined) throw new StudioError('internal', `ONNX writer: tensor ${g.tensors[t]?.name ?? t} is used before it is produced.`);
    return n;
  };
  const outputName = (t: number): string => {
    const n = b.unique(g.tensors[t]!.name);
    phys.set(t, n);
    return n;
  };

  const inShape = shapeOf(g.input);
  const inputName = b.unique('input');
  const logits = b.unique('logits');
  const inputDims = layout === 'nhwc' ? inShape : TO_NCHW.map((a) => inShape[a]!);
  if (layout === 'nhwc') {
    const t = b.unique('input_nchw');
    b.node('Transpose', 'input_to_nchw', [inputName], t, [ints('perm', TO_NCHW)]);
    phys.set(g.input, t);
  } else {
    phys.set(g.input, inputName);
  }

  /** Emits `opType` into the op's output, with a Relu / Clip node after it for a fused activation. */
  const emit = (op: IrOp, opType: string, inputs: string[], attrs: Attribute[], activation: Activation): void => {
    if (activation === 'none') {
      b.node(opType, op.name, inputs, outputName(op.output), attrs);
      return;
    }
    const pre = b.unique(`${g.tensors[op.output]!.name}/pre_${activation}`);
    b.node(opType, op.name, inputs, pre, attrs);
    activate(op.name, activation, pre, outputName(op.output));
  };
  const activate = (name: string, a: 'relu' | 'relu6', from: string, to: string): void => {
    if (a === 'relu') b.node('Relu', `${name}/relu`, [from], to);
    else b.node('Clip', `${name}/relu6`, [from, b.constant('clip_min_0', [], new Float32Array([0])), b.constant('clip_max_6', [], new Float32Array([6]))], to);
  };
  const hw = (s: number[]): [number, number] => [s[1]!, s[2]!];

  for (const op of g.ops) {
    switch (op.kind) {
      case 'conv2d': {
        const [o, kh, kw, i] = op.filterShape;
        const w = b.init(`${op.name}/W`, [o, i, kh, kw], ohwiToOihw(op.filter, o, kh, kw, i));
        const bias = b.init(`${op.name}/B`, [o], op.bias);
        const pads = explicitPads(op.padding, hw(shapeOf(op.input)), hw(shapeOf(op.output)), [kh, kw], op.strides, op.dilations);
        emit(op, 'Conv', [nameOf(op.input), w, bias], [ints('kernel_shape', [kh, kw]), ints('strides', op.strides), ints('dilations', op.dilations), ints('pads', pads), int('group', 1)], op.activation);
        break;
      }
      case 'depthwise': {
        const [, kh, kw, c] = op.filterShape;
        const cin = c / op.multiplier;
        const w = b.init(`${op.name}/W`, [c, 1, kh, kw], depthwiseToOihw(op.filter, kh, kw, c));
        const bias = b.init(`${op.name}/B`, [c], op.bias);
        const pads = explicitPads(op.padding, hw(shapeOf(op.input)), hw(shapeOf(op.output)), [kh, kw], op.strides, op.dilations);
        emit(op, 'Conv', [nameOf(op.input), w, bias], [ints('kernel_shape', [kh, kw]), ints('strides', op.strides), ints('dilations', op.dilations), ints('pads', pads), int('group', cin)], op.activation);
        break;
      }
      case 'dense': {
        const [units, fin] = op.weightsShape;
        const w = b.init(`${op.name}/W`, [units, fin], op.weights);
        const bias = b.init(`${op.name}/B`, [units], op.bias);
        emit(op, 'Gemm', [nameOf(op.input), w, bias], [int('transB', 1)], op.activation);
        break;
      }
      case 'scaleShift': {
        const rank = shapeOf(op.input).length;
        const c = op.scale.length;
        const dims = rank === 4 ? [1, c, 1, 1] : [c];
        const scale = b.init(`${op.name}/scale`, dims, op.scale);
        const shift = b.init(`${op.name}/shift`, dims, op.shift);
        const mid = b.unique(`${op.name}/scaled`);
        b.node('Mul', `${op.name}/mul`, [nameOf(op.input), scale], mid);
        emit(op, 'Add', [mid, shift], [], op.activation);
        break;
      }
      case 'add':
      case 'mul':
        emit(op, op.kind === 'add' ? 'Add' : 'Mul', op.inputs.map(nameOf), [], op.activation);
        break;
      case 'concat': {
        const rank = shapeOf(op.output).length;
        emit(op, 'Concat', op.inputs.map(nameOf), [int('axis', rank === 4 ? nchwAxis(op.axis) : op.axis)], op.activation);
        break;
      }
      case 'pad': {
        const [[t, bo], [l, r]] = op.pads;
        const pads = b.init(`${op.name}/pads`, [8], BigInt64Array.from([0, 0, t, l, 0, 0, bo, r].map(BigInt)));
        b.node('Pad', op.name, [nameOf(op.input), pads], outputName(op.output), [{ name: 'mode', type: 'string', s: 'constant' }]);
        break;
      }
      case 'maxPool':
      case 'avgPool': {
        const pads = explicitPads(op.padding, hw(shapeOf(op.input)), hw(shapeOf(op.output)), op.size, op.strides, [1, 1]);
        const attrs = [ints('kernel_shape', op.size), ints('strides', op.strides), ints('pads', pads)];
        // tfjs/TFLite 'same' average pooling divides by the in-image count: count_include_pad = 0 (ONNX's default).
        if (op.kind === 'avgPool') attrs.push(int('count_include_pad', 0));
        emit(op, op.kind === 'maxPool' ? 'MaxPool' : 'AveragePool', [nameOf(op.input)], attrs, op.activation);
        break;
      }
      case 'globalAvg':
      case 'globalMax': {
        const mid = b.unique(`${op.name}/pooled`);
        b.node(op.kind === 'globalAvg' ? 'GlobalAveragePool' : 'GlobalMaxPool', op.name, [nameOf(op.input)], mid);
        b.node('Flatten', `${op.name}/flatten`, [mid], outputName(op.output), [int('axis', 1)]);
        break;
      }
      case 'reshape': {
        let x = nameOf(op.input);
        if (shapeOf(op.input).length === 4) {
          const t = b.unique(`${op.name}/nhwc`);
          b.node('Transpose', `${op.name}/to_nhwc`, [x], t, [ints('perm', TO_NHWC)]);
          x = t;
        }
        const target = op.shape;
        const shape = b.init(`${op.name}/shape`, [target.length], BigInt64Array.from(target.map(BigInt)));
        if (target.length === 4) {
          const t = b.unique(`${op.name}/nhwc_out`);
          b.node('Reshape', op.name, [x, shape], t);
          b.node('Transpose', `${op.name}/to_nchw`, [t], outputName(op.output), [ints('perm', TO_NCHW)]);
        } else {
          b.node('Reshape', op.name, [x, shape], outputName(op.output));
        }
        break;
      }
      case 'relu':
      case 'relu6':
        activate(op.name, op.kind, nameOf(op.input), outputName(op.output));
        break;
      case 'sigmoid':
        b.node('Sigmoid', op.name, [nameOf(op.input)], outputName(op.output));
        break;
      case 'tanh':
        b.node('Tanh', op.name, [nameOf(op.input)], outputName(op.output));
        break;
      case 'softmax': {
        const rank = shapeOf(op.input).length;
        b.node('Softmax', op.name, [nameOf(op.input)], outputName(op.output), [int('axis', rank === 4 ? 1 : rank - 1)]);
        break;
      }
      default: {
        const never: never = op;
        throw new StudioError('unsupported-layer', `The ONNX writer has no mapping for IR op ${(never as IrOp).kind}.`);
      }
    }
  }

  // The graph output is `logits`, in NHWC when it is 4-D.
  const outShape = shapeOf(g.output);
  const last = nameOf(g.output);
  if (outShape.length === 4) {
    b.node('Transpose', 'logits_to_nhwc', [last], logits, [ints('perm', TO_NHWC)]);
  } else {
    // Rename the producer's output rather than adding an Identity node, unless another node reads it too.
    const producer = b.nodes.find((n) => n.outputs[0] === last);
    const readers = b.nodes.filter((n) => n.inputs.includes(last)).length;
    if (producer && readers === 0) producer.outputs[0] = logits;
    else b.node('Identity', 'logits', [last], logits);
  }
  return { b, input: { name: inputName, dims: inputDims }, output: { name: logits, dims: outShape } };
}

/** IR graph → .onnx bytes. */
export function writeOnnx(g: IrGraph, opts: OnnxWriteOptions): Uint8Array {
  const { b, input, output } = buildGraph(g, opts.layout);
  return encodeModel({
    irVersion: ONNX_IR_VERSION,
    opsetVersion: ONNX_OPSET,
    producerName: 'Pruning Studio',
    producerVersion: opts.producerVersion,
    docString: opts.docString,
    graph: {
      name: g.name || 'model',
      nodes: b.nodes,
      initializers: b.initializers,
      inputs: [{ name: input.name, elemType: DataType.FLOAT, dims: input.dims }],
      outputs: [{ name: output.name, elemType: DataType.FLOAT, dims: output.dims }],
    },
    metadata: { ...opts.metadataProps, pruning_studio: JSON.stringify(opts.metadata) },
  });
}
