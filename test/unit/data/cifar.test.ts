import { describe, expect, it } from 'vitest';
import { importCifarArchive, importCifarFiles } from '../../../src/engine/data/cifar';
import type { StudioError } from '../../../src/engine/errors';
import type { Progress } from '../../../src/engine/progress';
import {
  C10_NAMES,
  blobLike,
  chunkedStream,
  cifar100Bin,
  cifar100Members,
  cifar10Bin,
  cifar10Members,
  gzip,
  pixel,
  writeTar,
} from './fixtures';

const PER = 12;
const counts = { batch: PER, train: 30, test: 10 };

async function failure(p: Promise<unknown>): Promise<StudioError> {
  try {
    await p;
  } catch (e) {
    return e as StudioError;
  }
  throw new Error('expected the import to fail');
}

/** Checks NHWC pixel (x,y) of image n in `images` equals the planar source pixel. */
function expectPixels(images: Uint8Array, n: number, seed: number, srcIndex: number): void {
  for (const p of [0, 1, 33, 517, 1023]) {
    for (let c = 0; c < 3; c++) expect(images[(n * 1024 + p) * 3 + c]).toBe(pixel(seed, srcIndex, c, p));
  }
}

describe.each(['native', 'fflate'] as const)('CIFAR-10 archive (%s gunzip)', (decompressor) => {
  it('imports a small valid archive: NHWC pixels, labels, names, progress', async () => {
    const gz = gzip(writeTar(cifar10Members(PER)));
    const seen: Progress[] = [];
    const ds = await importCifarArchive(blobLike(gz, 'cifar-10-binary.tar.gz', 1000), {
      recordCounts: counts,
      decompressor,
      onProgress: (p) => seen.push(p),
    });
    expect(ds.info.kind).toBe('cifar10');
    expect(ds.info.classes).toEqual(C10_NAMES);
    expect(ds.info.imageSize).toBe(32);
    expect(ds.info.counts).toEqual({ train: 5 * PER, test: PER });
    expect(ds.splits.train.images.length).toBe(5 * PER * 3072);
    expect(ds.splits.test.labels).toBeInstanceOf(Uint16Array);
    // Batch k fills train slots (k-1)*PER .. k*PER-1, in order.
    for (let k = 1; k <= 5; k++) {
      for (const i of [0, PER - 1]) {
        const n = (k - 1) * PER + i;
        expect(ds.splits.train.labels[n]).toBe((k + i) % 10);
        expectPixels(ds.splits.train.images, n, k, i);
      }
    }
    expectPixels(ds.splits.test.images, 3, 9, 3);
    expect(ds.splits.test.labels[3]).toBe((9 + 3) % 10);
    expect(seen[0]!.fraction).toBe(0);
    expect(seen[seen.length - 1]!.fraction).toBe(1);
    expect(seen.every((p, i) => i === 0 || p.fraction >= seen[i - 1]!.fraction)).toBe(true);
  });

  it('rejects a truncated gzip naming the archive', async () => {
    const gz = gzip(writeTar(cifar10Members(PER)));
    const e = await failure(
      importCifarArchive(blobLike(gz.slice(0, Math.floor(gz.length * 0.6)), 'cut.tar.gz'), { recordCounts: counts, decompressor }),
    );
    expect(e.code).toBe('corrupt-archive');
    expect(e.message).toContain('cut.tar.gz');
  });

  it('rejects a corrupt gzip naming the archive', async () => {
    const gz = gzip(writeTar(cifar10Members(PER)));
    const bad = gz.slice();
    for (let i = 2000; i < 2400; i++) bad[i] = (bad[i]! * 13 + 7) & 0xff;
    const e = await failure(importCifarArchive(blobLike(bad, 'bad.tar.gz'), { recordCounts: counts, decompressor }));
    expect(e.code).toBe('corrupt-archive');
    expect(e.message).toContain('bad.tar.gz');
  });

  it('rejects a file that is not gzip at all', async () => {
    const e = await failure(
      importCifarArchive(blobLike(new TextEncoder().encode('hello, not a gzip file'), 'x.tar.gz'), { decompressor }),
    );
    expect(e.code).toBe('corrupt-archive');
  });
});

