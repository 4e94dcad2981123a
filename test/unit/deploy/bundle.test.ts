import * as tf from '@tensorflow/tfjs';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBundle, encodeBundle, loadBundleModel } from '../../../src/engine/deploy/bundle';
import type { DecodedBundle } from '../../../src/engine/deploy/types';
import { predictLabels } from '../../../src/engine/metrics/evaluate';
import { RAW_INPUT } from '../../../src/engine/models/types';
import { expectNoLeak } from '../../helpers/leak';
import { CLASSES, makeBundleInput, makeModel, makeSplit, SIZE } from './fixtures';

const split = makeSplit(20);
let a: tf.LayersModel;
let b: tf.LayersModel;
let bytes: Uint8Array;

beforeAll(async () => {
  a = makeModel(1);
  b = makeModel(2, SIZE, 2);
  bytes = await expectNoLeak(async () => encodeBundleOf());
});
afterAll(() => {
  a.dispose();
  b.dispose();
});

async function encodeBundleOf(): Promise<Uint8Array> {
  return encodeBundle(await makeBundleInput([['m-orig', a], ['m-pruned', b]], split));
}

/** Rewrites members of the bundle zip. */
function edit(fn: (files: Record<string, Uint8Array>) => void): Uint8Array {
  const files = unzipSync(bytes);
  fn(files);
  return zipSync(files);
}

function editManifest(fn: (m: Record<string, unknown>) => void): Uint8Array {
  return edit((files) => {
    const m = JSON.parse(new TextDecoder().decode(files['manifest.json'])) as Record<string, unknown>;
    fn(m);
    files['manifest.json'] = strToU8(JSON.stringify(m));
  });
}

function codeOf(f: () => unknown): { code?: string; message: string } {
  try {
    f();
  } catch (e) {
    return { code: (e as { code?: string }).code, message: (e as Error).message };
  }
  throw new Error('expected a throw');
}

describe('bundle round trip', () => {
  let d: DecodedBundle;
  beforeAll(() => {
    d = decodeBundle(bytes);
  });

  it('keeps the manifest, images, labels and predictions', async () => {
    expect(d.manifest.format).toBe('pruning-studio-bundle');
    expect(d.manifest.version).toBe(1);
    expect(d.manifest.studioVersion).toBe('0.1.0');
    expect(d.manifest.bundleId).toBe('bundle-test');
    expect(d.manifest.classes).toEqual(CLASSES);
    expect(d.manifest.images).toEqual({ count: 20, size: SIZE, file: 'images.bin', labels: 'labels.bin' });
    expect(d.manifest.models.map((m) => [m.id, m.role, m.files.json, m.files.weights])).toEqual([
      ['m-orig', 'original', 'models/m-orig/model.json', 'models/m-orig/weights.bin'],
      ['m-pruned', 'pruned', 'models/m-pruned/model.json', 'models/m-pruned/weights.bin'],
    ]);
    expect(d.manifest.desktopPredictions).toEqual({ 'm-orig': 'pred/m-orig.bin', 'm-pruned': 'pred/m-pruned.bin' });
    expect(d.manifest.benchmark).toEqual({ warmup: 1, runs: 2, minTimeMs: 0 });
    expect(d.manifest.desktop.backend).toBe('cpu');
    expect(Array.from(d.images)).toEqual(Array.from(split.images));
    expect(Array.from(d.labels)).toEqual(Array.from(split.labels));
    const want = await predictLabels(a, split.images, SIZE, RAW_INPUT);
    expect(Array.from(d.desktopPredictions['m-orig']!)).toEqual(Array.from(want));
  });

  it('rebuilds models that predict like the originals', async () => {
    await expectNoLeak(async () => {
      for (const [id, orig] of [['m-orig', a], ['m-pruned', b]] as const) {
        const m = await loadBundleModel(d, id);
        try {
          const x = tf.tensor4d(split.images.slice(0, 4 * SIZE * SIZE * 3), [4, SIZE, SIZE, 3], 'float32');
          const y1 = orig.predict(x) as tf.Tensor;
          const y2 = m.predict(x) as tf.Tensor;
          expect(Array.from(await y2.data())).toEqual(Array.from(await y1.data()));
          tf.dispose([x, y1, y2]);
        } finally {
          m.dispose();
        }
      }
    });
  });

  it('writes models/<id>/model.json pointing at weights.bin', () => {
    const files = unzipSync(bytes);
    const mj = JSON.parse(new TextDecoder().decode(files['models/m-orig/model.json'])) as { weightsManifest: { paths: string[] }[] };
    expect(mj.weightsManifest[0]!.paths).toEqual(['weights.bin']);
  });

  it('refuses inconsistent inputs when encoding', async () => {
    const input = await makeBundleInput([['m-orig', a]], split);
    expect(codeOf(() => encodeBundle({ ...input, labels: input.labels.slice(1) })).code).toBe('bad-input');
    expect(codeOf(() => encodeBundle({ ...input, desktopPredictions: {} })).message).toMatch(/m-orig/);
    expect(codeOf(() => encodeBundle({ ...input, models: [{ ...input.models[0]!, id: '../evil' }] })).code).toBe('bad-input');
  });
});

