/**
 * Phone bundle through the UI: the desktop page exports a .psbundle with the Compare & Deploy export button; a phone
 * profile (360×740, touch, mobile UA) opens the installed app OFFLINE, opens the bundle, runs it on wasm, sees the
 * results table and the QR code, and its QR text is pasted into the desktop's "Import results" → device column.
 * Setup (demo dataset, ResNet-20, an L1-pruned copy) goes through window.studio for speed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStudio, startStudio } from './browser.mjs';

const LONG = { timeout: 180_000 };
const PHONE = {
  viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
  userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
};

/** Waits for a test id; fails at once with the banner's text if an error banner shows up first. */
async function waitFor(page, testId) {
  const banner = page.getByTestId('error-banner').first();
  const which = await Promise.race([
    page.getByTestId(testId).first().waitFor(LONG).then(() => 'ok', () => 'timeout'),
    banner.waitFor(LONG).then(() => 'banner', () => 'timeout'),
  ]);
  if (which === 'timeout') assert.fail(`timed out waiting for ${testId}`);
  if (which === 'banner') assert.fail(`error banner while waiting for ${testId}: ${await banner.textContent()}`);
}

describe('UI: phone bundle export → offline phone run → results import', () => {
  let env;
  before(async () => { env = await startStudio(); });
  after(async () => { await env?.close(); });

  it('round-trips a bundle through the Compare & Deploy step', async () => {
    const desktop = await openStudio(env.browser, env.url, { viewport: { width: 1200, height: 900 }, acceptDownloads: true });
    const dp = desktop.page;
    const ids = await dp.evaluate(async () => {
      const s = window.studio;
      const ds = await s.createDemoDataset({ trainPerClass: 10, testPerClass: 10, seed: 9 });
      const m = await s.createModel('resnet20', { datasetId: ds.id, seed: 3 });
      const p = await s.prune(m.id, ds.id, { criterion: 'l1', target: { macs: 0.5 } });
      localStorage.setItem('pruning-studio.selectedDataset', ds.id);
      return [m.id, p.model.id];
    });
    await dp.goto(`${env.url}#/deploy`);
    await dp.reload();
    await dp.waitForFunction(() => typeof window.studio === 'object');
    await dp.evaluate(() => window.studio.setBackend('wasm')); // fast on this CPU-only machine
    await dp.getByTestId('bundle-model').nth(1).waitFor(LONG);
    assert.equal(await dp.getByTestId('bundle-model').count(), 2);
    await dp.getByTestId('bundle-images').fill('40');
    await dp.getByText('Benchmark settings on the phone').click();
    await dp.getByTestId('bundle-warmup').fill('1');
    await dp.getByTestId('bundle-runs').fill('3');
    await dp.getByTestId('bundle-mintime').fill('0.05');
    const downloading = dp.waitForEvent('download', LONG);
    await dp.getByTestId('bundle-export').click();
    const download = await downloading;
    assert.match(download.suggestedFilename(), /\.psbundle$/);
    const bundlePath = `/tmp/ui-deploy-${process.pid}.psbundle`;
    await download.saveAs(bundlePath);
    await waitFor(dp, 'bundle-exported');

    // ---- phone: installed app, offline ----
    const phone = await openStudio(env.browser, env.url, PHONE);
    const pp = phone.page;
    await pp.evaluate(() => navigator.serviceWorker.ready);
    await phone.context.setOffline(true);
    await pp.reload();
    await pp.waitForFunction(() => typeof window.studio === 'object');
    await pp.getByTestId('nav-deploy').tap();
    await pp.getByTestId('bundle-runner').waitFor(LONG);
    const label = pp.getByTestId('device-label');
    await pp.waitForFunction(() => /Android 14/.test(document.querySelector('[data-testid="device-label"]')?.value ?? ''));
    await label.fill('e2e phone');
    await pp.getByTestId('bundle-file').setInputFiles(bundlePath);
    for (const b of ['webgpu', 'webgl']) {
      const box = pp.getByTestId(`run-backend-${b}`);
      if (await box.isEnabled()) await box.setChecked(false);
    }
    await pp.getByTestId('run-backend-wasm').setChecked(true);
    await pp.getByTestId('bundle-run').tap();
    await waitFor(pp, 'bundle-results-table');
    const rows = await pp.getByTestId('bundle-result-row').allTextContents();
    // wasm, and LiteRT.js on the bundle's .tflite files (checked by default)
    assert.equal(rows.length, 4, rows.join('\n'));
    assert.deepEqual(rows.map((r) => r.match(/^(litert-wasm|wasm)/)?.[1]), ['wasm', 'wasm', 'litert-wasm', 'litert-wasm'], rows.join('\n'));
    for (const r of rows) {
      assert.match(r, /\d ms/, r);
      assert.match(r, /100\.0 %/, `agrees with the desktop: ${r}`);
    }
    await waitFor(pp, 'results-qr');
    await pp.waitForFunction(() => {
      const c = document.querySelector('[data-testid="results-qr"]');
      if (!c || c.width < 50) return false;
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let dark = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 100) dark++;
      return dark > (c.width * c.height) / 10;
    }, null, LONG);
    const qr = await pp.getByTestId('results-text').inputValue();
    assert.match(qr, /^PSR1\./);
    const overflow = await pp.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the phone page scrolls sideways by ${overflow}px`);
    await pp.screenshot({ path: '/tmp/ui-phone-bundle.png', fullPage: true });
    assert.deepEqual(phone.errors.filter((e) => !/favicon|net::ERR_INTERNET_DISCONNECTED/.test(e)), []);
    await phone.context.close();

    // ---- desktop: paste the QR text ----
    await dp.getByTestId('results-paste').fill(qr);
    await dp.getByTestId('results-import').click();
    await waitFor(dp, 'results-imported');
    assert.match(await dp.getByTestId('results-imported').textContent(), /e2e phone.*2 models updated/s);
    await dp.getByTestId('device-column').first().waitFor(LONG);
    const heads = await dp.getByTestId('device-column').allTextContents();
    assert.ok(heads.some((h) => /e2e phone/.test(h) && /wasm/.test(h)), heads.join(' | '));
    // the bundle shipped the deploy-optimised versions (written by the export): their rows carry the phone's column
    await dp.getByTestId('optimized-badge').nth(ids.length - 1).waitFor(LONG);
    assert.equal(await dp.getByTestId('optimized-badge').count(), ids.length);
    const cells = await dp.getByTestId('device-cell').allTextContents();
    // two device columns (wasm, litert-wasm) on every row; the optimised rows have both measured
    assert.ok(heads.some((h) => /e2e phone/.test(h) && /litert-wasm/.test(h)), heads.join(' | '));
    assert.equal(cells.length, 2 * 2 * ids.length);
    assert.equal(cells.filter((c) => /\d+(\.\d+)? ms/.test(c)).length, 2 * ids.length, cells.join(' | '));
    await dp.screenshot({ path: '/tmp/ui-deploy-desktop.png', fullPage: true });
    await desktop.context.close();
  });
});
