/**
 * Model import/export in the TF.js layers-model format (model.json + binary weight shards),
 * entirely in memory: no DOM, no network. Imports validate the files before tfjs sees them,
 * so a bad upload gives a StudioError naming the file, layer or byte count at fault.
 */
import * as tf from '@tensorflow/tfjs';
import { unzipSync, zipSync } from 'fflate';
import { StudioError } from '../errors';

export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

export const SHARD_NAME = 'group1-shard1of1.bin';

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function joinWeightData(d: tf.io.WeightData | undefined): ArrayBuffer {
  if (!d) return new ArrayBuffer(0);
  return Array.isArray(d) ? tf.io.CompositeArrayBuffer.join(d) : d;
}

/** Serialises a model (topology, weights, userDefinedMetadata) to in-memory artifacts. */
export async function modelToArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      captured = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured) throw new StudioError('internal', `Saving model '${model.name}' produced no artifacts.`);
  const a: tf.io.ModelArtifacts = captured;
  return { ...a, weightData: joinWeightData(a.weightData) };
}

/** Builds a new model (own variables) from artifacts. */
export async function modelFromArtifacts(a: tf.io.ModelArtifacts): Promise<tf.LayersModel> {
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(a));
  } catch (e) {
    throw new StudioError('bad-input', `The model could not be built: ${(e as Error).message}`);
  }
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** Bytes a weight spec occupies in the shards. */
export function specBytes(spec: tf.io.WeightsManifestEntry): number {
  const n = spec.shape.reduce((p, d) => p * d, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const per = BYTES[dtype];
  if (per === undefined) {
    throw new StudioError('bad-input', `Weight '${spec.name}' has unsupported dtype '${dtype}'.`);
  }
  return n * per;
}

/** The Keras-style model config inside a modelTopology (handles both tfjs and converter layouts). */
function modelConfigOf(topology: Json): Json {
  return isObj(topology.model_config) ? topology.model_config : topology;
}

/** Registered Keras class names tfjs-layers can deserialize. */
function knownClassNames(): Set<string> {
  return new Set(Object.keys(tf.serialization.SerializationMap.getMap().classNameMap));
}

/** Throws 'unsupported-layer' for the first layer whose class tfjs-layers does not know (walks nested models). */
export function checkLayerClasses(modelConfig: Json, known = knownClassNames()): void {
  const cfg = modelConfig.config;
  const layers = isObj(cfg) ? cfg.layers : Array.isArray(cfg) ? cfg : undefined;
  if (!Array.isArray(layers)) return;
  for (const l of layers) {
    if (!isObj(l)) continue;
    const cls = String(l.class_name);
    const name = isObj(l.config) && typeof l.config.name === 'string' ? l.config.name : String(l.name ?? '?');
    if (!known.has(cls)) {
      throw new StudioError(
        'unsupported-layer',
        `Layer '${name}' has class '${cls}', which TensorFlow.js layers cannot run. Re-export the model without it.`,
        { layer: name, className: cls },
      );
    }
    if (cls === 'Model' || cls === 'Functional' || cls === 'Sequential') checkLayerClasses(l, known);
  }
}

function basename(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] ?? p;
}

/** Expands a single .zip upload into its files (directories flattened to base names). */
function expandZip(files: NamedBytes[]): NamedBytes[] {
  const out: NamedBytes[] = [];
  for (const f of files) {
    if (!/\.zip$/i.test(f.name)) {
      out.push({ name: basename(f.name), bytes: f.bytes });
      continue;
    }
    let entries: Record<string, Uint8Array>;
    try {
      entries = unzipSync(f.bytes);
    } catch (e) {
      throw new StudioError('corrupt-archive', `'${f.name}' is not a readable zip archive: ${(e as Error).message}`);
    }
    for (const [path, bytes] of Object.entries(entries)) {
      if (path.endsWith('/') || path.startsWith('__MACOSX/') || basename(path).startsWith('._')) continue;
      out.push({ name: basename(path), bytes });
    }
  }
  return out;
}

/**
 * Imports a layers-model from model.json + weight shards (or one .zip containing them).
 * Errors: 'missing-file' (no model.json / a shard named in the manifest is absent),
 * 'bad-input' (not JSON, not a layers-model, shard bytes ≠ weightSpecs bytes),
 * 'unsupported-layer' (a layer class tfjs-layers does not know).
 */
