/**
 * The deployment bundle: one .psbundle file (a zip) holding the models to compare, the first N test images with
 * their labels, the desktop's predictions on them and the benchmark settings, so a phone can time the models and
 * check that its results match the desktop's. Layout:
 *   manifest.json, models/<id>/model.json, models/<id>/weights.bin, images.bin (uint8 NHWC), labels.bin (uint16 LE),
 *   pred/<id>.bin (int16 LE argmax per image).
 * decodeBundle validates everything (zip, format, version, members, sizes, CRC-32 per member) before use.
 */
import * as tf from '@tensorflow/tfjs';
import { zipSync } from 'fflate';
import { StudioError } from '../errors';
import { buildImportedModel, checkFiniteWeights, exportModelFiles, specBytes, unzipLimited } from '../models/io';
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  type BundleInput,
  type BundleManifest,
  type BundleModelEntry,
  type DecodedBundle,
} from './types';
import { crc32 as crc32Value } from '../storage/crc32';

const enc = new TextEncoder();
const dec = new TextDecoder();
const MANIFEST = 'manifest.json';
export const WEIGHTS_FILE = 'weights.bin';

/** CRC-32 (IEEE) as 8 hex digits, so damage inside a stored (uncompressed) member is caught. */
export function crc32(bytes: Uint8Array): string {
  return crc32Value(bytes).toString(16).padStart(8, '0');
}

function u16le(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) dv.setUint16(i * 2, values[i]! & 0xffff, true);
  return out;
}

function readU16(bytes: Uint8Array): Uint16Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint16Array(bytes.byteLength >> 1);
  for (let i = 0; i < out.length; i++) out[i] = dv.getUint16(i * 2, true);
  return out;
}

function readI16(bytes: Uint8Array): Int16Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int16Array(bytes.byteLength >> 1);
  for (let i = 0; i < out.length; i++) out[i] = dv.getInt16(i * 2, true);
  return out;
}

/** model.json (weightsManifest → weights.bin, so models/<id>/ is a loadable tfjs folder) and weights of `model`. */
export async function packModel(model: tf.LayersModel): Promise<{ json: Uint8Array; weights: Uint8Array }> {
  const [jsonFile, weightsFile] = await exportModelFiles(model);
  const mj = JSON.parse(dec.decode(jsonFile!.bytes)) as { weightsManifest: { paths: string[] }[] };
  for (const g of mj.weightsManifest) g.paths = [WEIGHTS_FILE];
  return { json: enc.encode(JSON.stringify(mj)), weights: weightsFile!.bytes };
}

const modelPath = (id: string, f: string) => `models/${id}/${f}`;

function checkId(id: string): void {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(id)) throw new StudioError('bad-input', `Model id "${id}" cannot be used in a bundle (letters, digits, . _ - only).`);
}

