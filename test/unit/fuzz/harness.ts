/**
 * The fuzz suite's harness: a seeded generator, byte and JSON mutators, and `fuzz()`, which runs N mutated cases of
 * one importer and checks every one of them: it ends in success or a specific StudioError code (never a TypeError,
 * RangeError, `internal` or a hang past the per-case bound), leaves no tensor behind, and (the importer's own check)
 * stores nothing when it fails. Cases per importer: FUZZ_CASES (default 150, the CI run; 1000 for the full run);
 * base seed: FUZZ_SEED (default 1). A failing case names its seed and mutation, so it can be replayed alone.
 * FUZZ_REPORT=<file> appends one JSON line of outcomes per importer (docs/reliability.md is written from it).
 */
import { appendFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { isStudioError } from '../../../src/engine/errors';
import { mulberry32 } from '../../../src/engine/random';

export const CASES = Math.max(1, Number(process.env.FUZZ_CASES ?? 150) | 0);
export const BASE_SEED = Number(process.env.FUZZ_SEED ?? 1) | 0;
/** Generous: a hang is what it catches, not slowness (2 shared cores). */
export const CASE_TIMEOUT_MS = Number(process.env.FUZZ_CASE_TIMEOUT_MS ?? 20_000);

export class Rng {
  private readonly r: () => number;
  constructor(seed: number) {
    this.r = mulberry32(seed);
  }
  next(): number {
    return this.r();
  }
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
}

// ---- byte mutators -------------------------------------------------------------------------------------------

export type ByteMutation = (b: Uint8Array, rng: Rng) => Uint8Array;

/** Values that break parsers: boundaries, signs, ASCII digits, separators. */
const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x30, 0x37, 0x39, 0x20, 0x0a, 0x2f, 0x2e, 0x22, 0x7b, 0x7d];

export const BYTE_MUTATIONS: Record<string, ByteMutation> = {
  truncate: (b, rng) => b.slice(0, rng.int(b.length)),
  truncateTail: (b, rng) => b.slice(0, Math.max(0, b.length - 1 - rng.int(Math.min(b.length, 600)))),
  bitflip: (b, rng) => {
    const o = b.slice();
    if (o.length === 0) return o;
    const n = 1 + rng.int(8);
    for (let i = 0; i < n; i++) {
      const at = rng.int(o.length);
      o[at] = o[at]! ^ (1 << rng.int(8));
    }
    return o;
  },
  bitflipHead: (b, rng) => {
    const o = b.slice();
    if (o.length === 0) return o;
    const at = rng.int(Math.min(o.length, 1024));
    o[at] = o[at]! ^ (1 << rng.int(8));
    return o;
  },
  interesting: (b, rng) => {
    const o = b.slice();
    if (o.length === 0) return o;
    const n = 1 + rng.int(4);
    for (let i = 0; i < n; i++) o[rng.int(o.length)] = rng.pick(INTERESTING);
    return o;
  },
  zeroRange: (b, rng) => {
    const o = b.slice();
    const at = rng.int(o.length + 1);
    o.fill(0, at, at + 1 + rng.int(2048));
    return o;
  },
  deleteRange: (b, rng) => {
    const at = rng.int(b.length + 1);
    const end = Math.min(b.length, at + 1 + rng.int(1024));
    const o = new Uint8Array(b.length - (end - at));
    o.set(b.subarray(0, at));
    o.set(b.subarray(end), at);
    return o;
  },
  insertRange: (b, rng) => {
    const at = rng.int(b.length + 1);
    const ins = new Uint8Array(1 + rng.int(700)).map(() => rng.int(256));
    const o = new Uint8Array(b.length + ins.length);
    o.set(b.subarray(0, at));
    o.set(ins, at);
    o.set(b.subarray(at), at + ins.length);
    return o;
  },
  duplicateRange: (b, rng) => {
    const at = rng.int(b.length + 1);
    const piece = b.slice(at, at + 1 + rng.int(4096));
    const o = new Uint8Array(b.length + piece.length);
    o.set(b.subarray(0, at + piece.length));
    o.set(piece, at + piece.length);
    o.set(b.subarray(at + piece.length), at + 2 * piece.length);
    return o;
  },
  empty: () => new Uint8Array(0),
  garbage: (_b, rng) => new Uint8Array(rng.int(5000)).map(() => rng.int(256)),
};

