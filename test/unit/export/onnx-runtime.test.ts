/**
 * .onnx export: the protobuf writer decoded back with protobufjs (reflection over onnx-subset.proto) field by field,
 * and the file run in the real onnxruntime-web (its wasm EP, in Node) against tfjs: every zoo architecture (with
 * perturbed BN statistics so folding matters), both input layouts, the akamaster ResNet-20 on real CIFAR-10 images,
 * a hand-built model with the remaining layer types, and the specific error for a layer with no mapping.
 */
import * as tf from '@tensorflow/tfjs';
import protobuf from 'protobufjs';
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createZooModel } from '../../../src/engine/models/zoo';
import type { ZooArch } from '../../../src/engine/models/zoo';
import { exportOnnxModel } from '../../../src/engine/export/export-onnx';
import type { OnnxLayout } from '../../../src/engine/export/onnx';
import { OnnxRunner } from '../../../src/engine/export/ort';
import { verifyAgainstTfjs } from '../../../src/engine/export/verify';
import { encodeModel } from '../../../src/engine/export/onnx-proto';
import { getStudioMeta } from '../../../src/engine/models/metadata';
import { nodeOrtLoader } from '../../helpers/ort-node';
import { loadAkamaster, loadCifarRecords, SHARED } from '../models/akamaster';

const root = protobuf.parse(readFileSync(resolve(__dirname, '../../../src/engine/export/onnx-subset.proto'), 'utf8')).root;
const ModelProto = root.lookupType('onnx.ModelProto');

type Decoded = Record<string, unknown> & {
  irVersion: number; producerName: string; opsetImport: { domain: string; version: number }[];
  metadataProps: { key: string; value: string }[];
  graph: {
    name: string;
    node: { input: string[]; output: string[]; name: string; opType: string; attribute?: { name: string; type: string; i?: number; ints?: number[]; f?: number; s?: Uint8Array }[] }[];
    initializer: { name: string; dims: number[]; dataType: number; rawData: Uint8Array }[];
    input: { name: string; type: { tensorType: { elemType: number; shape: { dim: { dimValue?: number; dimParam?: string }[] } } } }[];
    output: { name: string; type: { tensorType: { elemType: number; shape: { dim: { dimValue?: number }[] } } } }[];
  };
};

function decode(bytes: Uint8Array): Decoded {
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, enums: String, bytes: Uint8Array, defaults: false }) as Decoded;
}

function perturbBn(model: tf.LayersModel, seed: number): void {
  let s = seed;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (const l of model.layers) {
    if (l.getClassName() !== 'BatchNormalization') continue;
    l.setWeights(l.getWeights().map((w, i) => tf.tidy(() => tf.tensor(Float32Array.from({ length: w.size }, () => (i === 3 || i === 0 ? 0.5 + rnd() : rnd() - 0.5)), w.shape))));
  }
}

function images(n: number, size: number, seed: number): { images: Uint8Array; labels: Uint16Array } {
  let s = seed;
  const img = new Uint8Array(n * size * size * 3).map(() => (s = (s * 1664525 + 1013904223) >>> 0) >>> 24);
  return { images: img, labels: new Uint16Array(n) };
}

async function verify(model: tf.LayersModel, data: { images: Uint8Array; labels: Uint16Array }, size: number, layout: OnnxLayout = 'nhwc') {
  const { bytes, summary } = exportOnnxModel(model, { layout, studioVersion: 'test' });
  const runner = await OnnxRunner.create(nodeOrtLoader, bytes);
  try {
    const r = await verifyAgainstTfjs(model, (x) => runner.runNhwc(x), { ...data, size, input: getStudioMeta(model).input }, { runtime: 'ort-wasm', encoding: 'float32' });
    return { r, summary, bytes, layout: runner.layout, inputShape: runner.inputShape };
  } finally {
    await runner.dispose();
  }
}

