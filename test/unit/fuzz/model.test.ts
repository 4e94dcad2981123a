/**
 * Fuzz: model import (model.json + weight shard, or one .zip of them) through the worker's importModel on a tiny
 * model the test builds (conv → BatchNorm → ReLU → pool → dense), mutated in model.json's bytes, its weightsManifest
 * (dtypes, shapes, absurd sizes, paths), its userDefinedMetadata and its topology (small numeric changes, wrong types,
 * deleted keys), in the weights (truncated, bit flips, NaN / Infinity), and in the zip (bytes, bombs, member floods).
 * A success is stored (and then deleted: the tensor count must come back); a failure stores nothing.
 * Topology numbers are changed by small steps only: a topology that asks tfjs for gigabytes of variables is not
 * bounded by the importer (docs/reliability.md).
 */
import * as tf from '@tensorflow/tfjs';
import { zipSync, type Zippable } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../../../src/api/worker/context';
import { deleteModel, importModel } from '../../../src/api/worker/models';
import { exportModelFiles, type NamedBytes } from '../../../src/engine/models/io';
import { setStudioMeta } from '../../../src/engine/models/metadata';
import { RAW_INPUT } from '../../../src/engine/models/types';
import { memoryKeyValue } from '../../../src/engine/storage/kv';
import { Rng, expectClean, fuzz, mutateBytes, mutateJson, type FuzzCase } from './harness';

function tinyModel(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3] });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }), name: 'conv' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  const y = tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }), name: 'logits' }).apply(x) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: y, name: 'tiny' });
  setStudioMeta(m, { arch: 'tiny', classes: ['a', 'b', 'c'], input: { ...RAW_INPUT }, lineage: ['built'] });
  return m;
}

let jsonValue: Record<string, unknown>;
let weights: Uint8Array;
const enc = new TextEncoder();

beforeAll(async () => {
  const m = tinyModel();
  const files = await exportModelFiles(m);
  m.dispose();
  jsonValue = JSON.parse(new TextDecoder().decode(files[0]!.bytes)) as Record<string, unknown>;
  weights = files[1]!.bytes;
});
afterAll(() => undefined);

/** Offsets of central directory headers (PK\1\2). */
export function centralHeaders(zip: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 4 <= zip.length; i++) if (zip[i] === 0x50 && zip[i + 1] === 0x4b && zip[i + 2] === 1 && zip[i + 3] === 2) out.push(i);
  return out;
}

const asFile = (f: NamedBytes) => ({ path: `tiny/${f.name}`, file: new Blob([f.bytes as BlobPart]) });

function region(paths: (string | number)[][], rng: Rng): (string | number)[] {
  const r = rng.int(10);
  const want = r < 4 ? 'weightsManifest' : r < 6 ? 'userDefinedMetadata' : r < 9 ? 'modelTopology' : null;
  const pool = want ? paths.filter((p) => p[0] === want) : paths;
  return rng.pick(pool.length > 0 ? pool : paths);
}

function floatsWith(values: number[], rng: Rng): Uint8Array {
  const w = weights.slice();
  const f = new Float32Array(w.buffer);
  const n = 1 + rng.int(4);
  for (let i = 0; i < n; i++) f[rng.int(f.length)] = rng.pick(values);
  return w;
}

