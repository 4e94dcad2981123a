/**
 * Moving a phone's results back to the desktop: as a small JSON file (`encodeResults`) or as one string short
 * enough for a QR code (`encodeResultsForQr`: "PSR1." + base64url(deflate(terse JSON)), ms rounded to 0.01,
 * fractions to 1e-4, long strings cut). `decodeResults` reads either form and validates it.
 */
import { deflateSync, inflateSync } from 'fflate';
import { StudioError } from '../errors';
import { AGREEMENT_THRESHOLD, DIFFERS_MESSAGE } from './run';
import { RESULTS_FORMAT, RESULTS_VERSION, type BackendRun, type BundleRole, type DeployResults, type DeviceFacts, type ModelRunResult, type RunError } from './types';

export const QR_PREFIX = 'PSR1.';

/** The results as a compact JSON file. */
export function encodeResults(r: DeployResults): string {
  return JSON.stringify(r);
}

const r2 = (x: number) => Math.round(x * 100) / 100;
const r1 = (x: number) => Math.round(x * 10) / 10;
const r4 = (x: number) => Math.round(x * 10000) / 10000;
const cut = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

type Terse = {
  v: number; b: string; c: number; m: [string, string, 'o' | 'p'][]; n: number; k: [number, number, number];
  l: string; d: DeviceFacts; h: 0 | 1; s: number; t: number;
  r: Record<string, string | (string | number[])[]>;
};

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new StudioError('bad-input', 'The scanned results code has characters a results code never contains: scan it again.');
  const b = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
  return out;
}

/** A short string (for a QR code) carrying the same results, rounded. */
export function encodeResultsForQr(r: DeployResults): string {
  const ids = r.models.map((m) => m.id);
  const device: DeviceFacts = {};
  for (const [k, v] of Object.entries(r.device)) device[k] = typeof v === 'string' ? cut(v, k === 'userAgent' ? 200 : 80) : v;
  const runs: Terse['r'] = {};
  for (const [b, run] of Object.entries(r.backends)) {
    if ('error' in run) {
      runs[b] = cut(run.error, 80);
      continue;
    }
    runs[b] = ids.map((id) => {
      const x = run.models[id];
      if (!x) return 'not run';
      if ('error' in x) return cut(x.error, 80);
      const l = x.latency;
      return [r2(l.medianMs), r2(l.p90Ms), r2(l.minMs), r2(l.meanMs), l.runs, r1(l.throughput), r4(x.top1), r4(x.agreement)];
    });
  }
  const t: Terse = {
    v: r.version, b: r.bundleId, c: r.bundleCreatedAt,
    m: r.models.map((m) => [m.id, cut(m.name, 40), m.role === 'pruned' ? 'p' : 'o']),
    n: r.images, k: [r.benchmark.warmup, r.benchmark.runs, r.benchmark.minTimeMs],
    l: r.deviceLabel, d: device, h: r.hiddenDuringRun ? 1 : 0, s: r.startedAt, t: r.finishedAt - r.startedAt, r: runs,
  };
  return QR_PREFIX + base64url(deflateSync(new TextEncoder().encode(JSON.stringify(t)), { level: 9 }));
}

// ---- decoding ----

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function bad(what: string): never {
  throw new StudioError('bad-input', `These are not valid deployment results: ${what}.`);
}

function checkVersion(v: unknown): void {
  if (!isNum(v)) bad('the version is missing');
  if (v > RESULTS_VERSION || v < 1)
    throw new StudioError('incompatible-version', `The results have format version ${v}; this studio reads version ${RESULTS_VERSION}. Update the studio on this computer.`);
}

function checkDevice(d: unknown): DeviceFacts {
  if (!isObj(d)) bad('"device" is not an object');
  const out: DeviceFacts = {};
  for (const [k, v] of Object.entries(d)) if (typeof v === 'string' || typeof v === 'boolean' || isNum(v)) out[k] = v;
  return out;
}

function checkModelResult(x: unknown, where: string): ModelRunResult | RunError {
  if (!isObj(x)) bad(`${where} is not an object`);
  if (typeof x.error === 'string') return { error: x.error };
  const l = x.latency;
  if (!isObj(l) || !['medianMs', 'p90Ms', 'minMs', 'runs', 'throughput'].every((k) => isNum(l[k]))) bad(`${where}.latency is incomplete`);
  if (!isNum(x.top1) || !isNum(x.agreement)) bad(`${where} has no top1/agreement`);
  const out: ModelRunResult = {
    latency: { medianMs: l.medianMs as number, p90Ms: l.p90Ms as number, minMs: l.minMs as number, meanMs: isNum(l.meanMs) ? l.meanMs : (l.medianMs as number), runs: l.runs as number, throughput: l.throughput as number },
    top1: x.top1, agreement: x.agreement,
  };
  if (out.agreement < AGREEMENT_THRESHOLD) out.flag = typeof x.flag === 'string' ? x.flag : DIFFERS_MESSAGE;
  return out;
}