/** Builds the .psbundle bytes. Throws 'bad-input' when images, labels or predictions disagree in count. */
export function encodeBundle(input: BundleInput): Uint8Array {
  const { imageSize: size, images, labels } = input;
  if (!(Number.isInteger(size) && size > 0)) throw new StudioError('bad-input', `Bundle image size must be a positive integer (got ${size}).`);
  const px = size * size * 3;
  if (images.length % px !== 0) throw new StudioError('bad-input', `${images.length} image bytes is not a whole number of ${size}×${size}×3 images.`);
  const count = images.length / px;
  if (labels.length !== count) throw new StudioError('bad-input', `Bundle has ${count} images but ${labels.length} labels.`);
  if (input.models.length === 0) throw new StudioError('bad-input', 'A bundle needs at least one model.');
  const files: Record<string, Uint8Array> = {};
  const models: BundleModelEntry[] = [];
  const desktopPredictions: Record<string, string> = {};
  const seen = new Set<string>();
  for (const m of input.models) {
    checkId(m.id);
    if (seen.has(m.id)) throw new StudioError('bad-input', `Model "${m.id}" is in the bundle twice.`);
    seen.add(m.id);
    const entry: BundleModelEntry = {
      id: m.id, name: m.name, role: m.role,
      info: { params: m.info.params, macs: m.info.macs, flops: m.info.flops, bytes: m.info.bytes, arch: m.info.arch, lineage: [...m.info.lineage] },
      files: { json: modelPath(m.id, 'model.json'), weights: modelPath(m.id, WEIGHTS_FILE), ...(m.tflite ? { tflite: modelPath(m.id, 'model.tflite') } : {}) },
    };
    models.push(entry);
    files[entry.files.json] = m.json;
    files[entry.files.weights] = m.weights;
    if (m.tflite && entry.files.tflite) files[entry.files.tflite] = m.tflite;
    const pred = input.desktopPredictions[m.id];
    if (!pred) throw new StudioError('bad-input', `No desktop predictions for model "${m.id}".`);
    if (pred.length !== count) throw new StudioError('bad-input', `Desktop predictions of "${m.id}" have ${pred.length} entries for ${count} images.`);
    desktopPredictions[m.id] = `pred/${m.id}.bin`;
    files[`pred/${m.id}.bin`] = u16le(pred);
  }
  files['images.bin'] = images;
  files['labels.bin'] = u16le(labels);
  const checksums: Record<string, string> = {};
  for (const [k, v] of Object.entries(files)) checksums[k] = crc32(v);
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    bundleId: input.bundleId ?? `bundle-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    studioVersion: input.studioVersion,
    createdAt: input.createdAt ?? Date.now(),
    models,
    images: { count, size, file: 'images.bin', labels: 'labels.bin' },
    classes: [...input.classes],
    desktopPredictions,
    benchmark: { ...input.benchmark },
    desktop: { ...input.desktop },
    checksums,
  };
  const entries: Record<string, Uint8Array | [Uint8Array, { level: 0 | 6 }]> = { [MANIFEST]: [enc.encode(JSON.stringify(manifest, null, 1)), { level: 6 }] };
  // Images and float weights barely compress: store them (fast on a phone); the rest is deflated.
  for (const [k, v] of Object.entries(files)) entries[k] = [v, { level: k.endsWith('model.json') || k.startsWith('pred/') || k === 'labels.bin' ? 6 : 0 }];
  return zipSync(entries);
}

// ---- decoding ----

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function bad(field: string, want: string): never {
  throw new StudioError('bad-input', `Bundle manifest field "${field}" is missing or not ${want}.`);
}

function parseManifest(bytes: Uint8Array): BundleManifest {
  let m: unknown;
  try {
    m = JSON.parse(dec.decode(bytes));
  } catch (e) {
    throw new StudioError('corrupt-archive', `The bundle's manifest.json is not valid JSON (the bundle is truncated or damaged): ${(e as Error).message}`);
  }
  if (!isObj(m)) bad('manifest', 'an object');
  if (m.format !== BUNDLE_FORMAT) {
    throw new StudioError('incompatible-version', `This file is not a Pruning Studio bundle (format "${String(m.format)}", expected "${BUNDLE_FORMAT}" version ${BUNDLE_VERSION}).`);
  }
  if (!isNum(m.version) || m.version > BUNDLE_VERSION || m.version < 1) {
    throw new StudioError('incompatible-version', `The bundle has format version ${String(m.version)} (made by studio ${String(m.studioVersion)}); this studio reads version ${BUNDLE_VERSION}. Update the app on this device, or export the bundle again.`);
  }
  if (!Array.isArray(m.models) || m.models.length === 0) bad('models', 'a non-empty list');
  for (const [i, e] of (m.models as unknown[]).entries()) {
    if (!isObj(e) || typeof e.id !== 'string' || typeof e.name !== 'string' || !isObj(e.files) || typeof e.files.json !== 'string' || typeof e.files.weights !== 'string' || !isObj(e.info))
      bad(`models[${i}]`, 'a model entry {id, name, role, info, files}');
    if (e.role !== 'original' && e.role !== 'pruned') bad(`models[${i}].role`, "'original' or 'pruned'");
  }
  const im = m.images;
  if (!isObj(im) || !isNum(im.count) || !isNum(im.size) || typeof im.file !== 'string' || typeof im.labels !== 'string') bad('images', '{count, size, file, labels}');
  if (!Array.isArray(m.classes) || !m.classes.every((c) => typeof c === 'string')) bad('classes', 'a list of names');
  if (!isObj(m.desktopPredictions)) bad('desktopPredictions', 'an object');
  const b = m.benchmark;
  if (!isObj(b) || !isNum(b.warmup) || !isNum(b.runs) || !isNum(b.minTimeMs)) bad('benchmark', '{warmup, runs, minTimeMs}');
  if (!isObj(m.desktop)) bad('desktop', 'an object');
  if (!isNum(m.createdAt)) bad('createdAt', 'a number');
  if (typeof m.bundleId !== 'string') bad('bundleId', 'a string');
  return m as unknown as BundleManifest;
}

function unzip(bytes: Uint8Array): Record<string, Uint8Array> {
  try {
    return unzipLimited(bytes, 'the bundle');
  } catch (e) {
    if (e instanceof StudioError && e.code === 'too-large') throw e;
    throw new StudioError('corrupt-archive', `The bundle is truncated or damaged (${(e as Error).message}); copy it to this device again.`);
  }
}