describe('ONNX protobuf writer', () => {
  it('writes ModelProto fields that protobufjs decodes back exactly', () => {
    const bytes = encodeModel({
      irVersion: 8, opsetVersion: 17, producerName: 'P', producerVersion: '1.2', docString: 'doc',
      metadata: { layout: 'NHWC', classes: '["a","b"]' },
      graph: {
        name: 'g',
        nodes: [{ name: 'c', opType: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attributes: [
          { name: 'pads', type: 'ints', ints: [0, 1, 2, 3] }, { name: 'group', type: 'int', i: 4 },
          { name: 'alpha', type: 'float', f: 0.5 }, { name: 'mode', type: 'string', s: 'constant' },
        ] }],
        initializers: [
          { name: 'w', dims: [2, 1, 1, 1], data: new Float32Array([1.5, -2]) },
          { name: 's', dims: [3], data: BigInt64Array.from([1n, -1n, 2n ** 40n]) },
        ],
        inputs: [{ name: 'x', elemType: 1, dims: [1, 8, 8, 3] }],
        outputs: [{ name: 'y', elemType: 1, dims: ['batch', 2] }],
      },
    });
    const m = decode(bytes);
    expect(m.irVersion).toBe(8);
    expect(m.producerName).toBe('P');
    expect(m.producerVersion).toBe('1.2');
    expect(m.docString).toBe('doc');
    expect(m.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(m.metadataProps).toEqual([{ key: 'layout', value: 'NHWC' }, { key: 'classes', value: '["a","b"]' }]);
    const n = m.graph.node[0]!;
    expect([n.name, n.opType, n.input, n.output]).toEqual(['c', 'Conv', ['x', 'w'], ['y']]);
    const attrs = n.attribute!.map((a) => (a.s ? { ...a, s: new TextDecoder().decode(a.s) } : a));
    expect(attrs).toEqual([
      { name: 'pads', type: 'INTS', ints: [0, 1, 2, 3] }, { name: 'group', type: 'INT', i: 4 },
      { name: 'alpha', type: 'FLOAT', f: 0.5 }, { name: 'mode', type: 'STRING', s: 'constant' },
    ]);
    const [w, s] = m.graph.initializer;
    expect([w!.name, w!.dims, w!.dataType]).toEqual(['w', [2, 1, 1, 1], 1]);
    expect(Array.from(new Float32Array(Uint8Array.from(w!.rawData).buffer))).toEqual([1.5, -2]);
    expect([s!.dataType, Array.from(new BigInt64Array(Uint8Array.from(s!.rawData).buffer))]).toEqual([7, [1n, -1n, 2n ** 40n]]);
    expect(m.graph.input[0]!.type.tensorType.elemType).toBe(1);
    expect(m.graph.input[0]!.type.tensorType.shape.dim.map((d) => d.dimValue)).toEqual([1, 8, 8, 3]);
    expect(m.graph.output[0]!.type.tensorType.shape.dim).toEqual([{ dimParam: 'batch' }, { dimValue: 2 }]);
  });

  it('states opset, layout, classes and input convention in metadata_props of a real export', () => {
    const model = createZooModel('resnet20', { numClasses: 10, inputSize: 16, seed: 1 });
    for (const layout of ['nhwc', 'nchw'] as const) {
      const m = decode(exportOnnxModel(model, { layout, studioVersion: '9.9' }).bytes);
      const props = Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]));
      expect(props.opset).toBe('17');
      expect(props.layout).toBe(layout === 'nhwc' ? 'NHWC input (one Transpose to NCHW inside)' : 'NCHW input');
      expect(JSON.parse(props.classes!)).toEqual(getStudioMeta(model).classes);
      expect(props.input_convention).toMatch(/^raw 0-255 RGB/);
      expect(JSON.parse(props.pruning_studio!)).toMatchObject({ arch: 'resnet20', opset: 17, input: { layout: layout.toUpperCase() } });
      expect(m.opsetImport).toEqual([{ domain: '', version: 17 }]);
      expect(m.graph.input[0]!.type.tensorType.shape.dim.map((d) => d.dimValue)).toEqual(layout === 'nhwc' ? [1, 16, 16, 3] : [1, 3, 16, 16]);
      expect(m.graph.output[0]!.name).toBe('logits');
      expect(m.graph.node[0]!.opType).toBe(layout === 'nhwc' ? 'Transpose' : 'Mul');
      // every node input is the graph input, an initializer or an earlier node's output
      const known = new Set([m.graph.input[0]!.name, ...m.graph.initializer.map((i) => i.name)]);
      for (const node of m.graph.node) {
        for (const i of node.input) expect(known.has(i), `${node.name} reads ${i}`).toBe(true);
        for (const o of node.output) known.add(o);
      }
    }
    model.dispose();
  });
});

