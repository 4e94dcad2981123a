/**
 * Fuzz: a .zip of class folders (streaming unzip + image decode + resize + store) on a small zip the test writes
 * (three classes of tiny PNGs, stored and deflated members), mutated at the byte level, in its local headers
 * (sizes, name lengths, compression method, flags), in its member names (traversal, absolute, empty) and in its
 * images (damaged PNGs, absurd IHDR sizes); plus zip bombs and too many members against small limits (the same code
 * path as the 2 GiB / 200,000-file defaults). Peak RSS over the bomb cases is reported.
 */
import { zipSync, type Zippable } from 'fflate';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/api/worker/context';
import { saveDataset } from '../../../src/api/worker/datasets';
import { entriesFromZipStream, importCustomDataset, type ImageDecoder } from '../../../src/engine/data/custom';
import { memoryKeyValue } from '../../../src/engine/storage/kv';
import { blobLike } from '../data/fixtures';
import { Rng, expectClean, fuzz, mutateBytes, type FuzzCase } from './harness';

const LIMITS = { maxEntries: 60, maxBytes: 4 * 1024 * 1024 };

/** pngjs, as the worker's createImageBitmap stands in: PNG only, throws on anything it cannot read. */
const pngDecoder: ImageDecoder = async (bytes, mime) => {
  if (mime !== 'image/png') throw new Error(`unsupported ${mime}`);
  const png = PNG.sync.read(Buffer.from(bytes));
  return { width: png.width, height: png.height, data: new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length) };
};

function png(w: number, h: number, seed: number): Uint8Array {
  const p = new PNG({ width: w, height: h });
  for (let i = 0; i < p.data.length; i++) p.data[i] = (i % 4 === 3 ? 255 : (seed * 37 + i * 11) & 0xff);
  return new Uint8Array(PNG.sync.write(p));
}

function validFiles(): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  for (const [c, cls] of ['cat', 'dog', 'owl'].entries()) for (let i = 0; i < 3; i++) files[`pets/${cls}/${i}.png`] = png(4 + i, 4 + c, c * 10 + i);
  files['pets/readme.txt'] = new TextEncoder().encode('three classes');
  return files;
}

function zipOf(files: Record<string, Uint8Array>, rng?: Rng): Uint8Array {
  const z: Zippable = {};
  for (const [k, v] of Object.entries(files)) z[k] = [v, { level: rng ? (rng.chance(0.5) ? 0 : 6) : 6 }];
  return zipSync(z);
}

const valid = zipOf(validFiles());

let bombCache: Uint8Array[] | null = null;
/** Zips with one member that inflates past LIMITS.maxBytes (built once: deflating MiBs per case is slow). */
function bombs(): Uint8Array[] {
  bombCache ??= [1, 2, 3].map((k) => {
    const files = validFiles();
    files[`pets/cat/bomb${k}.png`] = new Uint8Array(LIMITS.maxBytes * k + 1);
    return zipSync(Object.fromEntries(Object.entries(files).map(([n, v]) => [n, [v, { level: 9 }]])) as Zippable);
  });
  return bombCache;
}

/** Offsets of local file headers (PK\3\4) in a zip. */
function localHeaders(zip: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 4 <= zip.length; i++) if (zip[i] === 0x50 && zip[i + 1] === 0x4b && zip[i + 2] === 3 && zip[i + 3] === 4) out.push(i);
  return out;
}

function mutateLocalHeader(zip: Uint8Array, rng: Rng): { bytes: Uint8Array; how: string } {
  const o = zip.slice();
  const dv = new DataView(o.buffer);
  const at = rng.pick(localHeaders(o));
  const field = rng.pick(['method', 'flags', 'csize', 'usize', 'namelen', 'extralen', 'crc'] as const);
  const big = () => rng.pick([0, 1, 0xffffffff, 0x7fffffff, 1 << 30, rng.int(1 << 20)]);
  switch (field) {
    case 'method': dv.setUint16(at + 8, rng.pick([1, 9, 12, 14, 99, 0xffff]), true); break;
    case 'flags': dv.setUint16(at + 6, rng.pick([1, 8, 0x41, 0xffff]), true); break;
    case 'crc': dv.setUint32(at + 14, rng.int(2 ** 32), true); break;
    case 'csize': dv.setUint32(at + 18, big(), true); break;
    case 'usize': dv.setUint32(at + 22, big(), true); break;
    case 'namelen': dv.setUint16(at + 26, rng.pick([0, 1, 0xffff, rng.int(400)]), true); break;
    case 'extralen': dv.setUint16(at + 28, rng.pick([1, 4, 0xffff, rng.int(400)]), true); break;
  }
  return { bytes: o, how: `zip-header:${field}@${at}` };
}

