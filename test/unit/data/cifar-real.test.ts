import { existsSync, openAsBlob, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCifarArchive } from '../../../src/engine/data/cifar';

const shared = resolve(__dirname, '../../../../shared/data');
const archive = resolve(shared, 'cifar-10-binary.tar.gz');
const lossless = resolve(shared, 'cifar-10-test-lossless-1000.bin');

describe.skipIf(!existsSync(archive) || !existsSync(lossless))('real cifar-10-binary.tar.gz', () => {
  it('imports 50000/10000 images, balanced classes, lossless test record 0', async () => {
    const blob = await openAsBlob(archive);
    const ds = await importCifarArchive({ stream: () => blob.stream(), size: blob.size, name: 'cifar-10-binary.tar.gz' });
    expect(ds.info.counts).toEqual({ train: 50000, test: 10000 });
    expect(ds.info.classes).toEqual(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
    expect(ds.info.notes).toBeUndefined();
    const perClass = (labels: Uint16Array) => {
      const c = new Array<number>(10).fill(0);
      for (const l of labels) c[l]!++;
      return c;
    };
    expect(perClass(ds.splits.train.labels)).toEqual(new Array(10).fill(5000));
    expect(perClass(ds.splits.test.labels)).toEqual(new Array(10).fill(1000));
    // data_batch_1 label counts from the archive README.
    expect(perClass(ds.splits.train.labels.subarray(0, 10000))).toEqual([1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981]);
    const ref = readFileSync(lossless);
    for (const r of [0, 999]) {
      expect(ds.splits.test.labels[r]).toBe(ref[r * 3073]);
      const want = new Uint8Array(3072);
      for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) want[p * 3 + c] = ref[r * 3073 + 1 + c * 1024 + p]!;
      expect(Buffer.from(ds.splits.test.images.subarray(r * 3072, (r + 1) * 3072)).equals(Buffer.from(want))).toBe(true);
    }
  });
});
