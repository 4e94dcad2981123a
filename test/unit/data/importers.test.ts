/**
 * Importer robustness on archives the tests generate: an uncompressed .tar imports (gzip is detected by its
 * signature, not the name), pax headers are parsed on UTF-8 bytes (non-ASCII names do not shift later records),
 * .zip files are read streaming with limits on file count and inflated size (a zip bomb stops early with too-large),
 * and unsafe names, non-zips and truncated zips end in corrupt-archive.
 */
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { importCifarArchive } from '../../../src/engine/data/cifar';
import { entriesFromZipStream } from '../../../src/engine/data/custom';
import { TarReader, parsePax, type TarEntryHeader } from '../../../src/engine/data/tar';
import type { StudioError } from '../../../src/engine/errors';
import { blobLike, cifar10Members, gzip, writeTar } from './fixtures';

const PER = 12;
const counts = { batch: PER, train: 30, test: 10 };
const enc = new TextEncoder();

async function failure(p: Promise<unknown>): Promise<StudioError> {
  try {
    await p;
  } catch (e) {
    return e as StudioError;
  }
  throw new Error('expected a failure');
}

/** One pax record: its length prefix counts the bytes of the whole record, itself included. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const n = enc.encode(body).length;
  let len = n + String(n).length;
  if (String(len).length !== String(n).length) len = n + String(len).length;
  return `${len}${body}`;
}

describe('tar', () => {
  it('imports an uncompressed .tar exactly like the .tar.gz', async () => {
    const tar = writeTar(cifar10Members(PER));
    const plain = await importCifarArchive(blobLike(tar, 'cifar-10-binary.tar'), { recordCounts: counts });
    const gz = await importCifarArchive(blobLike(gzip(tar), 'cifar-10-binary.tar.gz'), { recordCounts: counts });
    expect(plain.info.counts).toEqual(gz.info.counts);
    expect(Buffer.compare(Buffer.from(plain.splits.train.images), Buffer.from(gz.splits.train.images))).toBe(0);
    // A .tar.gz name on plain tar bytes (a browser that already decompressed it) reads too.
    const renamed = await importCifarArchive(blobLike(tar, 'cifar-10-binary.tar.gz'), { recordCounts: counts });
    expect(renamed.info.counts).toEqual(gz.info.counts);
  });

  it('a file that is neither gzip nor tar is corrupt-archive naming its first bytes', async () => {
    const e = await failure(importCifarArchive(blobLike(enc.encode('hello, not an archive'), 'x.tar')));
    expect(e.code).toBe('corrupt-archive');
    expect(e.message).toMatch(/neither a gzip-compressed nor a plain tar archive.*68 65 6c 6c/);
  });

  it('parses pax records on bytes: a non-ASCII path and the records after it stay exact', () => {
    const path = 'données/été/ünïcödé 画像/data_batch_1.bin';
    const pax = enc.encode(paxRecord('path', path) + paxRecord('mtime', '1700000000.5') + paxRecord('comment', 'ok'));
    const m = parsePax(pax);
    expect(m.get('path')).toBe(path);
    expect(m.get('mtime')).toBe('1700000000.5');
    expect(m.get('comment')).toBe('ok');
    const seen: TarEntryHeader[] = [];
    const tar = writeTar([{ name: 'PaxHeader/x', type: 0x78, data: pax }, { name: 'short-name.bin', data: new Uint8Array(3) }]);
    const r = new TarReader((h) => (seen.push(h), null), 't.tar');
    r.push(tar);
    r.finish();
    expect(seen.map((h) => [h.name, h.size])).toEqual([[path, 3]]);
  });
});

function zipBlob(files: Record<string, Uint8Array>, name = 'set.zip', level: 0 | 6 = 6) {
  return blobLike(zipSync(files, { level }), name, 65536);
}

describe('streaming zip', () => {
  it('lists the files of a zip of class folders with their bytes (stored and deflated)', async () => {
    const files = { 'cat/a.png': enc.encode('cat-a'), 'cat/b.png': enc.encode('cat-b'.repeat(100)), 'dog/c.png': enc.encode('dog-c') };
    for (const level of [0, 6] as const) {
      const entries = await entriesFromZipStream(zipBlob(files, 'set.zip', level));
      expect(entries.map((e) => e.path)).toEqual(['cat/a.png', 'cat/b.png', 'dog/c.png']);
      expect(new TextDecoder().decode(await entries[1]!.bytes())).toBe('cat-b'.repeat(100));
    }
  });

  it('a zip bomb stops at the inflated-size limit with too-large, long before inflating it all', async () => {
    const bomb = zipBlob({ 'cat/bomb.png': new Uint8Array(64 * 1024 * 1024) }, 'bomb.zip');
    expect(bomb.size).toBeLessThan(1024 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    const e = await failure(entriesFromZipStream(bomb, { maxBytes: 4 * 1024 * 1024 }));
    expect(e.code).toBe('too-large');
    expect(e.message).toMatch(/bomb\.zip.*more than 4 MiB/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(40 * 1024 * 1024);
  });

  it('more files than the entry limit is too-large', async () => {
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 101; i++) files[`cat/${i}.png`] = new Uint8Array(1);
    const e = await failure(entriesFromZipStream(zipBlob(files), { maxEntries: 100 }));
    expect(e.code).toBe('too-large');
    expect(e.message).toMatch(/more than 100 files/);
  });

  it('path traversal and absolute names are refused', async () => {
    for (const bad of ['../evil/x.png', 'cat/../../x.png', '/etc/x.png']) {
      const e = await failure(entriesFromZipStream(zipBlob({ [bad]: new Uint8Array(2) })));
      expect(e.code).toBe('corrupt-archive');
      expect(e.message).toContain('points outside the archive');
    }
  });

  it('a file that is not a zip, an empty file and a truncated zip are corrupt-archive', async () => {
    expect((await failure(entriesFromZipStream(blobLike(enc.encode('PK? no'), 'x.zip')))).code).toBe('corrupt-archive');
    expect((await failure(entriesFromZipStream(blobLike(new Uint8Array(0), 'e.zip')))).message).toMatch(/empty/);
    const z = zipSync({ 'cat/a.png': new Uint8Array(50_000).map((_, i) => (i * 7) & 255) }, { level: 6 });
    const e = await failure(entriesFromZipStream(blobLike(z.slice(0, Math.floor(z.length / 2)), 'cut.zip')));
    expect(e.code).toBe('corrupt-archive');
    expect(e.message).toContain('cut.zip');
  });
});
