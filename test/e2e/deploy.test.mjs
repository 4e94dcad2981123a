/**
 * Deployment: the desktop exports a bundle (original + pruned model, labelled test images, its predictions); a phone
 * profile (360 px, touch, mobile user agent) opens the installed app OFFLINE, runs the bundle on its backends, and its
 * results (file text and QR text) are imported back on the desktop as per-device columns of the report.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStudio, startStudio } from './browser.mjs';

const PHONE = {
  viewport: { width: 360, height: 740 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true,
  userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
};

describe('phone bundle round trip', () => {
  let env;
  before(async () => { env = await startStudio(); });
  after(async () => { await env?.close(); });

  it('exports on the desktop, runs offline on a phone profile, and imports the results back', async () => {
    const desktop = await openStudio(env.browser, env.url);
    const made = await desktop.page.evaluate(async () => {
      const s = window.studio;
      await s.setBackend('wasm');
      const ds = await s.createDemoDataset({ trainPerClass: 10, testPerClass: 10, seed: 9 });
      const m = await s.createModel('resnet20', { datasetId: ds.id, seed: 3 });
      const p = await s.prune(m.id, ds.id, { criterion: 'l1', target: { macs: 0.5 } });
      const blob = await s.exportBundle([m.id, p.model.id], ds.id, { images: 40, warmup: 1, runs: 3, minTimeMs: 50 });
      return { bytes: Array.from(new Uint8Array(await blob.arrayBuffer())), ids: [m.id, p.model.id] };
    });
    assert.ok(made.bytes.length > 100_000);

    const phone = await openStudio(env.browser, env.url, PHONE);
    await phone.page.evaluate(() => navigator.serviceWorker.ready);
    await phone.context.setOffline(true);
    await phone.page.reload();
    await phone.page.waitForFunction(() => typeof window.studio === 'object');
    const noOverflow = await phone.page.evaluate(() => document.documentElement.scrollWidth <= 360);
    assert.ok(noOverflow, 'the phone layout does not scroll sideways');
    const out = await phone.page.evaluate(async (bytes) => {
      const s = window.studio;
      const res = await s.runBundle(new Blob([new Uint8Array(bytes)]), { backends: ['wasm', 'litert-wasm'], device: { label: 'test phone' }, hidden: () => document.hidden });
      const enc = await s.encodeResults(res);
      return { res, enc };
    }, made.bytes);
    await phone.context.close();
    const wasm = out.res.backends.wasm;
    assert.ok(wasm && wasm.models, JSON.stringify(out.res.backends).slice(0, 300));
    for (const id of made.ids) {
      const r = wasm.models[id];
      assert.ok(r.latency.medianMs > 0, `latency of ${id}`);
      assert.equal(r.agreement, 1, 'wasm on the phone agrees with the desktop');
      assert.ok(r.top1 >= 0 && r.top1 <= 1);
    }
    // the bundle's .tflite files in LiteRT.js on the phone (offline: its wasm is precached)
    const litert = out.res.backends['litert-wasm'];
    assert.ok(litert && litert.models, JSON.stringify(litert).slice(0, 300));
    for (const id of made.ids) {
      assert.ok(litert.models[id].latency.medianMs > 0, `LiteRT latency of ${id}`);
      assert.equal(litert.models[id].agreement, 1, 'LiteRT.js on the phone agrees with the desktop');
    }
    assert.ok(out.enc.qr.length < 1500, `QR text ${out.enc.qr.length} chars`);

    const imported = await desktop.page.evaluate(async ({ qr, ids }) => {
      const summary = await window.studio.importResults(qr);
      const rows = await window.studio.report(ids);
      return { summary, rows };
    }, { qr: out.enc.qr, ids: made.ids });
    assert.equal(imported.summary.deviceLabel, 'test phone');
    assert.deepEqual(imported.summary.models.sort(), [...made.ids].sort());
    for (const row of imported.rows) assert.ok(row.devices['test phone'].wasm.medianMs > 0 && row.devices['test phone']['litert-wasm'].medianMs > 0);

    const bad = await desktop.page.evaluate((bytes) => window.studio.runBundle(new Blob([new Uint8Array(bytes.slice(0, bytes.length >> 1))])).then(() => null, (e) => e.code), made.bytes);
    assert.equal(bad, 'corrupt-archive');
    await desktop.context.close();
  });
});