export async function importModelFromFiles(files: NamedBytes[]): Promise<tf.LayersModel> {
  const all = expandZip(files);
  const jsons = all.filter((f) => /\.json$/i.test(f.name));
  const jsonFile = jsons.find((f) => f.name === 'model.json') ?? (jsons.length === 1 ? jsons[0] : undefined);
  if (!jsonFile) {
    throw new StudioError(
      'missing-file',
      jsons.length === 0
        ? 'No model.json found: pick the model.json file together with its .bin weight file(s), or a .zip holding them.'
        : `Several .json files (${jsons.map((f) => f.name).join(', ')}) and none is called model.json.`,
    );
  }
  let mj: unknown;
  try {
    mj = JSON.parse(new TextDecoder().decode(jsonFile.bytes));
  } catch (e) {
    throw new StudioError('bad-input', `'${jsonFile.name}' is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObj(mj) || !isObj(mj.modelTopology)) {
    throw new StudioError('bad-input', `'${jsonFile.name}' is not a TensorFlow.js model.json (no modelTopology).`);
  }
  const format = typeof mj.format === 'string' ? mj.format : undefined;
  const config = modelConfigOf(mj.modelTopology);
  const cls = config.class_name;
  if (format === 'graph-model' || isObj(mj.modelTopology.node) || Array.isArray(mj.modelTopology.node)) {
    throw new StudioError(
      'bad-input',
      `'${jsonFile.name}' is a TensorFlow.js graph model; only layers models (Keras format) can be pruned. ` +
        'Convert the Keras model with tensorflowjs_converter --output_format=tfjs_layers_model.',
    );
  }
  if (format !== undefined && format !== 'layers-model') {
    throw new StudioError('bad-input', `'${jsonFile.name}' has format '${format}', expected 'layers-model'.`);
  }
  if (cls !== 'Model' && cls !== 'Functional' && cls !== 'Sequential') {
    throw new StudioError(
      'bad-input',
      `'${jsonFile.name}' is not a layers model: its topology class is '${String(cls)}' (expected Functional, Model or Sequential).`,
    );
  }
  checkLayerClasses(config);

  const manifest = mj.weightsManifest;
  if (!Array.isArray(manifest)) {
    throw new StudioError('bad-input', `'${jsonFile.name}' has no weightsManifest.`);
  }
  const byName = new Map(all.map((f) => [f.name, f]));
  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  manifest.forEach((group: unknown, gi: number) => {
    if (!isObj(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new StudioError('bad-input', `weightsManifest group ${gi} in '${jsonFile.name}' has no paths/weights.`);
    }
    const groupSpecs = group.weights as tf.io.WeightsManifestEntry[];
    let actual = 0;
    const names: string[] = [];
    for (const p of group.paths) {
      const name = basename(String(p));
      const f = byName.get(name);
      if (!f) {
        throw new StudioError(
          'missing-file',
          `Weight file '${name}' (listed in ${jsonFile.name}) was not provided. Pick it together with model.json.`,
          { file: name },
        );
      }
      names.push(name);
      chunks.push(f.bytes);
      actual += f.bytes.byteLength;
    }
    const expected = groupSpecs.reduce((s, w) => s + specBytes(w), 0);
    if (expected !== actual) {
      throw new StudioError(
        'bad-input',
        `Weight file(s) ${names.join(', ')} hold ${actual} bytes but model.json's weightSpecs need ${expected} bytes ` +
          '(truncated download or shards of another model?).',
        { expected, actual },
      );
    }
    specs.push(...groupSpecs);
  });
  const total = chunks.reduce((s, c) => s + c.byteLength, 0);
  const weightData = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    weightData.set(c, off);
    off += c.byteLength;
  }
  return modelFromArtifacts({
    modelTopology: mj.modelTopology,
    weightSpecs: specs,
    weightData: weightData.buffer,
    format: 'layers-model',
    generatedBy: typeof mj.generatedBy === 'string' ? mj.generatedBy : undefined,
    convertedBy: typeof mj.convertedBy === 'string' ? mj.convertedBy : undefined,
    userDefinedMetadata: isObj(mj.userDefinedMetadata) ? (mj.userDefinedMetadata as {}) : undefined,
  });
}

/** model.json + group1-shard1of1.bin, in the format tf.loadLayersModel and tensorflowjs_converter read. */
export async function exportModelFiles(model: tf.LayersModel): Promise<NamedBytes[]> {
  const a = await modelToArtifacts(model);
  const weights = new Uint8Array(joinWeightData(a.weightData));
  const json: Json = {
    format: 'layers-model',
    generatedBy: a.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: a.convertedBy ?? 'Pruning Studio',
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: [SHARD_NAME], weights: a.weightSpecs ?? [] }],
  };
  if (a.trainingConfig) json.trainingConfig = a.trainingConfig;
  if (a.userDefinedMetadata) json.userDefinedMetadata = a.userDefinedMetadata;
  return [
    { name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(json)) },
    { name: SHARD_NAME, bytes: weights },
  ];
}

/** A .zip with model.json and group1-shard1of1.bin at its root; `name` becomes the archive comment. */
export async function exportModelZip(model: tf.LayersModel, name: string): Promise<Uint8Array> {
  const files = await exportModelFiles(model);
  const entries: Record<string, Uint8Array> = {};
  for (const f of files) entries[f.name] = f.bytes;
  return zipSync(entries, { level: 6, comment: name });
}