function modelCase(seed: number, index: number): FuzzCase {
  const rng = new Rng(seed);
  let json: Uint8Array = enc.encode(JSON.stringify(jsonValue));
  let w = weights;
  let how = 'valid';
  let asZip = rng.chance(0.25);
  let zipBytes: Uint8Array | null = null;
  if (index > 0) {
    const kind = rng.int(12);
    if (kind <= 4) {
      const r = mutateJson(jsonValue, rng, (p) => region(p, rng), { bigTweaks: false });
      json = enc.encode(JSON.stringify(r.value));
      how = r.how;
    } else if (kind === 5) ({ bytes: json, how } = mutateBytes(json, rng));
    else if (kind === 6) {
      const r = mutateBytes(weights, rng);
      w = r.bytes;
      how = `weights ${r.how}`;
    } else if (kind === 7) {
      w = floatsWith([NaN, Infinity, -Infinity], rng);
      how = 'weights:non-finite values';
    } else if (kind === 8) {
      // A spec with an absurd shape whose byte count still matches (zero-size shapes, huge products).
      const j = JSON.parse(JSON.stringify(jsonValue)) as { weightsManifest: { weights: { shape: unknown; dtype: unknown }[] }[] };
      const spec = rng.pick(j.weightsManifest[0]!.weights);
      spec.shape = rng.pick([[0], [2 ** 40, 0], [-1, -4], [1e308], 'x', null, [[3]], [3, 'a']]);
      if (rng.chance(0.5)) spec.dtype = rng.pick(['float16', 'int32', 'bool', 'uint8', 'string', 7]);
      json = enc.encode(JSON.stringify(j));
      how = `spec:shape ${JSON.stringify(spec.shape)} dtype ${JSON.stringify(spec.dtype)}`;
    } else if (kind === 9) {
      asZip = true;
      const z = zipSync({ 'model.json': json, 'group1-shard1of1.bin': w });
      const r = mutateBytes(z, rng);
      zipBytes = r.bytes;
      how = `zip ${r.how}`;
    } else if (kind === 10) {
      asZip = true;
      // A member that inflates to far more than any model (a bomb) or a zip with thousands of members.
      const files: Zippable = { 'model.json': json, 'group1-shard1of1.bin': w };
      if (rng.chance(0.5)) files['padding.bin'] = [new Uint8Array(8 * 1024 * 1024), { level: 9 }];
      else for (let i = 0; i < 3000; i++) files[`x/${i}.txt`] = new Uint8Array(1);
      zipBytes = zipSync(files);
      how = files['padding.bin'] ? 'zip:8 MiB zero member' : 'zip:3000 members';
      if (rng.chance(0.4)) {
        // A forged central-directory size: fflate would allocate it before inflating anything.
        zipBytes = zipSync({ 'model.json': json, 'group1-shard1of1.bin': w });
        const at = centralHeaders(zipBytes);
        new DataView(zipBytes.buffer).setUint32(rng.pick(at) + 24, 0xfffffff0, true);
        how = 'zip:forged 4 GiB member size';
      }
    } else {
      const names = rng.pick([['model.json'], ['group1-shard1of1.bin'], ['model.json', 'other.json', 'group1-shard1of1.bin']]);
      how = `files:${names.join('+')}`;
      if (!names.includes('model.json')) json = new Uint8Array(0);
      if (names.includes('other.json')) return modelCaseFiles(seed, how, [{ name: 'model.json', bytes: json }, { name: 'other.json', bytes: json }, { name: 'group1-shard1of1.bin', bytes: w }], null);
      if (names.length === 1) return modelCaseFiles(seed, how, names[0] === 'model.json' ? [{ name: 'model.json', bytes: json }] : [{ name: 'group1-shard1of1.bin', bytes: w }], null);
    }
  }
  if (asZip && !zipBytes) zipBytes = zipSync({ 'model.json': json, 'group1-shard1of1.bin': w });
  return modelCaseFiles(seed, asZip ? `${how} (zip)` : how, [{ name: 'model.json', bytes: json }, { name: 'group1-shard1of1.bin', bytes: w }], zipBytes);
}

function modelCaseFiles(seed: number, how: string, files: NamedBytes[], zip: Uint8Array | null): FuzzCase {
  const kv = memoryKeyValue();
  const ctx = createContext(kv);
  let id: string | null = null;
  return {
    seed, how,
    run: async () => {
      const source = zip ? new File([zip as BlobPart], 'tiny.zip') : files.map(asFile);
      const info = await importModel(ctx, source);
      id = info.id;
    },
    leftovers: async () => (kv.map.size > 0 ? `${kv.map.size} keys stored` : ctx.models.size > 0 ? `${ctx.models.size} models cached` : ''),
    cleanup: async () => {
      if (id) await deleteModel(ctx, id);
    },
  };
}


describe('fuzz: model import', () => {
  it('the checked build path still imports a Sequential model and a functional model nesting one', async () => {
    const seq = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3 }), tf.layers.flatten(), tf.layers.dense({ units: 3 })] });
    const input = tf.input({ shape: [8, 8, 3] });
    const nested = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2 }).apply(seq.apply(input)) as tf.SymbolicTensor });
    for (const m of [seq, nested]) {
      const ctx = createContext(memoryKeyValue());
      const before = tf.memory().numTensors;
      const info = await importModel(ctx, (await exportModelFiles(m)).map(asFile));
      await deleteModel(ctx, info.id);
      expect(tf.memory().numTensors).toBe(before);
    }
    seq.dispose();
  });

  it('every mutated model.json / weights / zip imports or fails with a specific code, nothing stored, no tensor left', async () => {
    expectClean(await fuzz('model.json + weights', modelCase));
  });
});