/** Parses and validates a .psbundle. */
export function decodeBundle(bytes: Uint8Array): DecodedBundle {
  if (bytes.length < 22 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw new StudioError('corrupt-archive', `The bundle is truncated or damaged: this is not a zip archive (${bytes.length} bytes); copy it to this device again.`);
  }
  const files = unzip(bytes);
  const mb = files[MANIFEST];
  if (!mb) throw new StudioError('missing-file', `The bundle has no ${MANIFEST}: it was not made by Pruning Studio's "Export bundle".`, { file: MANIFEST });
  const manifest = parseManifest(mb);
  const need = (path: string): Uint8Array => {
    const f = files[path];
    if (!f) throw new StudioError('missing-file', `The bundle is missing "${path}" (listed in its manifest).`, { file: path });
    const want = manifest.checksums?.[path];
    if (want !== undefined && crc32(f) !== want) throw new StudioError('corrupt-archive', `The bundle is truncated or damaged: "${path}" does not match its checksum.`, { file: path });
    return f;
  };
  const { count, size } = manifest.images;
  const images = need(manifest.images.file);
  if (images.length !== count * size * size * 3) {
    throw new StudioError('bad-input', `"${manifest.images.file}" holds ${images.length} bytes; ${count} images of ${size}×${size}×3 need ${count * size * size * 3}.`);
  }
  const lb = need(manifest.images.labels);
  if (lb.length !== count * 2) throw new StudioError('bad-input', `"${manifest.images.labels}" holds ${lb.length} bytes; ${count} uint16 labels need ${count * 2}.`);
  const labels = readU16(lb);
  const k = manifest.classes.length;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! >= k) throw new StudioError('bad-input', `Label ${labels[i]} of image ${i} is outside the bundle's ${k} classes.`);
  }
  const models: DecodedBundle['models'] = [];
  const desktopPredictions: Record<string, Int16Array> = {};
  for (const entry of manifest.models) {
    const json = need(entry.files.json);
    const weights = need(entry.files.weights);
    const predPath = manifest.desktopPredictions[entry.id];
    if (typeof predPath !== 'string') throw new StudioError('missing-file', `The bundle manifest lists no desktop predictions for model "${entry.id}".`, { file: `pred/${entry.id}.bin` });
    const pb = need(predPath);
    if (pb.length !== count * 2) throw new StudioError('bad-input', `"${predPath}" holds ${pb.length} bytes; ${count} int16 predictions need ${count * 2}.`);
    desktopPredictions[entry.id] = readI16(pb);
    const tf = entry.files.tflite;
    if (tf !== undefined && typeof tf !== 'string') throw new StudioError('bad-input', `The bundle manifest's .tflite path of model "${entry.id}" is not a string.`);
    models.push({ entry, json, weights, ...(tf ? { tflite: need(tf) } : {}) });
  }
  return { manifest, models, images, labels, desktopPredictions };
}

/** Builds model `id` of a decoded bundle on the active backend (the caller disposes it). */
export async function loadBundleModel(bundle: DecodedBundle, id: string): Promise<tf.LayersModel> {
  const m = bundle.models.find((x) => x.entry.id === id);
  if (!m) throw new StudioError('not-found', `Model "${id}" is not in this bundle.`);
  let mj: Json;
  try {
    mj = JSON.parse(dec.decode(m.json)) as Json;
  } catch (e) {
    throw new StudioError('bad-input', `"${m.entry.files.json}" is not valid JSON: ${(e as Error).message}`);
  }
  const manifest = mj.weightsManifest;
  if (!isObj(mj.modelTopology) || !Array.isArray(manifest)) throw new StudioError('bad-input', `"${m.entry.files.json}" is not a TensorFlow.js layers model.json.`);
  const specs = (manifest as { weights: tf.io.WeightsManifestEntry[] }[]).flatMap((g) => g.weights ?? []);
  const need = specs.reduce((s, w) => s + specBytes(w), 0);
  if (need !== m.weights.byteLength) {
    throw new StudioError('bad-input', `"${m.entry.files.weights}" holds ${m.weights.byteLength} bytes but its model.json needs ${need}.`, { expected: need, actual: m.weights.byteLength });
  }
  const w = m.weights;
  checkFiniteWeights(specs, w);
  return buildImportedModel({
    modelTopology: mj.modelTopology,
    weightSpecs: specs,
    weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer,
    format: 'layers-model',
    userDefinedMetadata: isObj(mj.userDefinedMetadata) ? (mj.userDefinedMetadata as {}) : undefined,
  });
}
