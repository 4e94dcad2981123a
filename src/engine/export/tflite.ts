/**
 * The .tflite writer: IR graph → a TFLite flatbuffer (schema version 3, "TFL3"), built table by table with the
 * `flatbuffers` package's Builder. One subgraph, batch 1, float32 NHWC activations; constant tensors in
 * Model.buffers (16-byte aligned). Weight encodings:
 * - `float32`: as is;
 * - `float16`: conv/depthwise/dense weights stored as FLOAT16 and widened by a DEQUANTIZE op (what the TFLite
 *   converter's float16 quantisation writes; runtimes fold it at load time);
 * - `int8-dynamic`: those weights as symmetric per-channel INT8 fed straight to CONV_2D / DEPTHWISE_CONV_2D /
 *   FULLY_CONNECTED, which then run their hybrid kernels (activations quantised on the fly): TFLite's dynamic-range
 *   quantisation.
 * Biases and per-channel scale/shift constants stay float32. The file carries a `serving_default` signature
 * (input `input`, output `logits`), a description, and a JSON metadata entry `pruning_studio`.
 */
import { Builder } from 'flatbuffers';
import type { Builder as FbBuilder } from 'flatbuffers';
import { StudioError } from '../errors';
import type { Activation, IrGraph, IrOp, Padding as IrPadding } from './ir';
import { quantizeInt8PerChannel, toFloat16 } from './quantize';
import { ActivationFunctionType, BuiltinOperator, BuiltinOptions, F, Padding, TensorType, TFLITE_FILE_IDENTIFIER, TFLITE_SCHEMA_VERSION } from './tflite-schema';
import type { BuiltinOperatorCode } from './tflite-schema';

export type WeightMode = 'float32' | 'float16' | 'int8-dynamic';
export const WEIGHT_MODES: readonly WeightMode[] = ['float32', 'float16', 'int8-dynamic'];

export interface TfliteWriteOptions {
  weights: WeightMode;
  description: string;
  /** Stored as UTF-8 JSON in the `pruning_studio` metadata buffer. */
  metadata: Record<string, unknown>;
}

type Offset = number;

interface PendingTensor {
  name: string;
  shape: number[];
  type: number;
  /** Index into buffers (0 = none). */
  buffer: number;
  quant?: { scales: Float32Array; axis: number };
}

interface PendingOp {
  code: BuiltinOperatorCode;
  inputs: number[];
  outputs: number[];
  optionsType: number;
  options?: (b: FbBuilder) => Offset;
}

