/**
 * The ONNX protobuf messages the .onnx writer needs (ModelProto and what it contains), encoded with protobufjs's
 * minimal Writer. Field numbers and types follow the public onnx.proto (proto2, IR version 8); the subset used is
 * written out in `onnx-subset.proto` next to this file, which the unit tests decode the output with. Repeated
 * scalars are written unpacked, as proto2 declares them; every protobuf parser accepts that.
 * The minimal Writer generates no code at run time, so this works under the studio's CSP (no 'unsafe-eval').
 */
import protobuf from 'protobufjs/minimal.js';

type Writer = protobuf.Writer;

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;

/** AttributeProto.AttributeType values used here. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

export type Attribute =
  | { name: string; type: 'int'; i: number }
  | { name: string; type: 'ints'; ints: number[] }
  | { name: string; type: 'float'; f: number }
  | { name: string; type: 'string'; s: string };

export interface NodeProto {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes?: Attribute[];
}

export interface TensorProto {
  name: string;
  dims: number[];
  /** float32 → FLOAT (raw little-endian bytes), BigInt64Array → INT64. */
  data: Float32Array | BigInt64Array;
}

export interface ValueInfoProto {
  name: string;
  elemType: number;
  dims: (number | string)[];
}

export interface GraphProto {
  name: string;
  nodes: NodeProto[];
  initializers: TensorProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  docString?: string;
}

export interface ModelProto {
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  docString: string;
  graph: GraphProto;
  metadata: Record<string, string>;
}

const VARINT = 0;
const I32 = 5;
const LEN = 2;

const tag = (field: number, wire: number): number => ((field << 3) | wire) >>> 0;

function str(w: Writer, field: number, v: string): void {
  w.uint32(tag(field, LEN)).string(v);
}

function i64(w: Writer, field: number, v: number): void {
  if (!Number.isSafeInteger(v)) throw new RangeError(`int64 field ${field}: ${v} is not a safe integer`);
  w.uint32(tag(field, VARINT)).int64(v);
}

function msg(w: Writer, field: number, body: (w: Writer) => void): void {
  w.uint32(tag(field, LEN)).fork();
  body(w);
  w.ldelim();
}

function littleEndianBytes(a: Float32Array | BigInt64Array): Uint8Array {
  // Typed arrays are in platform order; every platform a browser runs on is little-endian, but be exact.
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (le) return bytes;
  const out = new Uint8Array(bytes.length);
  const k = a.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += k) for (let j = 0; j < k; j++) out[i + j] = bytes[i + k - 1 - j]!;
  return out;
}

function writeAttribute(w: Writer, a: Attribute): void {
  str(w, 1, a.name);
  switch (a.type) {
    case 'float':
      w.uint32(tag(2, I32)).float(a.f);
      w.uint32(tag(20, VARINT)).int32(AttributeType.FLOAT);
      break;
    case 'int':
      i64(w, 3, a.i);
      w.uint32(tag(20, VARINT)).int32(AttributeType.INT);
      break;
    case 'string':
      w.uint32(tag(4, LEN)).bytes(new TextEncoder().encode(a.s));
      w.uint32(tag(20, VARINT)).int32(AttributeType.STRING);
      break;
    case 'ints':
      for (const v of a.ints) i64(w, 8, v);
      w.uint32(tag(20, VARINT)).int32(AttributeType.INTS);
      break;
  }
}

function writeNode(w: Writer, n: NodeProto): void {
  for (const i of n.inputs) str(w, 1, i);
  for (const o of n.outputs) str(w, 2, o);
  str(w, 3, n.name);
  str(w, 4, n.opType);
  for (const a of n.attributes ?? []) msg(w, 5, (w) => writeAttribute(w, a));
}

function writeTensor(w: Writer, t: TensorProto): void {
  for (const d of t.dims) i64(w, 1, d);
  w.uint32(tag(2, VARINT)).int32(t.data instanceof Float32Array ? DataType.FLOAT : DataType.INT64);
  str(w, 8, t.name);
  w.uint32(tag(9, LEN)).bytes(littleEndianBytes(t.data));
}

function writeValueInfo(w: Writer, v: ValueInfoProto): void {
  str(w, 1, v.name);
  // TypeProto { tensor_type (1): Tensor { elem_type (1), shape (2): TensorShapeProto { dim (1): Dimension } } }
  msg(w, 2, (w) => msg(w, 1, (w) => {
    w.uint32(tag(1, VARINT)).int32(v.elemType);
    msg(w, 2, (w) => {
      for (const d of v.dims) msg(w, 1, (w) => (typeof d === 'number' ? i64(w, 1, d) : str(w, 2, d)));
    });
  }));
}

function writeGraph(w: Writer, g: GraphProto): void {
  for (const n of g.nodes) msg(w, 1, (w) => writeNode(w, n));
  str(w, 2, g.name);
  for (const t of g.initializers) msg(w, 5, (w) => writeTensor(w, t));
  if (g.docString) str(w, 10, g.docString);
  for (const v of g.inputs) msg(w, 11, (w) => writeValueInfo(w, v));
  for (const v of g.outputs) msg(w, 12, (w) => writeValueInfo(w, v));
}

/** Serialises a ModelProto (default ONNX operator domain only). */
export function encodeModel(m: ModelProto): Uint8Array {
  const w = protobuf.Writer.create();
  i64(w, 1, m.irVersion);
  str(w, 2, m.producerName);
  str(w, 3, m.producerVersion);
  str(w, 6, m.docString);
  msg(w, 7, (w) => writeGraph(w, m.graph));
  // OperatorSetIdProto { domain (1) = "" (the default domain), version (2) }
  msg(w, 8, (w) => {
    str(w, 1, '');
    i64(w, 2, m.opsetVersion);
  });
  for (const [key, value] of Object.entries(m.metadata)) {
    msg(w, 14, (w) => {
      str(w, 1, key);
      str(w, 2, value);
    });
  }
  return w.finish();
}