describe('CIFAR-10 archive validation', () => {
  it('accepts a bare ReadableStream and uses built-in names when meta is missing', async () => {
    const gz = gzip(writeTar(cifar10Members(PER, { meta: null })));
    const ds = await importCifarArchive(chunkedStream(gz, 513), { recordCounts: counts, name: 'stream.tgz' });
    expect(ds.info.classes).toEqual(C10_NAMES);
    expect(ds.info.notes?.join(' ')).toContain('batches.meta.txt');
  });

  it('reports a missing member by name', async () => {
    const members = cifar10Members(PER).filter((m) => !m.name.endsWith('data_batch_3.bin'));
    const e = await failure(importCifarArchive(blobLike(gzip(writeTar(members)), 'a.tar.gz'), { recordCounts: counts }));
    expect(e.code).toBe('missing-file');
    expect(e.message).toContain('data_batch_3.bin');
    expect(e.message).not.toContain('data_batch_2.bin');
  });

  it('reports an archive without any CIFAR file', async () => {
    const tar = writeTar([{ name: 'readme.txt', data: new TextEncoder().encode('hi') }]);
    const e = await failure(importCifarArchive(blobLike(gzip(tar), 'other.tar.gz')));
    expect(e.code).toBe('missing-file');
    expect(e.message).toContain('other.tar.gz');
  });

  it('reports a wrong record size naming the file and size', async () => {
    const members = cifar10Members(PER);
    members[3] = { name: members[3]!.name, data: cifar10Bin(PER, 2).subarray(0, PER * 3073 - 5) };
    const e = await failure(importCifarArchive(blobLike(gzip(writeTar(members)), 'a.tar.gz'), { recordCounts: counts }));
    expect(e.code).toBe('bad-record');
    expect(e.message).toContain(members[3]!.name);
    expect(e.message).toContain(String(PER * 3073 - 5));
  });

  it('validates the record count per batch file (10000 by default)', async () => {
    const e = await failure(importCifarArchive(blobLike(gzip(writeTar(cifar10Members(PER))), 'a.tar.gz')));
    expect(e.code).toBe('bad-record');
    expect(e.message).toMatch(/data_batch_1\.bin.*12 records.*expected 10000/);
  });

  it('reports a label out of range with file, record index and label', async () => {
    const members = cifar10Members(PER);
    const test = members.find((m) => m.name.endsWith('test_batch.bin'))!;
    test.data = cifar10Bin(PER, 9, (i) => (i === 7 ? 10 : 1));
    const e = await failure(importCifarArchive(blobLike(gzip(writeTar(members)), 'a.tar.gz'), { recordCounts: counts }));
    expect(e.code).toBe('label-out-of-range');
    expect(e.message).toContain('test_batch.bin');
    expect(e.message).toContain('record 7');
    expect(e.message).toContain('label 10');
  });

  it('detects a tar header checksum error', async () => {
    const tar = writeTar(cifar10Members(PER));
    tar[600] = tar[600]! ^ 0x55; // inside the second header (batches.meta.txt)
    const e = await failure(importCifarArchive(blobLike(gzip(tar), 'h.tar.gz'), { recordCounts: counts }));
    expect(e.code).toBe('corrupt-archive');
    expect(e.message).toContain('h.tar.gz');
  });

  it('detects a tar truncated inside a member (valid gzip of a cut tar)', async () => {
    const tar = writeTar(cifar10Members(PER));
    const e = await failure(importCifarArchive(blobLike(gzip(tar.slice(0, 50_000)), 't.tar.gz'), { recordCounts: counts }));
    expect(e.code).toBe('corrupt-archive');
    expect(e.message).toContain('truncated');
  });

  it('cancels on abort', async () => {
    const ctrl = new AbortController();
    ctrl.abort();
    const e = await failure(
      importCifarArchive(blobLike(gzip(writeTar(cifar10Members(PER))), 'a.tar.gz'), { recordCounts: counts, signal: ctrl.signal }),
    );
    expect(e.code).toBe('cancelled');
  });

  it('cancels mid-stream when the signal fires during import', async () => {
    const ctrl = new AbortController();
    const gz = gzip(writeTar(cifar10Members(PER)));
    const e = await failure(
      importCifarArchive(blobLike(gz, 'a.tar.gz', 64), {
        recordCounts: counts,
        signal: ctrl.signal,
        onProgress: (p) => {
          if (p.fraction > 0.2) ctrl.abort();
        },
      }),
    );
    expect(e.code).toBe('cancelled');
  });
});