function bytesOf(a: Float32Array | Int32Array | Int8Array | Uint16Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function act(a: Activation): number {
  return a === 'relu' ? ActivationFunctionType.RELU : a === 'relu6' ? ActivationFunctionType.RELU6 : ActivationFunctionType.NONE;
}

function pad(p: IrPadding): number {
  return p === 'same' ? Padding.SAME : Padding.VALID;
}

/** Collects tensors, buffers and operators, then serialises them in one pass. */
class TfliteGraph {
  readonly tensors: PendingTensor[] = [];
  readonly buffers: Uint8Array[] = [new Uint8Array(0)];
  readonly ops: PendingOp[] = [];

  addTensor(t: PendingTensor): number {
    this.tensors.push(t);
    return this.tensors.length - 1;
  }

  constant(name: string, shape: number[], data: Float32Array | Int32Array): number {
    this.buffers.push(bytesOf(data));
    return this.addTensor({ name, shape, type: data instanceof Int32Array ? TensorType.INT32 : TensorType.FLOAT32, buffer: this.buffers.length - 1 });
  }

  /** A weight tensor in the chosen encoding; returns the tensor the op should read. */
  weight(name: string, shape: number[], data: Float32Array, mode: WeightMode, channelAxis: number): number {
    if (mode === 'float32') return this.constant(name, shape, data);
    if (mode === 'float16') {
      this.buffers.push(bytesOf(toFloat16(data)));
      const half = this.addTensor({ name: `${name}_fp16`, shape, type: TensorType.FLOAT16, buffer: this.buffers.length - 1 });
      const full = this.addTensor({ name, shape, type: TensorType.FLOAT32, buffer: 0 });
      this.ops.push({ code: BuiltinOperator.DEQUANTIZE, inputs: [half], outputs: [full], optionsType: BuiltinOptions.NONE });
      return full;
    }
    const q = quantizeInt8PerChannel(data, shape, channelAxis);
    this.buffers.push(bytesOf(q.data));
    return this.addTensor({ name, shape, type: TensorType.INT8, buffer: this.buffers.length - 1, quant: { scales: q.scales, axis: channelAxis } });
  }
}

function int32Vector(b: FbBuilder, v: ArrayLike<number>): Offset {
  b.startVector(4, v.length, 4);
  for (let i = v.length - 1; i >= 0; i--) b.addInt32(v[i]!);
  return b.endVector();
}

function float32Vector(b: FbBuilder, v: ArrayLike<number>): Offset {
  b.startVector(4, v.length, 4);
  for (let i = v.length - 1; i >= 0; i--) b.addFloat32(v[i]!);
  return b.endVector();
}

function int64Vector(b: FbBuilder, v: ArrayLike<number>): Offset {
  b.startVector(8, v.length, 8);
  for (let i = v.length - 1; i >= 0; i--) b.addInt64(BigInt(v[i]!));
  return b.endVector();
}

function offsetVector(b: FbBuilder, v: Offset[]): Offset {
  b.startVector(4, v.length, 4);
  for (let i = v.length - 1; i >= 0; i--) b.addOffset(v[i]!);
  return b.endVector();
}

/** A [ubyte] vector aligned to 16 bytes (Buffer.data is `force_align: 16`). */
function alignedBytes(b: FbBuilder, data: Uint8Array): Offset {
  b.startVector(1, data.length, 16);
  b.pad(data.length);
  const bytes = b.dataBuffer().bytes();
  bytes.set(data, b.dataBuffer().capacity() - b.offset());
  return b.endVector();
}

function lowerOp(g: TfliteGraph, op: IrOp, t: (id: number) => number, mode: WeightMode): void {
  switch (op.kind) {
    case 'conv2d': {
      const f = g.weight(`${op.name}/filter`, op.filterShape, op.filter, mode, 0);
      const bias = g.constant(`${op.name}/bias`, [op.bias.length], op.bias);
      g.ops.push({
        code: BuiltinOperator.CONV_2D, inputs: [t(op.input), f, bias], outputs: [t(op.output)], optionsType: BuiltinOptions.Conv2DOptions,
        options: (b) => {
          const o = F.Conv2DOptions;
          b.startObject(o.count);
          b.addFieldInt8(o.padding, pad(op.padding), 0);
          b.addFieldInt32(o.stride_w, op.strides[1], 0);
          b.addFieldInt32(o.stride_h, op.strides[0], 0);
          b.addFieldInt8(o.fused_activation_function, act(op.activation), 0);
          b.addFieldInt32(o.dilation_w_factor, op.dilations[1], 1);
          b.addFieldInt32(o.dilation_h_factor, op.dilations[0], 1);
          return b.endObject();
        },
      });
      return;
    }
    case 'depthwise': {
      const f = g.weight(`${op.name}/filter`, op.filterShape, op.filter, mode, 3);
      const bias = g.constant(`${op.name}/bias`, [op.bias.length], op.bias);
      g.ops.push({
        code: BuiltinOperator.DEPTHWISE_CONV_2D, inputs: [t(op.input), f, bias], outputs: [t(op.output)], optionsType: BuiltinOptions.DepthwiseConv2DOptions,
        options: (b) => {
          const o = F.DepthwiseConv2DOptions;
          b.startObject(o.count);
          b.addFieldInt8(o.padding, pad(op.padding), 0);
          b.addFieldInt32(o.stride_w, op.strides[1], 0);
          b.addFieldInt32(o.stride_h, op.strides[0], 0);
          b.addFieldInt32(o.depth_multiplier, op.multiplier, 0);
          b.addFieldInt8(o.fused_activation_function, act(op.activation), 0);
          b.addFieldInt32(o.dilation_w_factor, op.dilations[1], 1);
          b.addFieldInt32(o.dilation_h_factor, op.dilations[0], 1);
          return b.endObject();
        },
      });
      return;
    }
    case 'dense': {
      const w = g.weight(`${op.name}/weights`, op.weightsShape, op.weights, mode, 0);
      const bias = g.constant(`${op.name}/bias`, [op.bias.length], op.bias);
      g.ops.push({
        code: BuiltinOperator.FULLY_CONNECTED, inputs: [t(op.input), w, bias], outputs: [t(op.output)], optionsType: BuiltinOptions.FullyConnectedOptions,
        options: (b) => {
          const o = F.FullyConnectedOptions;
          b.startObject(o.count);
          b.addFieldInt8(o.fused_activation_function, act(op.activation), 0);
          return b.endObject();
        },
      });
      return;
    }
    case 'scaleShift': {
      const c = op.scale.length;
      const scale = g.constant(`${op.name}/scale`, [c], op.scale);
      const shift = g.constant(`${op.name}/shift`, [c], op.shift);
      const mid = g.addTensor({ name: `${op.name}/scaled`, shape: g.tensors[t(op.output)]!.shape, type: TensorType.FLOAT32, buffer: 0 });
      g.ops.push({ code: BuiltinOperator.MUL, inputs: [t(op.input), scale], outputs: [mid], optionsType: BuiltinOptions.MulOptions, options: binaryOptions(F.MulOptions, 'none') });
      g.ops.push({ code: BuiltinOperator.ADD, inputs: [mid, shift], outputs: [t(op.output)], optionsType: BuiltinOptions.AddOptions, options: binaryOptions(F.AddOptions, op.activation) });
      return;
    }
    case 'add':
    case 'mul': {
      const add = op.kind === 'add';
      g.ops.push({
        code: add ? BuiltinOperator.ADD : BuiltinOperator.MUL, inputs: op.inputs.map(t), outputs: [t(op.output)],
        optionsType: add ? BuiltinOptions.AddOptions : BuiltinOptions.MulOptions, options: binaryOptions(add ? F.AddOptions : F.MulOptions, op.activation),
      });
      return;
    }
    case 'concat':
      g.ops.push({
        code: BuiltinOperator.CONCATENATION, inputs: op.inputs.map(t), outputs: [t(op.output)], optionsType: BuiltinOptions.ConcatenationOptions,
        options: (b) => {
          const o = F.ConcatenationOptions;
          b.startObject(o.count);
          b.addFieldInt32(o.axis, op.axis, 0);
          b.addFieldInt8(o.fused_activation_function, act(op.activation), 0);
          return b.endObject();
        },
      });
      return;
    case 'pad': {
      const p = g.constant(`${op.name}/paddings`, [4, 2], Int32Array.from([0, 0, op.pads[0][0], op.pads[0][1], op.pads[1][0], op.pads[1][1], 0, 0]));
      g.ops.push({ code: BuiltinOperator.PAD, inputs: [t(op.input), p], outputs: [t(op.output)], optionsType: BuiltinOptions.PadOptions, options: emptyOptions });
      return;
    }
    case 'maxPool':
    case 'avgPool':
      g.ops.push({
        code: op.kind === 'maxPool' ? BuiltinOperator.MAX_POOL_2D : BuiltinOperator.AVERAGE_POOL_2D, inputs: [t(op.input)], outputs: [t(op.output)], optionsType: BuiltinOptions.Pool2DOptions,
        options: (b) => {
          const o = F.Pool2DOptions;
          b.startObject(o.count);
          b.addFieldInt8(o.padding, pad(op.padding), 0);
          b.addFieldInt32(o.stride_w, op.strides[1], 0);
          b.addFieldInt32(o.stride_h, op.strides[0], 0);
          b.addFieldInt32(o.filter_width, op.size[1], 0);
          b.addFieldInt32(o.filter_height, op.size[0], 0);
          b.addFieldInt8(o.fused_activation_function, act(op.activation), 0);
          return b.endObject();
        },
      });
      return;
    case 'globalAvg':
    case 'globalMax': {
      const axes = g.constant(`${op.name}/axes`, [2], Int32Array.from([1, 2]));
      g.ops.push({
        code: op.kind === 'globalAvg' ? BuiltinOperator.MEAN : BuiltinOperator.REDUCE_MAX, inputs: [t(op.input), axes], outputs: [t(op.output)], optionsType: BuiltinOptions.ReducerOptions,
        options: (b) => {
          b.startObject(F.ReducerOptions.count);
          b.addFieldInt8(F.ReducerOptions.keep_dims, 0, 0);
          return b.endObject();
        },
      });
      return;
    }
    case 'reshape': {
      const shape = g.constant(`${op.name}/shape`, [op.shape.length], Int32Array.from(op.shape));
      g.ops.push({
        code: BuiltinOperator.RESHAPE, inputs: [t(op.input), shape], outputs: [t(op.output)], optionsType: BuiltinOptions.ReshapeOptions,
        options: (b) => {
          const v = int32Vector(b, op.shape);
          b.startObject(F.ReshapeOptions.count);
          b.addFieldOffset(F.ReshapeOptions.new_shape, v, 0);
          return b.endObject();
        },
      });
      return;
    }
    case 'softmax':
      g.ops.push({
        code: BuiltinOperator.SOFTMAX, inputs: [t(op.input)], outputs: [t(op.output)], optionsType: BuiltinOptions.SoftmaxOptions,
        options: (b) => {
          b.startObject(F.SoftmaxOptions.count);
          b.addFieldFloat32(F.SoftmaxOptions.beta, 1, 0);
          return b.endObject();
        },
      });
      return;
    case 'relu':
    case 'relu6':
    case 'sigmoid':
    case 'tanh': {
      const code = { relu: BuiltinOperator.RELU, relu6: BuiltinOperator.RELU6, sigmoid: BuiltinOperator.LOGISTIC, tanh: BuiltinOperator.TANH }[op.kind];
      g.ops.push({ code, inputs: [t(op.input)], outputs: [t(op.output)], optionsType: BuiltinOptions.NONE });
      return;
    }
    default: {
      const never: never = op;
      throw new StudioError('internal', `No TFLite mapping for IR op ${JSON.stringify((never as IrOp).kind)}.`);
    }
  }
}

function binaryOptions(o: { fused_activation_function: number; count: number }, a: Activation): (b: FbBuilder) => Offset {
  return (b) => {
    b.startObject(o.count);
    b.addFieldInt8(o.fused_activation_function, act(a), 0);
    return b.endObject();
  };
}

function emptyOptions(b: FbBuilder): Offset {
  b.startObject(0);
  return b.endObject();
}

/** Serialises the IR graph as a .tflite flatbuffer. */
export function writeTflite(graph: IrGraph, opts: TfliteWriteOptions): Uint8Array {
  if (!WEIGHT_MODES.includes(opts.weights)) throw new StudioError('bad-input', `Unknown weight encoding '${String(opts.weights)}' (use ${WEIGHT_MODES.join(', ')}).`);
  const g = new TfliteGraph();
  // Activation tensors first, in IR order, so IR ids map to TFLite ids one to one.
  for (const t of graph.tensors) g.addTensor({ name: t.name, shape: t.shape, type: TensorType.FLOAT32, buffer: 0 });
  const t = (id: number): number => id;
  for (const op of graph.ops) lowerOp(g, op, t, opts.weights);
  const meta = new TextEncoder().encode(JSON.stringify(opts.metadata));
  g.buffers.push(meta);
  const metaBuffer = g.buffers.length - 1;

  const total = g.buffers.reduce((n, x) => n + x.length + 16, 0);
  const b = new Builder(Math.min(2 ** 31 - 1, total + 64 * 1024));
  // Buffers (the bulk) first: the builder writes back to front, so they end up at the end of the file.
  const bufferOffsets = g.buffers.map((data, i) => {
    const d = i === 0 ? 0 : alignedBytes(b, data);
    b.startObject(F.Buffer.count);
    if (d) b.addFieldOffset(F.Buffer.data, d, 0);
    return b.endObject();
  });
  const tensorOffsets = g.tensors.map((x) => {
    const name = b.createString(x.name);
    const shape = int32Vector(b, x.shape);
    let quant = 0;
    if (x.quant) {
      const scale = float32Vector(b, x.quant.scales);
      const zero = int64Vector(b, new Array<number>(x.quant.scales.length).fill(0));
      const q = F.QuantizationParameters;
      b.startObject(q.count);
      b.addFieldOffset(q.scale, scale, 0);
      b.addFieldOffset(q.zero_point, zero, 0);
      b.addFieldInt32(q.quantized_dimension, x.quant.axis, 0);
      quant = b.endObject();
    }
    const f = F.Tensor;
    b.startObject(f.count);
    b.addFieldOffset(f.shape, shape, 0);
    b.addFieldInt8(f.type, x.type, 0);
    b.addFieldInt32(f.buffer, x.buffer, 0);
    b.addFieldOffset(f.name, name, 0);
    if (quant) b.addFieldOffset(f.quantization, quant, 0);
    return b.endObject();
  });
  const codes: BuiltinOperatorCode[] = [];
  const opOffsets = g.ops.map((op) => {
    let idx = codes.indexOf(op.code);
    if (idx < 0) idx = codes.push(op.code) - 1;
    const inputs = int32Vector(b, op.inputs);
    const outputs = int32Vector(b, op.outputs);
    const options = op.options ? op.options(b) : 0;
    const f = F.Operator;
    b.startObject(f.count);
    b.addFieldInt32(f.opcode_index, idx, 0);
    b.addFieldOffset(f.inputs, inputs, 0);
    b.addFieldOffset(f.outputs, outputs, 0);
    if (options) {
      b.addFieldInt8(f.builtin_options_type, op.optionsType, 0);
      b.addFieldOffset(f.builtin_options, options, 0);
    }
    return b.endObject();
  });
  const tensorsVec = offsetVector(b, tensorOffsets);
  const inVec = int32Vector(b, [graph.input]);
  const outVec = int32Vector(b, [graph.output]);
  const opsVec = offsetVector(b, opOffsets);
  const sgName = b.createString('main');
  b.startObject(F.SubGraph.count);
  b.addFieldOffset(F.SubGraph.tensors, tensorsVec, 0);
  b.addFieldOffset(F.SubGraph.inputs, inVec, 0);
  b.addFieldOffset(F.SubGraph.outputs, outVec, 0);
  b.addFieldOffset(F.SubGraph.operators, opsVec, 0);
  b.addFieldOffset(F.SubGraph.name, sgName, 0);
  const subgraph = b.endObject();

  const codeOffsets = codes.map((code) => {
    const f = F.OperatorCode;
    b.startObject(f.count);
    b.addFieldInt8(f.deprecated_builtin_code, Math.min(code, 127), 0);
    b.addFieldInt32(f.version, 1, 1);
    b.addFieldInt32(f.builtin_code, code, 0);
    return b.endObject();
  });

  const tensorMap = (name: string, index: number): Offset => {
    const n = b.createString(name);
    b.startObject(F.TensorMap.count);
    b.addFieldOffset(F.TensorMap.name, n, 0);
    b.addFieldInt32(F.TensorMap.tensor_index, index, 0);
    return b.endObject();
  };
  const sigIn = offsetVector(b, [tensorMap('input', graph.input)]);
  const sigOut = offsetVector(b, [tensorMap('logits', graph.output)]);
  const sigKey = b.createString('serving_default');
  b.startObject(F.SignatureDef.count);
  b.addFieldOffset(F.SignatureDef.inputs, sigIn, 0);
  b.addFieldOffset(F.SignatureDef.outputs, sigOut, 0);
  b.addFieldOffset(F.SignatureDef.signature_key, sigKey, 0);
  b.addFieldInt32(F.SignatureDef.subgraph_index, 0, 0);
  const signature = b.endObject();

  const metaName = b.createString('pruning_studio');
  b.startObject(F.Metadata.count);
  b.addFieldOffset(F.Metadata.name, metaName, 0);
  b.addFieldInt32(F.Metadata.buffer, metaBuffer, 0);
  const metadata = b.endObject();

  const codesVec = offsetVector(b, codeOffsets);
  const subgraphsVec = offsetVector(b, [subgraph]);
  const description = b.createString(opts.description);
  const buffersVec = offsetVector(b, bufferOffsets);
  const metadataVec = offsetVector(b, [metadata]);
  const signaturesVec = offsetVector(b, [signature]);
  const f = F.Model;
  b.startObject(f.count);
  b.addFieldInt32(f.version, TFLITE_SCHEMA_VERSION, 0);
  b.addFieldOffset(f.operator_codes, codesVec, 0);
  b.addFieldOffset(f.subgraphs, subgraphsVec, 0);
  b.addFieldOffset(f.description, description, 0);
  b.addFieldOffset(f.buffers, buffersVec, 0);
  b.addFieldOffset(f.metadata, metadataVec, 0);
  b.addFieldOffset(f.signature_defs, signaturesVec, 0);
  const model = b.endObject();
  b.finish(model, TFLITE_FILE_IDENTIFIER);
  return b.asUint8Array().slice();
}
