/**
 * Fuzz: CIFAR importers (the .tar.gz, the plain .tar and extracted .bin files) on small synthetic archives the test
 * writes, mutated at the byte level (truncation, bit flips, inserted/deleted ranges), at the tar level (header fields
 * with the checksum recomputed so the parser goes past it: sizes, names, type flags, base-256 sizes) and at the
 * CIFAR level (record counts, label bytes, duplicate or missing members, meta text). Every case ends in success or a
 * specific code; a success is stored through saveDataset and read back, a failure leaves the store empty.
 */
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/api/worker/context';
import { loadDataset, saveDataset } from '../../../src/api/worker/datasets';
import { importCifarArchive, importCifarFiles } from '../../../src/engine/data/cifar';
import type { Dataset } from '../../../src/engine/data/types';
import { memoryKeyValue } from '../../../src/engine/storage/kv';
import { blobLike, cifar100Members, cifar10Bin, cifar10Members, gzip, writeTar, type TarMember } from '../data/fixtures';
import { Rng, expectClean, fuzz, mutateBytes, type FuzzCase } from './harness';

const PER = 2;
const counts = { batch: PER, train: 6, test: 2 };
const enc = new TextEncoder();


/** Offsets of every header block of a well-formed tar. */
function headerOffsets(tar: Uint8Array): number[] {
  const out: number[] = [];
  let o = 0;
  while (o + 512 <= tar.length) {
    const h = tar.subarray(o, o + 512);
    if (h.every((x) => x === 0)) break;
    out.push(o);
    const size = parseInt(new TextDecoder().decode(h.subarray(124, 135)).replace(/\0/g, '') || '0', 8);
    o += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

function fixChecksum(h: Uint8Array): void {
  h.fill(32, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += h[i]!;
  h.set(enc.encode(sum.toString(8).padStart(6, '0') + '\0 '), 148);
}

/** Rewrites one header field of one member (then fixes the checksum, so the reader acts on the field). */
function mutateTarHeader(tar: Uint8Array, rng: Rng): { bytes: Uint8Array; how: string } {
  const o = tar.slice();
  const offs = headerOffsets(o);
  const at = rng.pick(offs);
  const h = o.subarray(at, at + 512);
  const field = rng.pick(['size', 'size-256', 'name', 'type', 'magic', 'prefix', 'size-garbage'] as const);
  const put = (start: number, len: number, s: string) => {
    h.fill(0, start, start + len);
    h.set(enc.encode(s).subarray(0, len), start);
  };
  switch (field) {
    case 'size':
      put(124, 12, rng.pick(['77777777777', '00000000000', '00000006003', '1', '00000014003', '7777777777']) + '\0');
      break;
    case 'size-256':
      h.fill(0, 124, 136);
      h[124] = 0x80;
      for (let i = 125; i < 136; i++) h[i] = rng.chance(0.5) ? 0xff : rng.int(256);
      break;
    case 'size-garbage':
      put(124, 12, rng.pick(['zzzz', '-1', '8', ' 9 ', '1e9']));
      break;
    case 'name':
      put(0, 100, rng.pick(['', '../data_batch_1.bin', '/etc/test_batch.bin', 'cifar-10-batches-bin/data_batch_1.bin', 'cifar-100-binary/train.bin', 'x/test.bin', 'batches.meta.txt', 'a'.repeat(100)]));
      break;
    case 'type':
      h[156] = rng.pick([0x78, 0x4c, 0x67, 0x4b, 0x35, 0x32, 0x00, 0x37, 0x53, 0xff]);
      break;
    case 'magic':
      put(257, 6, rng.pick(['', 'ustar ', 'xxxxx', 'ustar']));
      break;
    case 'prefix':
      put(345, 155, rng.pick(['deep/dir', '..', '/', 'é'.repeat(70)]));
      break;
  }
  fixChecksum(h);
  return { bytes: o, how: `tar:${field}@${at}` };
}

/** CIFAR-level changes: members dropped/duplicated/resized, labels out of range, meta text, a CIFAR-100 mix. */
function mutateMembers(rng: Rng): { members: TarMember[]; how: string } {
  const m = cifar10Members(PER);
  const op = rng.int(8);
  const files = m.filter((x) => x.data && x.name.endsWith('.bin'));
  const f = rng.pick(files);
  switch (op) {
    case 0:
      return { members: m.filter((x) => x !== f), how: `cifar:drop ${f.name}` };
    case 1:
      return { members: [...m, { ...f }], how: `cifar:duplicate ${f.name}` };
    case 2: {
      const n = rng.pick([0, 1, 3, 1000]);
      f.data = cifar10Bin(n, 3);
      return { members: m, how: `cifar:${n} records in ${f.name}` };
    }
    case 3: {
      const d = f.data!.slice();
      d[rng.int(PER) * 3073] = 10 + rng.int(246);
      f.data = d;
      return { members: m, how: `cifar:label out of range in ${f.name}` };
    }
    case 4: {
      const meta = m.find((x) => x.name.endsWith('batches.meta.txt'))!;
      meta.data = rng.pick([enc.encode(''), enc.encode('a\nb\n'), new Uint8Array(3000).map(() => rng.int(256)), enc.encode('\n'.repeat(50))]);
      return { members: m, how: 'cifar:meta text' };
    }
    case 5:
      return { members: [...m, ...cifar100Members(3, 1).filter((x) => x.name.endsWith('.bin'))], how: 'cifar:mixed with CIFAR-100' };
    case 6:
      f.data = f.data!.slice(0, f.data!.length - 1 - rng.int(3072));
      return { members: m, how: `cifar:partial record in ${f.name}` };
    default:
      return { members: m.map((x) => ({ ...x, name: x.name.replace('cifar-10-batches-bin', rng.pick(['', 'a/b/c', 'CIFAR-10-BATCHES-BIN'])) })), how: 'cifar:renamed folder' };
  }
}

/** Runs an import, then stores and reloads a success; a failure must leave the store empty. */
function datasetCase(seed: number, how: string, importer: () => Promise<Dataset>): FuzzCase {
  const kv = memoryKeyValue();
  const ctx = createContext(kv);
  return {
    seed, how,
    run: async () => {
      const ds = await importer();
      const s = await saveDataset(ctx, ds);
      const back = await loadDataset(ctx, s.id);
      expect(back.splits.train.count).toBe(ds.splits.train.count);
    },
    leftovers: async () => (kv.map.size > 0 ? `${kv.map.size} keys stored: ${[...kv.map.keys()].slice(0, 3).join(', ')}` : ''),
  };
}

const validTar = writeTar(cifar10Members(PER));
const validGz = gzip(validTar);

function archiveCase(seed: number, index: number, gz: boolean): FuzzCase {
  const rng = new Rng(seed);
  let bytes: Uint8Array;
  let how: string;
  if (index === 0) ({ bytes, how } = { bytes: gz ? validGz : validTar, how: 'valid' });
  else {
    const kind = rng.int(3);
    if (kind === 0) ({ bytes, how } = mutateBytes(gz ? validGz : validTar, rng));
    else if (kind === 1) ({ bytes, how } = mutateTarHeader(validTar, rng));
    else {
      const m = mutateMembers(rng);
      ({ bytes, how } = { bytes: writeTar(m.members), how: m.how });
    }
    if (gz && kind !== 0) bytes = gzip(bytes);
  }
  const name = gz ? 'cifar-10-binary.tar.gz' : 'cifar-10-binary.tar';
  const chunk = 1 + rng.int(9000);
  return datasetCase(seed, how, () => importCifarArchive(blobLike(bytes, name, chunk), { recordCounts: counts, decompressor: rng.chance(0.5) ? 'fflate' : 'auto' }));
}

function binCase(seed: number, index: number): FuzzCase {
  const rng = new Rng(seed);
  const members = cifar10Members(PER).filter((m) => m.data);
  const files = members.map((m) => ({ name: m.name.split('/').pop()!, bytes: m.data! }));
  let how = 'valid';
  if (index > 0) {
    const op = rng.int(4);
    if (op === 3) {
      files.splice(rng.int(files.length), 1);
      how = 'bin:drop a file';
    } else {
      const k = rng.int(files.length);
      const r = mutateBytes(files[k]!.bytes, rng);
      files[k] = { ...files[k]!, bytes: r.bytes };
      how = `${files[k]!.name} ${r.how}`;
    }
  }
  // A file may claim a size that differs from what it streams (a file changed while read).
  const lie = index > 0 && rng.chance(0.1);
  const blobs = files.map((f) => ({ ...blobLike(f.bytes, f.name, 1 + rng.int(5000)), ...(lie ? { size: f.bytes.length + 1 } : {}) }));
  return datasetCase(seed, lie ? `${how} + size lie` : how, () => importCifarFiles(blobs, { recordCounts: counts }));
}

describe('fuzz: CIFAR importers', () => {
  it('.tar.gz: every mutated archive imports or fails with a specific code, nothing stored, no tensor left', async () => {
    expectClean(await fuzz('cifar .tar.gz', (seed, i) => archiveCase(seed, i, true)));
  });
  it('.tar: the same on the uncompressed archive', async () => {
    expectClean(await fuzz('cifar .tar', (seed, i) => archiveCase(seed, i, false)));
  });
  it('.bin files: the same on extracted batch files', async () => {
    expectClean(await fuzz('cifar .bin', binCase));
  });
});