describe('damaged bundles', () => {
  it('a truncated bundle is corrupt-archive at any cut point', () => {
    for (const cut of [10, 100, Math.floor(bytes.length / 2), bytes.length - 30, bytes.length - 1]) {
      const e = codeOf(() => decodeBundle(bytes.slice(0, cut)));
      expect(e.code, `cut at ${cut}`).toBe('corrupt-archive');
      expect(e.message).toMatch(/truncated or damaged/);
    }
  });

  it('a file that is not a zip is corrupt-archive', () => {
    expect(codeOf(() => decodeBundle(strToU8('{"format":"pruning-studio-bundle"}'))).code).toBe('corrupt-archive');
  });

  it('a flipped byte inside a stored member fails its checksum', () => {
    const bad = edit((f) => {
      f['images.bin']![5]! ^= 0xff;
    });
    const e = codeOf(() => decodeBundle(bad));
    expect(e.code).toBe('corrupt-archive');
    expect(e.message).toMatch(/images\.bin/);
  });

  it('a newer version or another format is incompatible-version naming both versions', () => {
    const newer = codeOf(() => decodeBundle(editManifest((m) => (m.version = 7))));
    expect(newer.code).toBe('incompatible-version');
    expect(newer.message).toMatch(/version 7/);
    expect(newer.message).toMatch(/version 1/);
    const other = codeOf(() => decodeBundle(editManifest((m) => (m.format = 'something-else'))));
    expect(other.code).toBe('incompatible-version');
    expect(other.message).toMatch(/something-else/);
  });

  it('a missing member is missing-file naming it', () => {
    const e = codeOf(() => decodeBundle(edit((f) => delete f['models/m-pruned/weights.bin'])));
    expect(e.code).toBe('missing-file');
    expect(e.message).toMatch(/models\/m-pruned\/weights\.bin/);
    expect(codeOf(() => decodeBundle(edit((f) => delete f['manifest.json']))).code).toBe('missing-file');
  });

  it('size mismatches are bad-input', () => {
    const noSums = (m: Record<string, unknown>) => delete m.checksums;
    expect(codeOf(() => decodeBundle(editManifest((m) => ((m.images as { count: number }).count = 21)))).code).toBe('bad-input');
    const shortLabels = edit((f) => {
      f['labels.bin'] = f['labels.bin']!.slice(2);
      const m = JSON.parse(new TextDecoder().decode(f['manifest.json'])) as Record<string, unknown>;
      noSums(m);
      f['manifest.json'] = strToU8(JSON.stringify(m));
    });
    expect(codeOf(() => decodeBundle(shortLabels)).message).toMatch(/labels\.bin/);
    const shortWeights = edit((f) => {
      f['models/m-orig/weights.bin'] = f['models/m-orig/weights.bin']!.slice(4);
      const m = JSON.parse(new TextDecoder().decode(f['manifest.json'])) as Record<string, unknown>;
      noSums(m);
      f['manifest.json'] = strToU8(JSON.stringify(m));
    });
    const d = decodeBundle(shortWeights);
    return expect(loadBundleModel(d, 'm-orig')).rejects.toMatchObject({ code: 'bad-input', message: expect.stringMatching(/weights\.bin/) });
  });

  it('a malformed manifest is bad-input naming the field', () => {
    const e = codeOf(() => decodeBundle(editManifest((m) => delete m.benchmark)));
    expect(e.code).toBe('bad-input');
    expect(e.message).toMatch(/benchmark/);
  });
});
