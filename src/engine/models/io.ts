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

/**
 * Builds a model from artifacts that came from outside (an upload, a bundle) without leaving tensors behind when it
 * fails: the topology is built first (tfjs does that synchronously, so exactly the variables created by it are known
 * and disposed if it throws), then every variable is matched to a weight spec by name and shape, and only then are
 * the weights decoded and set (the decoded tensors are always disposed). Errors are 'bad-input'.
 */
export async function buildImportedModel(a: tf.io.ModelArtifacts): Promise<tf.LayersModel> {
  if (!isObj(a.modelTopology)) throw new StudioError('bad-input', 'The model has no modelTopology.');
  checkGraphReferences(modelConfigOf(a.modelTopology));
  const registry = () => tf.engine().state.registeredVariables;
  const before = new Set(Object.keys(registry()));
  const building = tf.models.modelFromJSON({ modelTopology: a.modelTopology } as unknown as tf.io.ModelJSON);
  const created = Object.entries(registry()).filter(([k]) => !before.has(k)).map(([, v]) => v);
  let model: tf.LayersModel;
  try {
    model = await building;
  } catch (e) {
    for (const v of created) v.dispose();
    throw new StudioError('bad-input', `The model could not be built: ${(e as Error).message}`);
  }
  try {
    const specs = a.weightSpecs ?? [];
    const byName = new Map(specs.map((w) => [w.name, w]));
    if (byName.size !== specs.length) throw new StudioError('bad-input', "model.json's weightsManifest lists a weight name twice.");
    for (const w of model.weights) {
      const spec = byName.get(w.originalName);
      if (!spec) throw new StudioError('bad-input', `The model's layers need weight '${w.originalName}', which model.json's weightsManifest does not list.`);
      if (spec.shape.length !== w.shape.length || spec.shape.some((d, i) => d !== w.shape[i])) {
        throw new StudioError('bad-input', `Weight '${w.originalName}' has shape [${spec.shape.join(', ')}] in weightsManifest but the layer needs [${w.shape.join(', ')}].`);
      }
    }
    if (specs.length !== model.weights.length) throw new StudioError('bad-input', `model.json's weightsManifest lists ${specs.length} weights; the model's layers have ${model.weights.length}.`);
    const data = a.weightData === undefined ? new ArrayBuffer(0) : joinWeightData(a.weightData);
    const decoded = tf.io.decodeWeights(data, specs);
    try {
      model.loadWeights(decoded, true);
    } finally {
      tf.dispose(Object.values(decoded));
    }
    if (a.userDefinedMetadata) model.setUserDefinedMetadata(a.userDefinedMetadata);
    return model;
  } catch (e) {
    model.dispose();
    if (e instanceof StudioError) throw e;
    throw new StudioError('bad-input', `The model could not be built: ${(e as Error).message}`);
  }
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** Bytes a weight spec occupies in the shards. */
export function specBytes(spec: tf.io.WeightsManifestEntry): number {
  const s = spec as unknown;
  if (!isObj(s) || typeof s.name !== 'string') throw new StudioError('bad-input', `A weight spec in model.json is not {name, shape, dtype}: ${JSON.stringify(s)?.slice(0, 80)}.`);
  if (!Array.isArray(s.shape) || !s.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw new StudioError('bad-input', `Weight '${s.name}' has shape ${JSON.stringify(s.shape)?.slice(0, 80)}; a shape is a list of whole numbers ≥ 0.`);
  }
  const n = spec.shape.reduce((p, d) => p * d, 1);
  if (!Number.isSafeInteger(n)) throw new StudioError('bad-input', `Weight '${s.name}' has shape ${JSON.stringify(s.shape)}, which no weight file can hold.`);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const per = BYTES[dtype];
  if (per === undefined) {
    throw new StudioError('bad-input', `Weight '${spec.name}' has unsupported dtype '${dtype}'.`);
  }
  return n * per;
}

/** Throws 'bad-input' naming the first float32 weight that holds NaN or ±Infinity (a damaged or diverged file). */
export function checkFiniteWeights(specs: tf.io.WeightsManifestEntry[], data: Uint8Array): void {
  let off = 0;
  for (const spec of specs) {
    const bytes = specBytes(spec);
    if ((spec.quantization?.dtype ?? spec.dtype) === 'float32' && !spec.quantization) {
      const dv = new DataView(data.buffer, data.byteOffset + off, bytes);
      for (let i = 0; i < bytes; i += 4) {
        const v = dv.getFloat32(i, true);
        if (!Number.isFinite(v)) throw new StudioError('bad-input', `Weight '${spec.name}' holds ${v} at element ${i / 4}: the weight file is damaged, or the model diverged when it was trained.`, { weight: spec.name });
      }
    }
    off += bytes;
  }
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

/**
 * Throws 'bad-input' when a functional topology refers to a layer or node that does not exist or is cyclic: tfjs's
 * deserialiser re-queues a node whose inputs are not built yet and never stops, so such a model.json would hang the
 * tab. This replays its order abstractly: every pass must build at least one pending node (walks nested models).
 */
export function checkGraphReferences(modelConfig: Json, file = 'model.json'): void {
  const cfg = modelConfig.config;
  // A Sequential's layers are chained in order (no inbound_nodes, names inside each config): nothing to resolve.
  if (modelConfig.class_name === 'Sequential' || !isObj(cfg) || !Array.isArray(cfg.layers)) return;
  const bad: (why: string) => never = (why) => {
    throw new StudioError('bad-input', `'${file}' has a broken layer graph: ${why}.`);
  };
  const layers = cfg.layers as unknown[];
  const built = new Map<string, number>(); // layer name → nodes built so far
  const pending: { layer: string; node: number; inputs: [string, number][] }[] = [];
  for (const l of layers) {
    if (!isObj(l)) bad('a layer entry is not an object');
    const name = typeof l.name === 'string' && l.name !== '' ? l.name : bad('a layer has no name (or a name that is not a string)');
    if (built.has(name)) bad(`two layers are called '${name}'`);
    if (isObj(l.config) && l.config.name !== undefined && typeof l.config.name !== 'string') bad(`layer '${name}' has a config name that is not a string`);
    // An InputLayer and a nested model start with one node of their own; applying a layer adds the next node.
    const own = l.class_name === 'InputLayer' || l.class_name === 'Sequential' || l.class_name === 'Model' || l.class_name === 'Functional' ? 1 : 0;
    built.set(name, own);
    if (l.class_name === 'Model' || l.class_name === 'Functional') checkGraphReferences(l, file);
    const nodes = l.inbound_nodes ?? [];
    if (!Array.isArray(nodes)) bad(`layer '${name}' has inbound_nodes that are not a list`);
    nodes.forEach((n: unknown, k: number) => {
      if (!Array.isArray(n) || n.length === 0) bad(`node ${k} of layer '${name}' is not a non-empty list of inputs`);
      const inputs = n.map((x: unknown): [string, number] => {
        if (!Array.isArray(x) || typeof x[0] !== 'string' || !(Number.isInteger(x[1]) && (x[1] as number) >= 0)) return bad(`node ${k} of layer '${name}' has a malformed input`);
        return [x[0], x[1] as number];
      });
      pending.push({ layer: name, node: k + own, inputs });
    });
  }
  for (const p of pending) for (const [from] of p.inputs) if (!built.has(from)) bad(`layer '${p.layer}' takes its input from '${from}', which is not in the model`);
  let left = pending;
  while (left.length > 0) {
    const next = left.filter((p) => !(p.node === built.get(p.layer) && p.inputs.every(([from, node]) => node < built.get(from)!) && (built.set(p.layer, p.node + 1), true)));
    if (next.length === left.length) bad(`layer '${left[0]!.layer}' depends on a node that is never built (a cycle or a wrong node index)`);
    left = next;
  }
  for (const key of ['input_layers', 'output_layers'] as const) {
    const refs = cfg[key];
    if (refs === undefined) continue;
    if (!Array.isArray(refs)) bad(`${key} is not a list`);
    for (const r of refs) {
      if (!Array.isArray(r) || typeof r[0] !== 'string' || !built.has(r[0]) || !(Number.isInteger(r[1]) && (r[1] as number) >= 0 && (r[1] as number) < Math.max(1, built.get(r[0])!))) bad(`${key} names ${JSON.stringify(r)}, which is not a node of the model`);
    }
  }
}

function basename(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] ?? p;
}

/** Limits on a zip read whole (a model .zip, a .psbundle): beyond them it is refused with `too-large`. */
export const MEMORY_ZIP_LIMITS = { maxEntries: 10_000, maxBytes: 1024 ** 3 };

/**
 * unzipSync with limits checked on the sizes the zip declares BEFORE anything is inflated (fflate allocates each
 * member at its declared size, so a forged size alone could take the tab down): more than `maxEntries` members or
 * `maxBytes` declared bytes is `too-large`; anything unreadable is `corrupt-archive`.
 */
export function unzipLimited(bytes: Uint8Array, name: string, limits = MEMORY_ZIP_LIMITS): Record<string, Uint8Array> {
  let n = 0;
  let total = 0;
  try {
    return unzipSync(bytes, {
      filter: (f) => {
        total += f.originalSize;
        if (++n > limits.maxEntries || total > limits.maxBytes) {
          throw new StudioError('too-large', `'${name}' holds more than ${limits.maxEntries.toLocaleString('en')} files or ${(limits.maxBytes / 1024 ** 2).toFixed(0)} MiB: it is too large to open here, or a zip bomb.`, { file: name });
        }
        return true;
      },
    });
  } catch (e) {
    if (e instanceof StudioError) throw e;
    throw new StudioError('corrupt-archive', `'${name}' is not a readable zip archive: ${(e as Error).message}`, { file: name });
  }
}

/** Expands a single .zip upload into its files (directories flattened to base names). */
function expandZip(files: NamedBytes[]): NamedBytes[] {
  const out: NamedBytes[] = [];
  for (const f of files) {
    if (!/\.zip$/i.test(f.name)) {
      out.push({ name: basename(f.name), bytes: f.bytes });
      continue;
    }
    const entries = unzipLimited(f.bytes, f.name);
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
  checkGraphReferences(config, jsonFile.name);

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
  checkFiniteWeights(specs, weightData);
  return buildImportedModel({
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