export function mutateBytes(b: Uint8Array, rng: Rng): { bytes: Uint8Array; how: string } {
  const names = Object.keys(BYTE_MUTATIONS);
  const name = rng.pick(names);
  return { bytes: BYTE_MUTATIONS[name]!(b, rng), how: `bytes:${name}` };
}

// ---- JSON mutators -------------------------------------------------------------------------------------------

type J = unknown;
/** Replacement values: wrong types, absurd sizes, NaN-ish strings, empty containers. */
export const WEIRD_VALUES: J[] = [
  null, true, false, 0, -1, 1.5, 2 ** 31, 2 ** 53, 1e308, -1e308, '', 'NaN', 'Infinity', '0', '../../etc/passwd', 'x'.repeat(300),
  [], [0], [-1], [1e9, 1e9], [2.5], ['a'], {}, { a: 1 }, 'float64', 'complex64', 'string', 'int8',
];

/** Every path (array of keys) into a JSON value. */
export function jsonPaths(v: J, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => jsonPaths(x, [...prefix, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) jsonPaths(x, [...prefix, k], out);
  return out;
}

function getAt(v: J, path: (string | number)[]): J {
  let x = v;
  for (const k of path) x = (x as Record<string | number, J>)[k];
  return x;
}

/** Structural JSON mutation: replace, delete, duplicate into an array, or numeric tweak at a random path. */
export function mutateJson(v: J, rng: Rng, choosePath?: (paths: (string | number)[][]) => (string | number)[], o: { bigTweaks?: boolean } = {}): { value: J; how: string } {
  const copy = JSON.parse(JSON.stringify(v)) as J;
  const paths = jsonPaths(copy).filter((p) => p.length > 0);
  if (paths.length === 0) return { value: rng.pick(WEIRD_VALUES), how: 'json:root' };
  const path = choosePath ? choosePath(paths) : rng.pick(paths);
  const parent = getAt(copy, path.slice(0, -1)) as Record<string | number, J> | J[];
  const key = path[path.length - 1]!;
  const old = (parent as Record<string | number, J>)[key];
  const op = rng.int(5);
  const where = path.join('.');
  if (op === 0) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete (parent as Record<string, J>)[key];
    return { value: copy, how: `json:delete ${where}` };
  }
  if (op === 1 && typeof old === 'number') {
    const nv = rng.pick([old + 1, old - 1, old * 2, -old, o.bigTweaks === false ? old + 2 : old * 1000, 0, old + 0.5]);
    (parent as Record<string | number, J>)[key] = nv;
    return { value: copy, how: `json:tweak ${where}=${nv}` };
  }
  if (op === 2 && Array.isArray(old) && old.length > 0) {
    old.push(JSON.parse(JSON.stringify(old[rng.int(old.length)])) as J);
    return { value: copy, how: `json:duplicate-item ${where}` };
  }
  const nv = rng.pick(WEIRD_VALUES);
  (parent as Record<string | number, J>)[key] = JSON.parse(JSON.stringify(nv)) as J;
  return { value: copy, how: `json:set ${where}=${JSON.stringify(nv).slice(0, 40)}` };
}

// ---- the runner ------------------------------------------------------------------------------------------------

export interface CaseResult {
  /** 'ok' or the StudioError code. */
  outcome: string;
}

export interface FuzzStats {
  importer: string;
  cases: number;
  outcomes: Record<string, number>;
  crashes: string[];
  hangs: string[];
  leaks: string[];
  partial: string[];
  maxCaseMs: number;
  peakRssMiB: number;
}