describe('CIFAR-100 archive', () => {
  const c100 = { train: 30, test: 10 };
  it.each(['fine', 'coarse'] as const)('imports with %s labels', async (labelSet) => {
    const gz = gzip(writeTar(cifar100Members(30, 10)));
    const ds = await importCifarArchive(blobLike(gz, 'cifar-100-binary.tar.gz'), { recordCounts: c100, labelSet });
    expect(ds.info.kind).toBe('cifar100');
    expect(ds.info.labelSet).toBe(labelSet);
    expect(ds.info.classes.length).toBe(labelSet === 'fine' ? 100 : 20);
    expect(ds.info.classes[5]).toBe(labelSet === 'fine' ? 'fine5' : 'coarse5');
    expect(ds.info.counts).toEqual({ train: 30, test: 10 });
    for (const i of [0, 7, 29]) {
      expect(ds.splits.train.labels[i]).toBe(labelSet === 'fine' ? (i * 3) % 100 : i % 20);
      expectPixels(ds.splits.train.images, i, 1, i);
    }
    expectPixels(ds.splits.test.images, 4, 9, 4);
  });

  it('rejects a fine label of 100', async () => {
    const members = cifar100Members(30, 10);
    members[4]!.data = cifar100Bin(30, 1, (i) => (i === 3 ? 100 : 0));
    const e = await failure(importCifarArchive(blobLike(gzip(writeTar(members)), 'c.tgz'), { recordCounts: c100 }));
    expect(e.code).toBe('label-out-of-range');
    expect(e.message).toMatch(/train\.bin.*record 3.*label 100/);
  });

  it('requires 50000/10000 records by default', async () => {
    const e = await failure(importCifarArchive(blobLike(gzip(writeTar(cifar100Members(30, 10))), 'c.tgz')));
    expect(e.code).toBe('bad-record');
    expect(e.message).toMatch(/expected (50000|10000) records/);
  });
});

describe('extracted CIFAR files', () => {
  it('imports CIFAR-10 .bin files (+ meta) given as Blob-like files, ignoring others', async () => {
    const files = cifar10Members(PER)
      .filter((m) => !m.dir)
      .map((m) => blobLike(m.data!, m.name.split('/').pop()!, 4096));
    files.push(blobLike(new Uint8Array([1, 2, 3]), 'readme.html'));
    const ds = await importCifarFiles(files.reverse(), { recordCounts: counts });
    expect(ds.info.counts).toEqual({ train: 5 * PER, test: PER });
    expectPixels(ds.splits.train.images, 2 * PER + 5, 3, 5);
    expect(ds.splits.train.labels[2 * PER + 5]).toBe((3 + 5) % 10);
  });

  it('imports CIFAR-100 files with coarse labels and no name files', async () => {
    const files = [blobLike(cifar100Bin(30, 1), 'train.bin'), blobLike(cifar100Bin(10, 9), 'test.bin')];
    const ds = await importCifarFiles(files, { recordCounts: { train: 30, test: 10 }, labelSet: 'coarse' });
    expect(ds.info.classes[0]).toBe('aquatic_mammals');
    expect(ds.info.classes.length).toBe(20);
    expect(ds.splits.test.labels[13 % 10]).toBe(3);
  });

  it('reports missing test_batch.bin', async () => {
    const files = [1, 2, 3, 4, 5].map((k) => blobLike(cifar10Bin(PER, k), `data_batch_${k}.bin`));
    const e = await failure(importCifarFiles(files, { recordCounts: counts }));
    expect(e.code).toBe('missing-file');
    expect(e.message).toContain('test_batch.bin');
  });

  it('rejects mixing CIFAR-10 and CIFAR-100 files', async () => {
    const files = [blobLike(cifar10Bin(PER, 1), 'data_batch_1.bin'), blobLike(cifar100Bin(10, 9), 'test.bin')];
    const e = await failure(importCifarFiles(files, { recordCounts: counts }));
    expect(e.code).toBe('bad-input');
  });
});
