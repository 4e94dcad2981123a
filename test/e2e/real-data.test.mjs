/**
 * Real data from ../shared: the CIFAR-10 binary tarball imported through the Data step's file input, and the
 * akamaster ResNet-20 imported through the Model step's file input, evaluated on the lossless test records 0–999
 * (reference: 91.50 %, ../shared/models/akamaster-tfjs/README.md).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { importResnet20ThroughUi, openStudio, requireShared, startStudio } from './browser.mjs';

describe('real CIFAR-10 and a real trained model', () => {
  let env;
  let page;
  let context;
  let shared;
  before(async () => {
    shared = requireShared();
    env = await startStudio();
    ({ page, context } = await openStudio(env.browser, env.url));
  });
  after(async () => { await context?.close(); await env?.close(); });

  it('imports cifar-10-binary.tar.gz through the UI file input: 50,000/10,000 images, 5,000/1,000 per class', async () => {
    await page.goto(env.url + '#/data');
    await page.getByTestId('dataset-file').setInputFiles(join(shared, 'data/cifar-10-binary.tar.gz'));
    await page.getByTestId('import-dataset').click();
    await page.getByTestId('import-summary').waitFor({ timeout: 300_000 });
    const list = await page.evaluate(() => window.studio.datasets());
    const ds = list.find((d) => d.kind === 'cifar10');
    assert.ok(ds, 'a cifar10 dataset is stored');
    assert.deepEqual(ds.counts, { train: 50000, test: 10000 });
    assert.deepEqual(ds.classCounts.train, new Array(10).fill(5000));
    assert.deepEqual(ds.classCounts.test, new Array(10).fill(1000));
    assert.deepEqual(ds.classes, ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
    assert.equal(await page.getByTestId('dataset-row').count() >= 1, true);
  });

  it('imports akamaster ResNet-20 through the UI and reproduces 91.5 % on test 0–999', async () => {
    const m = await importResnet20ThroughUi(page, env.url, shared);
    const r = await page.evaluate(async (m) => {
      const s = window.studio;
      const ds = (await s.datasets()).find((d) => d.kind === 'cifar10');
      await s.setBackend('wasm');
      const ev = await s.evaluate(m.id, ds.id, { split: 'test', start: 0, end: 1000 });
      return { m, ev };
    }, m);
    assert.equal(r.m.params, 269722, 'learned parameters as published');
    assert.equal(r.m.macs, 40551040, 'MACs of the main convs + FC');
    assert.equal(r.ev.count, 1000);
    assert.equal(Math.round(r.ev.top1 * 1000), 915);
  });
});