export interface FuzzCase {
  seed: number;
  how: string;
  /** Runs the importer; resolves with 'ok' on success (the importer may verify its result first). */
  run: () => Promise<void>;
  /** After a failure: describes anything left stored (empty string: nothing). */
  leftovers?: () => Promise<string>;
  /** After a success: cleans up what it stored (disposes models) so the tensor count can be compared. */
  cleanup?: () => Promise<void>;
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const timer = new Promise<'timeout'>((r) => (t = setTimeout(() => r('timeout'), ms)));
  try {
    return await Promise.race([p, timer]);
  } finally {
    clearTimeout(t);
  }
}

/**
 * Runs `CASES` cases made by `make(seed, index)` (index 0 should be the unmutated input, which must succeed) and
 * returns the tally; `expectClean` turns it into assertions.
 */
export async function fuzz(importer: string, make: (seed: number, index: number) => Promise<FuzzCase> | FuzzCase, cases = CASES): Promise<FuzzStats> {
  const stats: FuzzStats = { importer, cases: 0, outcomes: {}, crashes: [], hangs: [], leaks: [], partial: [], maxCaseMs: 0, peakRssMiB: 0 };
  for (let i = 0; i < cases; i++) {
    const seed = (BASE_SEED * 1_000_003 + i * 7919 + importer.length * 31) >>> 0;
    const c = await make(seed, i);
    const label = `${importer} #${i} seed ${seed} ${c.how}`;
    if (process.env.FUZZ_VERBOSE) process.stderr.write(`${label}\n`);
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    let outcome: string;
    try {
      const r = await withTimeout(c.run().then(() => 'ok'), CASE_TIMEOUT_MS);
      if (r === 'timeout') {
        stats.hangs.push(label);
        outcome = 'hang';
      } else outcome = r;
    } catch (e) {
      if (isStudioError(e) && e.code !== 'internal') outcome = e.code;
      else {
        outcome = 'crash';
        stats.crashes.push(`${label}: ${e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 300) : String(e)}`);
      }
    }
    stats.maxCaseMs = Math.max(stats.maxCaseMs, performance.now() - t0);
    stats.peakRssMiB = Math.max(stats.peakRssMiB, process.memoryUsage().rss / 2 ** 20);
    if (outcome === 'ok') await c.cleanup?.();
    else if (outcome !== 'hang' && c.leftovers) {
      const left = await c.leftovers();
      if (left) stats.partial.push(`${label}: ${left}`);
    }
    const after = tf.memory().numTensors;
    if (outcome !== 'hang' && after !== before) stats.leaks.push(`${label}: ${after - before} tensors (${outcome})`);
    stats.outcomes[outcome] = (stats.outcomes[outcome] ?? 0) + 1;
    stats.cases++;
    if (i === 0 && outcome !== 'ok') stats.crashes.push(`${label}: the unmutated input did not import (${outcome})`);
  }
  if (process.env.FUZZ_REPORT) appendFileSync(process.env.FUZZ_REPORT, JSON.stringify({ ...stats, crashes: stats.crashes.length, hangs: stats.hangs.length, leaks: stats.leaks.length, partial: stats.partial.length, at: new Date().toISOString() }) + '\n');
  return stats;
}

/** Summary line for the test log. */
export function summary(s: FuzzStats): string {
  const codes = Object.entries(s.outcomes).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  return `${s.importer}: ${s.cases} cases (${codes}); max case ${s.maxCaseMs.toFixed(0)} ms`;
}

/** The suite's verdict on one importer: prints the summary, then no crash, hang, leak or partial artifact. */
export function expectClean(s: FuzzStats): void {
  console.log(summary(s));
  expect(s.crashes).toEqual([]);
  expect(s.hangs).toEqual([]);
  expect(s.leaks).toEqual([]);
  expect(s.partial).toEqual([]);
}
