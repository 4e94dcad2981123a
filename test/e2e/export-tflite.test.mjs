/**
 * .tflite export verified by LiteRT.js in the studio's worker (headless Chromium, cross-origin isolated, offline
 * runtime files): the akamaster ResNet-20 is imported, exported, run in LiteRT.js on test images and compared with
 * the tfjs model; a pruned version of it too; the service worker precaches LiteRT's wasm.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { importResnet20ThroughUi, openStudio, requireShared, startStudio } from './browser.mjs';

describe('.tflite export in LiteRT.js', () => {
  let env;
  before(async () => { env = await startStudio(); });
  after(async () => { await env?.close(); });

  it('exports akamaster ResNet-20 and a pruned version; LiteRT.js agrees with tfjs', async () => {
    const shared = requireShared();
    const { page, context, errors } = await openStudio(env.browser, env.url);
    const m = await importResnet20ThroughUi(page, env.url, shared);
    const r = await page.evaluate(async (m) => {
      const s = window.studio;
      await s.setBackend('wasm');
      const ds = await s.createDemoDataset({ trainPerClass: 4, testPerClass: 10, seed: 2 });
      const t0 = performance.now();
      const file = await s.exportTflite(m.id, { weights: 'float32' });
      const exportMs = performance.now() - t0;
      const head = new TextDecoder().decode(new Uint8Array(await file.slice(4, 8).arrayBuffer()));
      const v = await s.verifyTflite(m.id, file, ds.id, { images: 100 });
      const p = await s.prune(m.id, ds.id, { criterion: 'l1', target: { macs: 0.5 } });
      const pf = await s.exportTflite(p.model.id, { weights: 'float32' });
      const pv = await s.verifyTflite(p.model.id, pf, ds.id, { images: 50 });
      const f16 = await s.exportTflite(m.id, { weights: 'float16' });
      const v16 = await s.verifyTflite(m.id, f16, ds.id, { images: 50, weights: 'float16' });
      const lat = await s.benchmarkTflite(pf, { warmup: 2, runs: 5, minTimeMs: 100 });
      const bad = await s.exportTflite(m.id, { weights: 'int4' }).then(() => null, (e) => e.code);
      const cached = await caches.keys().then(async (keys) => {
        for (const k of keys) for (const req of await (await caches.open(k)).keys()) if (/litert_wasm_internal.*\.wasm/.test(req.url)) return true;
        return false;
      });
      return { lat, size: file.size, head, exportMs, v, pv, psize: pf.size, f16size: f16.size, v16, bad, cached };
    }, m);
    console.log(JSON.stringify(r));
    assert.equal(r.head, 'TFL3', 'a TFLite flatbuffer');
    assert.ok(r.v.maxAbsDiff < 1e-3, `max |Δlogit| ${r.v.maxAbsDiff}`);
    assert.equal(r.v.top1Agreement, 1);
    assert.equal(r.v.ok, true);
    assert.equal(r.v.images, 100);
    assert.ok(r.pv.maxAbsDiff < 1e-3 && r.pv.top1Agreement === 1, JSON.stringify(r.pv));
    assert.ok(r.psize < r.size, 'the pruned file is smaller');
    assert.ok(r.f16size < r.size * 0.6 && r.v16.ok, JSON.stringify(r.v16));
    assert.equal(r.bad, 'bad-input');
    assert.ok(r.lat.medianMs > 0 && r.lat.runs >= 5, JSON.stringify(r.lat));
    assert.equal(r.cached, true, 'LiteRT wasm precached by the service worker');

    // The Deploy step's button exports, verifies in LiteRT.js and says so.
    await page.goto(env.url + '#/deploy');
    await page.reload(); // the catalog (datasets made through window.studio above) is read at start-up
    await page.waitForFunction(() => typeof window.studio === 'object');
    await page.getByTestId('tflite-export').click();
    await page.getByTestId('tflite-verdict').waitFor({ timeout: 60_000 }).catch(async (e) => { console.log('APP-EXPORT:', JSON.stringify(await page.getByTestId('app-export-card').textContent().catch(() => 'none')), await page.locator('body').textContent().then((t) => t.slice(0, 600))); throw e; });
    assert.equal((await page.getByTestId('tflite-verdict').textContent()).trim(), 'verified');
    assert.match(await page.getByTestId('tflite-result').textContent(), /max \|Δlogit\| \d\.\de-\d+, top-1 agreement 100/);
    assert.deepEqual(errors.filter((e) => !/favicon/.test(e)), []);
    await context.close();
  });
});