function mutateFiles(rng: Rng): { files: Record<string, Uint8Array>; how: string } {
  const files = validFiles();
  const names = Object.keys(files).filter((n) => n.endsWith('.png'));
  const op = rng.int(7);
  const f = rng.pick(names);
  switch (op) {
    case 0: {
      const bad = rng.pick(['../evil/x.png', '/abs/cat/1.png', 'C:/win/cat/1.png', 'pets/../../up.png', 'pets\\..\\cat\\x.png']);
      files[bad] = files[f]!;
      return { files, how: `names:${bad}` };
    }
    case 1: {
      const r = mutateBytes(files[f]!, rng);
      files[f] = r.bytes;
      return { files, how: `png:${f} ${r.how}` };
    }
    case 2: {
      // IHDR width/height (bytes 16..23) set absurd; CRC then fails in a strict decoder, or it tries to allocate.
      const b = files[f]!.slice();
      new DataView(b.buffer).setUint32(16 + rng.int(2) * 4, rng.pick([0, 1, 0x7fffffff, 65535, 100000]));
      files[f] = b;
      return { files, how: `png:IHDR size in ${f}` };
    }
    case 3: {
      for (const n of names.filter((x) => x.includes('/owl/'))) delete files[n];
      return { files, how: 'classes:an empty or missing class' };
    }
    case 4: {
      for (const n of names) if (!n.includes('/cat/')) delete files[n];
      return { files, how: 'classes:one class only' };
    }
    case 5: {
      files['pets/dog/'] = new Uint8Array(0);
      files['pets/cat/x.jpg'] = new Uint8Array([0xff, 0xd8, 0xff]);
      return { files, how: 'entries:directory + a non-PNG image' };
    }
    default: {
      const out: Record<string, Uint8Array> = {};
      for (const [k, v] of Object.entries(files)) out[k.replace('pets/', rng.pick(['', 'train/', 'a/b/', 'test/']))] = v;
      return { files: out, how: 'layout:moved folders' };
    }
  }
}

function zipCase(seed: number, index: number): FuzzCase {
  const rng = new Rng(seed);
  let bytes = valid;
  let how = 'valid';
  if (index > 0) {
    const kind = rng.int(10);
    if (kind <= 2) ({ bytes, how } = mutateBytes(valid, rng));
    else if (kind <= 4) ({ bytes, how } = mutateLocalHeader(valid, rng));
    else if (kind <= 7) {
      const m = mutateFiles(rng);
      ({ bytes, how } = { bytes: zipOf(m.files, rng), how: m.how });
    } else if (kind === 8) {
      // Bomb: a few MiB of zeros deflate to a few KiB; the limit stops it while it inflates.
      bytes = rng.pick(bombs());
      how = `bomb:${(bytes.length / 1024).toFixed(0)} KiB`;
    } else {
      const files = validFiles();
      const n = LIMITS.maxEntries + 1 + rng.int(40);
      for (let i = 0; i < n; i++) files[`pets/cat/extra${i}.png`] = files['pets/cat/0.png']!;
      bytes = zipOf(files);
      how = `count:${n + 10} members`;
    }
  }
  const kv = memoryKeyValue();
  const ctx = createContext(kv);
  return {
    seed, how,
    run: async () => {
      const entries = await entriesFromZipStream(blobLike(bytes, 'pets.zip', 1 + rng.int(6000)), { ...LIMITS, name: 'pets.zip' });
      const ds = await importCustomDataset(entries, { decoder: pngDecoder, imageSize: 32, testFraction: 0.34 });
      await saveDataset(ctx, ds);
    },
    leftovers: async () => (kv.map.size > 0 ? `${kv.map.size} keys stored` : ''),
  };
}


describe('fuzz: .zip of class folders', () => {
  it('every mutated zip imports or fails with a specific code; bombs and member floods stop at the limits', async () => {
    const s = await fuzz('zip of class folders', zipCase);
    expectClean(s);
    expect(s.outcomes['too-large'] ?? 0).toBeGreaterThan(0);
  });
});
