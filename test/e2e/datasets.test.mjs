/**
 * Custom datasets in the browser (the worker's createImageBitmap + OffscreenCanvas decoder) and bad input that must
 * fail with a specific error and leave nothing behind.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { zipSync, gzipSync } from 'fflate';
import { openStudio, startStudio } from './browser.mjs';

function png(w, h, rgb) {
  const p = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) p.data.set([...rgb, 255], i * 4);
  return new Uint8Array(PNG.sync.write(p));
}

describe('custom datasets and bad input in the browser', () => {
  let env;
  before(async () => { env = await startStudio(); });
  after(async () => { await env?.close(); });

  it('imports a .zip of class folders, decoding and resizing in the worker, skipping non-images', async () => {
    const files = { 'shapes/README.txt': new TextEncoder().encode('not an image') };
    for (let i = 0; i < 6; i++) {
      files[`shapes/red/${i}.png`] = png(40 + i, 30, [200 + i, 10, 10]);
      files[`shapes/blue/${i}.png`] = png(30, 50, [10, 10, 200 + i]);
    }
    const zip = Array.from(zipSync(files));
    const { page, context } = await openStudio(env.browser, env.url);
    const r = await page.evaluate(async (bytes) => {
      const ds = await window.studio.importDataset(new File([new Uint8Array(bytes)], 'shapes.zip'), { imageSize: 32, testFraction: 0.5, seed: 1 });
      const grid = await window.studio.datasetSamples(ds.id, { perClass: 1 });
      return { ds, first: Array.from(grid.samples[0].rgba.slice(0, 4)), labels: grid.samples.map((s) => s.label) };
    }, zip);
    assert.deepEqual(r.ds.classes, ['blue', 'red']);
    assert.equal(r.ds.counts.train + r.ds.counts.test, 12);
    assert.equal(r.ds.imageSize, 32);
    assert.ok(r.ds.notes.some((n) => /1 non-image/.test(n)), JSON.stringify(r.ds.notes));
    assert.deepEqual(r.labels, [0, 1]);
    assert.ok(r.first[2] > 190 && r.first[0] < 20, `blue pixel decoded: ${r.first}`);
    await context.close();
  });

  it('rejects a corrupt archive with a specific error and stores nothing', async () => {
    const noise = new Uint8Array(65536).map((_, i) => (i * 2654435761) >>> 24);
    const good = gzipSync(noise);
    const corrupt = Array.from(good.slice(0, good.length >> 1)); // truncated halfway
    const { page, context } = await openStudio(env.browser, env.url);
    const r = await page.evaluate(async (bytes) => {
      const before = (await window.studio.datasets()).length;
      const err = await window.studio.importDataset(new File([new Uint8Array(bytes)], 'cifar-10-binary.tar.gz')).then(() => null, (e) => ({ code: e.code, message: e.message }));
      const after = (await window.studio.datasets()).length;
      return { err, before, after };
    }, corrupt);
    assert.equal(r.err.code, 'corrupt-archive');
    assert.match(r.err.message, /cifar-10-binary\.tar\.gz/);
    assert.equal(r.after, r.before);
    const wrongKind = await page.evaluate(() => window.studio.importDataset(new File(['x'], 'notes.txt')).then(() => null, (e) => e.code));
    assert.equal(wrongKind, 'bad-input');
    await context.close();
  });
});
