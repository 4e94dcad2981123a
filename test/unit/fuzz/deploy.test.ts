/**
 * Fuzz: `.psbundle` files (decodeBundle + building every model in it, as a phone does before it runs them) and
 * results texts (the JSON file and the QR string, through the worker's importResults over a store holding the
 * bundle's models). Bundles are mutated at the byte level, in their manifest (wrong types, absurd counts and sizes,
 * deleted fields) and in their members with the checksums recomputed (so the deeper checks run: image/label sizes,
 * label ranges, model.json, NaN weights). A failed results import must leave the store exactly as it was.
 */
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { beforeAll, describe, it } from 'vitest';
import { createContext } from '../../../src/api/worker/context';
import { importResults } from '../../../src/api/worker/deploy';
import { crc32, decodeBundle, loadBundleModel } from '../../../src/engine/deploy/bundle';
import { encodeResults, encodeResultsForQr } from '../../../src/engine/deploy/results';
import type { DeployResults } from '../../../src/engine/deploy/types';
import { memoryKeyValue } from '../../../src/engine/storage/kv';
import { makeBundleBytes, makeModel, makeSplit } from '../deploy/fixtures';
import { Rng, expectClean, fuzz, mutateBytes, mutateJson, type FuzzCase } from './harness';

let bundle: Uint8Array;
let members: Record<string, Uint8Array>;

beforeAll(async () => {
  const a = makeModel(1);
  const b = makeModel(2, 8, 2);
  bundle = await makeBundleBytes([['orig', a], ['pruned', b]], makeSplit(6));
  a.dispose();
  b.dispose();
  members = unzipSync(bundle);
});

function rezip(files: Record<string, Uint8Array>, fixChecksums: boolean): Uint8Array {
  if (fixChecksums && files['manifest.json']) {
    try {
      const m = JSON.parse(strFromU8(files['manifest.json'])) as { checksums?: Record<string, string> };
      if (m.checksums && typeof m.checksums === 'object') {
        for (const k of Object.keys(files)) if (k !== 'manifest.json') m.checksums[k] = crc32(files[k]!);
        files['manifest.json'] = strToU8(JSON.stringify(m));
      }
    } catch {
      // a mangled manifest stays mangled
    }
  }
  return zipSync(files);
}

function bundleCase(seed: number, index: number): FuzzCase {
  const rng = new Rng(seed);
  let bytes = bundle;
  let how = 'valid';
  if (index > 0) {
    const kind = rng.int(8);
    const files = { ...members };
    if (kind <= 1) ({ bytes, how } = mutateBytes(bundle, rng));
    else if (kind <= 4) {
      const r = mutateJson(JSON.parse(strFromU8(members['manifest.json']!)), rng);
      files['manifest.json'] = strToU8(JSON.stringify(r.value));
      bytes = zipSync(files);
      how = `manifest ${r.how}`;
    } else if (kind === 5) {
      const k = rng.pick(Object.keys(files).filter((n) => n !== 'manifest.json'));
      if (k.endsWith('model.json')) {
        const r = mutateJson(JSON.parse(strFromU8(files[k]!)), rng, undefined, { bigTweaks: false });
        files[k] = strToU8(JSON.stringify(r.value));
        how = `${k} ${r.how}`;
      } else {
        const r = mutateBytes(files[k]!, rng);
        files[k] = r.bytes;
        how = `${k} ${r.how}`;
      }
      bytes = rezip(files, true);
    } else if (kind === 6) {
      const k = rng.pick(Object.keys(files).filter((n) => n.endsWith('weights.bin')));
      const w = files[k]!.slice();
      new DataView(w.buffer).setFloat32(4 * rng.int(w.length / 4), rng.pick([NaN, Infinity]), true);
      files[k] = w;
      bytes = rezip(files, true);
      how = `${k} non-finite weight`;
    } else {
      const k = rng.pick(Object.keys(files));
      delete files[k];
      bytes = zipSync(files);
      how = `dropped ${k}`;
    }
  }
  return {
    seed, how,
    run: async () => {
      const b = decodeBundle(bytes);
      for (const m of b.models) (await loadBundleModel(b, m.entry.id)).dispose();
    },
  };
}

const results: DeployResults = {
  format: 'pruning-studio-results', version: 1, bundleId: 'bundle-test', bundleCreatedAt: 1700000000000,
  models: [{ id: 'model-a', name: 'A', role: 'original' }, { id: 'model-b', name: 'B', role: 'pruned' }], images: 6,
  benchmark: { warmup: 1, runs: 2, minTimeMs: 0 }, deviceLabel: 'phone', device: { userAgent: 'x', cores: 8 },
  hiddenDuringRun: false, startedAt: 1700000001000, finishedAt: 1700000009000,
  backends: {
    wasm: { models: { 'model-a': { latency: { medianMs: 3, p90Ms: 4, minMs: 2, meanMs: 3.1, runs: 50, throughput: 300 }, top1: 0.9, agreement: 1 }, 'model-b': { error: 'out of memory' } } },
    webgl: { error: 'no WebGL' },
  },
};

function resultsCase(seed: number, index: number): FuzzCase {
  const rng = new Rng(seed);
  const qr = rng.chance(0.4);
  let text = qr ? encodeResultsForQr(results) : encodeResults(results);
  let how = qr ? 'valid (qr)' : 'valid';
  if (index > 0) {
    const kind = rng.int(4);
    if (kind <= 1 && !qr) {
      const r = mutateJson(results, rng);
      text = JSON.stringify(r.value);
      how = r.how;
    } else if (kind === 2 || qr) {
      const chars = [...text];
      const op = rng.int(4);
      if (op === 0) text = text.slice(0, rng.int(text.length));
      else if (op === 1) {
        for (let i = 0; i < 1 + rng.int(4); i++) chars[rng.int(chars.length)] = rng.pick(['A', '_', '-', '=', '{', '\u00e9', '\0', ' ']);
        text = chars.join('');
      } else if (op === 2) text = `PSR${rng.pick(['2', '0', '99999999999999999999', ''])}.${text.slice(5)}`;
      else text = text + text.slice(0, rng.int(text.length));
      how = `text op ${op}${qr ? ' (qr)' : ''}`;
    } else {
      const r = mutateBytes(new TextEncoder().encode(text), rng);
      text = new TextDecoder().decode(r.bytes);
      how = r.how;
    }
  }
  const kv = memoryKeyValue();
  const ctx = createContext(kv);
  let snapshot = '';
  return {
    seed, how,
    run: async () => {
      for (const id of ['model-a', 'model-b']) await ctx.store.put('model', id, { id, name: id, measures: {} });
      snapshot = JSON.stringify([...kv.map.entries()]);
      await importResults(ctx, text);
    },
    leftovers: async () => (snapshot !== '' && JSON.stringify([...kv.map.entries()]) !== snapshot ? 'the store changed' : ''),
  };
}


describe('fuzz: deployment files', () => {
  it('.psbundle: every mutated bundle decodes and builds, or fails with a specific code, no tensor left', async () => {
    expectClean(await fuzz('.psbundle', bundleCase));
  });
  it('results text (file and QR code): imports or fails with a specific code, the store untouched on failure', async () => {
    expectClean(await fuzz('results text', resultsCase));
  });
});