function fromJson(o: unknown): DeployResults {
  if (!isObj(o)) bad('not a JSON object');
  if (o.format !== RESULTS_FORMAT) bad(`format is "${String(o.format)}", expected "${RESULTS_FORMAT}"`);
  checkVersion(o.version);
  if (!Array.isArray(o.models) || o.models.length === 0) bad('"models" is missing');
  const models = o.models.map((m, i) => {
    if (!isObj(m) || typeof m.id !== 'string') bad(`models[${i}] has no id`);
    return { id: m.id, name: typeof m.name === 'string' ? m.name : m.id, role: (m.role === 'pruned' ? 'pruned' : 'original') as BundleRole };
  });
  if (!isObj(o.backends)) bad('"backends" is missing');
  const backends: Record<string, BackendRun> = {};
  for (const [b, run] of Object.entries(o.backends)) {
    if (!isObj(run)) bad(`backend ${b} is not an object`);
    if (typeof run.error === 'string') {
      backends[b] = { error: run.error };
      continue;
    }
    if (!isObj(run.models)) bad(`backend ${b} has no models`);
    const ms: Record<string, ModelRunResult | RunError> = {};
    for (const [id, x] of Object.entries(run.models)) ms[id] = checkModelResult(x, `${b}/${id}`);
    backends[b] = { models: ms };
  }
  const b = o.benchmark;
  if (!isObj(b) || !isNum(b.warmup) || !isNum(b.runs) || !isNum(b.minTimeMs)) bad('"benchmark" is incomplete');
  if (typeof o.deviceLabel !== 'string' || !o.deviceLabel) bad('"deviceLabel" is missing');
  if (typeof o.bundleId !== 'string' || !isNum(o.bundleCreatedAt) || !isNum(o.images) || !isNum(o.startedAt) || !isNum(o.finishedAt)) bad('bundle id, dates or image count missing');
  return {
    format: RESULTS_FORMAT, version: o.version as number, bundleId: o.bundleId, bundleCreatedAt: o.bundleCreatedAt, models, images: o.images,
    benchmark: { warmup: b.warmup as number, runs: b.runs as number, minTimeMs: b.minTimeMs as number },
    deviceLabel: o.deviceLabel, device: checkDevice(o.device), hiddenDuringRun: o.hiddenDuringRun === true,
    startedAt: o.startedAt, finishedAt: o.finishedAt, backends,
  };
}

function fromTerse(t: unknown): DeployResults {
  if (!isObj(t)) bad('the code holds no object');
  checkVersion(t.v);
  if (!Array.isArray(t.m) || t.m.length === 0) bad('the code lists no models');
  const models = t.m.map((m, i) => {
    if (!Array.isArray(m) || typeof m[0] !== 'string') bad(`model ${i} of the code has no id`);
    return { id: m[0], name: typeof m[1] === 'string' ? m[1] : m[0], role: (m[2] === 'p' ? 'pruned' : 'original') as BundleRole };
  });
  const k = t.k;
  if (!Array.isArray(k) || k.length !== 3 || !k.every(isNum)) bad('the benchmark settings are missing');
  if (!isObj(t.r)) bad('the code holds no backends');
  const backends: Record<string, BackendRun> = {};
  for (const [b, run] of Object.entries(t.r)) {
    if (typeof run === 'string') {
      backends[b] = { error: run };
      continue;
    }
    if (!Array.isArray(run) || run.length !== models.length) bad(`backend ${b} has ${Array.isArray(run) ? run.length : 0} entries for ${models.length} models`);
    const ms: Record<string, ModelRunResult | RunError> = {};
    run.forEach((x, i) => {
      const id = models[i]!.id;
      if (typeof x === 'string') ms[id] = { error: x };
      else if (Array.isArray(x) && x.length === 8 && x.every(isNum)) {
        const [medianMs, p90Ms, minMs, meanMs, runs, throughput, top1, agreement] = x as number[];
        ms[id] = checkModelResult({ latency: { medianMs, p90Ms, minMs, meanMs, runs, throughput }, top1, agreement }, `${b}/${id}`);
      } else bad(`backend ${b}, model ${id} is malformed`);
    });
    backends[b] = { models: ms };
  }
  if (typeof t.b !== 'string' || !isNum(t.c) || !isNum(t.n) || !isNum(t.s) || !isNum(t.t)) bad('bundle id, dates or image count missing');
  if (typeof t.l !== 'string' || !t.l) bad('the device label is missing');
  return {
    format: RESULTS_FORMAT, version: t.v as number, bundleId: t.b, bundleCreatedAt: t.c, models, images: t.n,
    benchmark: { warmup: k[0], runs: k[1], minTimeMs: k[2] }, deviceLabel: t.l, device: checkDevice(t.d),
    hiddenDuringRun: t.h === 1, startedAt: t.s, finishedAt: t.s + t.t, backends,
  };
}

/** Reads results from a results file's text or a scanned QR string. */
export function decodeResults(text: string): DeployResults {
  const s = text.trim();
  if (s.startsWith('{')) {
    let o: unknown;
    try {
      o = JSON.parse(s);
    } catch (e) {
      throw new StudioError('bad-input', `The results file is not valid JSON (truncated?): ${(e as Error).message}`);
    }
    return fromJson(o);
  }
  const m = /^PSR(\d+)\.(.*)$/s.exec(s);
  if (!m) throw new StudioError('bad-input', 'This is neither a results file (JSON) nor a results code (starting "PSR1."): pick the file the phone saved, or scan its QR code.');
  if (Number(m[1]) > RESULTS_VERSION) throw new StudioError('incompatible-version', `The results code has format version ${m[1]}; this studio reads version ${RESULTS_VERSION}. Update the studio on this computer.`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(inflateSync(fromBase64url(m[2]!))));
  } catch (e) {
    if (e instanceof StudioError) throw e;
    throw new StudioError('bad-input', `The results code is damaged or incomplete (${(e as Error).message}): scan it again.`);
  }
  return fromTerse(json);
}