describe('.onnx export in onnxruntime-web', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  const archs: ZooArch[] = ['resnet20', 'vgg16', 'densenet40', 'mobilenetv2'];
  for (const arch of archs) {
    it(`${arch}: float32 logits within 1e-3 of tfjs, same top-1`, async () => {
      const model = createZooModel(arch, { numClasses: 10, inputSize: 32, seed: 5 });
      perturbBn(model, 7);
      const before = tf.memory().numTensors;
      const { r } = await verify(model, images(4, 32, 3), 32, arch === 'vgg16' ? 'nchw' : 'nhwc');
      expect(tf.memory().numTensors).toBe(before);
      expect(r.maxAbsDiff).toBeLessThan(1e-3); // random-weight logits reach ~10; akamaster below holds 1e-4
      expect(r.top1Agreement).toBe(1);
      expect(r.ok).toBe(true);
      model.dispose();
    });
  }

  it.skipIf(!existsSync(SHARED))('akamaster ResNet-20 on 60 real CIFAR-10 test images, both layouts', async () => {
    const model = await loadAkamaster(20);
    const rec = loadCifarRecords();
    const n = 60;
    const data = { images: Uint8Array.from(rec.x.subarray(0, n * 3072)), labels: Uint16Array.from(rec.labels.subarray(0, n)) };
    for (const layout of ['nhwc', 'nchw'] as const) {
      const v = await verify(model, data, 32, layout);
      expect(v.layout).toBe(layout);
      expect(v.r.maxAbsDiff).toBeLessThan(1e-4);
      expect(v.r.top1Agreement).toBe(1);
      expect(v.r.top1Export).toBeGreaterThan(0.85);
      console.log(JSON.stringify({ layout, ...v.r, bytes: v.bytes.length }));
    }
    model.dispose();
  });

  it('a hand-built model with separable/strided depthwise convs, pools, concat, multiply, flatten, reshape, dropout, sigmoid/tanh/softmax', async () => {
    const input = tf.input({ shape: [16, 16, 3] });
    let x = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu6', useBias: true }).apply(input) as tf.SymbolicTensor;
    const a = tf.layers.separableConv2d({ filters: 8, kernelSize: 3, padding: 'same', depthMultiplier: 2, activation: 'tanh' }).apply(x) as tf.SymbolicTensor;
    const b = tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 1, padding: 'same', activation: 'sigmoid' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.multiply().apply([a, b]) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ epsilon: 1e-3 }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.concatenate().apply([x, a]) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.zeroPadding2d({ padding: [[1, 0], [0, 1]] }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'valid', depthMultiplier: 1 }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
    x = tf.layers.reshape({ targetShape: [4, 16] }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
    x = tf.layers.dropout({ rate: 0.5 }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: 6, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: x });
    perturbBn(model, 3);
    for (const layout of ['nhwc', 'nchw'] as const) {
      const { r } = await verify(model, images(3, 16, 9), 16, layout);
      expect(r.maxAbsDiff).toBeLessThan(1e-5);
      expect(r.top1Agreement).toBe(1);
    }
    model.dispose();
  });

  it('a strided same-padded conv, a 4-D reshape, global max pooling and a 4-D softmax', async () => {
    const input = tf.input({ shape: [9, 9, 3] });
    let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }).apply(input) as tf.SymbolicTensor;
    x = tf.layers.reshape({ targetShape: [5, 10, 2] }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.activation({ activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.globalMaxPooling2d({}).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: x });
    const { r } = await verify(model, images(3, 9, 4), 9);
    expect(r.maxAbsDiff).toBeLessThan(1e-5);
    model.dispose();
  });

  it('refuses a layer it cannot write, naming it and the format', () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const up = tf.layers.upSampling2d({ name: 'up' }).apply(input) as tf.SymbolicTensor;
    const m2 = tf.model({ inputs: input, outputs: up });
    try {
      exportOnnxModel(m2, { layout: 'nhwc' });
      expect.unreachable();
    } catch (e) {
      expect((e as { code: string }).code).toBe('unsupported-layer');
      expect(String(e)).toMatch(/Layer "up" \(UpSampling2D\) cannot be written to \.onnx/);
    }
    m2.dispose();
  });
});

describe('verdict', () => {
  it('float32: 1e-3 absolute or 1e-4 relative to the largest logit, every top-1 the same', async () => {
    const { verdict } = await import('../../../src/engine/export/verify');
    expect(verdict('float32', 5e-4, 1, 3).ok).toBe(true);
    expect(verdict('float32', 10, 1, 2e5).ok).toBe(true); // 5e-5 relative
    expect(verdict('float32', 0.01, 1, 5).ok).toBe(false);
    expect(verdict('float32', 0, 0.99, 5).ok).toBe(false);
    expect(verdict('float32', Number.NaN, 1, 5).ok).toBe(false);
  });
});
