/**
 * Reading and writing the studio's model metadata (`userDefinedMetadata.studio`).
 * `getStudioMeta` also understands akamaster's metadata (labels, input.range/mean/std with the
 * normalisation done inside the graph) and otherwise falls back to sane defaults
 * (arch 'imported', classes class_0..class_{n-1}, raw 0..255 input).
 */
import type * as tf from '@tensorflow/tfjs';
import { RAW_INPUT } from './types';
import type { InputSpec, StudioModelMeta } from './types';

export const STUDIO_META_KEY = 'studio';

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNumTuple(v: unknown, n: number): boolean {
  return Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** Number of output units of the (first) model output, or 0 when unknown. */
export function outputUnits(model: tf.LayersModel): number {
  const shape = model.outputs[0]?.shape ?? [];
  return shape[shape.length - 1] ?? 0;
}

/** Does the graph normalise its input itself (first layer after the input is called `normalize`)? */
export function normalizesInside(model: tf.LayersModel): boolean {
  return model.layers.some((l) => l.name === 'normalize');
}

function parseInputSpec(v: unknown): InputSpec | null {
  if (!isObj(v)) return null;
  if (!isNumTuple(v.range, 2) || !isNumTuple(v.mean, 3) || !isNumTuple(v.std, 3)) return null;
  if (typeof v.normalizeOutside !== 'boolean') return null;
  return {
    range: [...(v.range as [number, number])],
    mean: [...(v.mean as [number, number, number])],
    std: [...(v.std as [number, number, number])],
    normalizeOutside: v.normalizeOutside,
  };
}

function parseStudio(v: unknown): StudioModelMeta | null {
  if (!isObj(v) || typeof v.arch !== 'string' || !isStringArray(v.classes)) return null;
  const input = parseInputSpec(v.input);
  if (!input) return null;
  const meta: StudioModelMeta = { arch: v.arch, classes: [...v.classes], input };
  if (typeof v.parentId === 'string') meta.parentId = v.parentId;
  if (isStringArray(v.lineage)) meta.lineage = [...v.lineage];
  if (typeof v.seed === 'number') meta.seed = v.seed;
  return meta;
}

/** Reads akamaster-style metadata (`labels`, `input: {range, mean, std, normalization}`, `architecture.depth`). */
function parseForeign(udm: Json, model: tf.LayersModel): StudioModelMeta | null {
  const labels = udm.labels ?? udm.classes;
  const inp = udm.input;
  if (!isStringArray(labels) && !isObj(inp)) return null;
  const input: InputSpec = { ...RAW_INPUT, range: [0, 255], mean: [0, 0, 0], std: [1, 1, 1] };
  if (isObj(inp)) {
    if (isNumTuple(inp.range, 2)) input.range = [...(inp.range as [number, number])];
    if (isNumTuple(inp.mean, 3)) input.mean = [...(inp.mean as [number, number, number])];
    if (isNumTuple(inp.std, 3)) input.std = [...(inp.std as [number, number, number])];
    const inside =
      normalizesInside(model) || (typeof inp.normalization === 'string' && /inside/i.test(inp.normalization));
    const hasNorm = input.mean.some((m) => m !== 0) || input.std.some((s) => s !== 1);
    input.normalizeOutside = hasNorm && !inside;
  }
  const arch = isObj(udm.architecture) && typeof udm.architecture.depth === 'number'
    ? `resnet${udm.architecture.depth}`
    : 'imported';
  const units = outputUnits(model);
  const classes = isStringArray(labels) && labels.length === units ? [...labels] : defaultClasses(units);
  return { arch, classes, input, lineage: [typeof udm.source === 'string' ? `imported: ${udm.source}` : 'imported'] };
}

export function defaultClasses(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `class_${i}`);
}

/** Metadata of a model: the studio key if present and valid, else akamaster's keys, else defaults. */
export function getStudioMeta(model: tf.LayersModel): StudioModelMeta {
  const udm = model.getUserDefinedMetadata();
  if (isObj(udm)) {
    const own = parseStudio(udm[STUDIO_META_KEY]);
    if (own) return own;
    const foreign = parseForeign(udm, model);
    if (foreign) return foreign;
  }
  return { arch: 'imported', classes: defaultClasses(outputUnits(model)), input: { ...RAW_INPUT }, lineage: ['imported'] };
}

/** Stores `meta` under `userDefinedMetadata.studio`, keeping other keys (e.g. akamaster's) as they are. */
export function setStudioMeta(model: tf.LayersModel, meta: StudioModelMeta): void {
  const udm = model.getUserDefinedMetadata();
  const next: Json = isObj(udm) ? { ...udm } : {};
  next[STUDIO_META_KEY] = JSON.parse(JSON.stringify(meta)) as Json;
  model.setUserDefinedMetadata(next);
}
