/**
 * A small real-CIFAR-10 training set for the demo-size budgets (quick-mode fine-tunes, the timed training run):
 * the first N training images (train 0–3999 are lossless in ../shared) and the first M lossless test images,
 * written as PNGs in a zip of `train|test/<class>/<index>.png`, which `studio.importDataset(url)` reads as a
 * custom dataset. The class folder names sort into CIFAR-10's own label order, so labels are unchanged.
 * The zip is built once into the OS temp folder (never into the repo or ../shared).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { PNG } from 'pngjs';

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const REC = 3073;

/** Returns the first `count` records of data_batch_1.bin from the CIFAR-10 tarball (ustar walk). */
function trainRecords(tarGzPath, count) {
  const tar = gunzipSync(readFileSync(tarGzPath));
  const text = (a, b) => tar.subarray(a, b).toString('latin1').replace(/\0.*$/s, '');
  for (let off = 0; off + 512 <= tar.length && tar[off] !== 0;) {
    const name = text(off, off + 100);
    const size = parseInt(text(off + 124, off + 136).trim() || '0', 8);
    if (name.endsWith('data_batch_1.bin')) return Buffer.from(tar.subarray(off + 512, off + 512 + count * REC));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${tarGzPath}: no data_batch_1.bin member`);
}

function png(record) {
  const img = new PNG({ width: 32, height: 32 });
  for (let p = 0; p < 1024; p++) {
    img.data[p * 4] = record[1 + p];
    img.data[p * 4 + 1] = record[1 + 1024 + p];
    img.data[p * 4 + 2] = record[1 + 2048 + p];
    img.data[p * 4 + 3] = 255;
  }
  return PNG.sync.write(img);
}

/**
 * Builds (or reuses) the subset zip; returns {dir, file, train, test}. `dir` is to be served under a URL prefix.
 * @param {string} shared path of ../shared
 */
export function buildSubset(shared, { train = 500, test = 200 } = {}) {
  if (train > 4000) throw new Error(`--subset-train ${train}: only train images 0–3999 are lossless; use at most 4000.`);
  const dir = join(tmpdir(), 'pruning-studio-bench');
  const file = `cifar10-train${train}-test${test}.zip`;
  const path = join(dir, file);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    const entries = {};
    const tr = trainRecords(join(shared, 'data/cifar-10-binary.tar.gz'), train);
    const te = readFileSync(join(shared, 'data/cifar-10-test-lossless-1000.bin')).subarray(0, test * REC);
    const add = (split, buf, n) => {
      for (let i = 0; i < n; i++) {
        const rec = buf.subarray(i * REC, (i + 1) * REC);
        entries[`${split}/${CIFAR10_CLASSES[rec[0]]}/${String(i).padStart(5, '0')}.png`] = [png(rec), { level: 0 }];
      }
    };
    add('train', tr, train);
    add('test', te, test);
    writeFileSync(`${path}.part`, zipSync(entries));
    renameSync(`${path}.part`, path);
  }
  return { dir, file, train, test };
}
