/**
 * Layouts that fit, at 1280×900 and 390×844, on every step with data in the tables: nothing overflows the viewport
 * (the page does not scroll sideways and no element sticks out past the right edge unless a scrolling card clips it),
 * the step bar's last step is on screen, the tables' action buttons are on screen without scrolling the table, and
 * on the phone the status bar is one line with the job's ETA visible. Setup goes through window.studio (small demo
 * data, a ResNet-20, a pruned version, a wasm benchmark). Screenshots: /tmp/ui-layout-<width>-<step>.png, and JPEGs
 * into $UI_SCREENSHOTS when set (docs/screenshots is made that way).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openStudio, startStudio } from './browser.mjs';

const STEPS = ['data', 'model', 'analyse', 'prune', 'finetune', 'deploy'];
const SIZES = [{ width: 1280, height: 900 }, { width: 390, height: 844 }];

/** Runs in the page: the scroll width and the elements whose right edge passes the viewport, unclipped. */
function overflowReport() {
  const W = window.innerWidth;
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= W + 1) continue;
    let clipped = false;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') { clipped = a.getBoundingClientRect().right <= W + 1; break; }
    }
    if (!clipped) bad.push(`${el.tagName.toLowerCase()}${el.dataset.testid ? `[${el.dataset.testid}]` : ''}.${[...el.classList].join('.')} right=${Math.round(r.right)}`);
  }
  return { scrollWidth: document.scrollingElement.scrollWidth, W, bad: bad.slice(0, 6) };
}

describe('UI layouts fit at 1280 and 390 px (built app)', () => {
  let env, page, context, errors;
  before(async () => {
    env = await startStudio();
    ({ page, context, errors } = await openStudio(env.browser, env.url, { viewport: SIZES[0] }));
    await page.evaluate(async () => {
      const s = window.studio;
      const d = await s.createDemoDataset({ trainPerClass: 8, testPerClass: 4, seed: 5 });
      const m = await s.createModel('resnet20', { datasetId: d.id, seed: 1, name: 'ResNet-20 with a deliberately long name to test wrapping in tables' });
      await s.evaluate(m.id, d.id, { split: 'test' });
      const p = await s.prune(m.id, d.id, { criterion: 'l1', target: { macs: 0.5 }, recover: 'bn', calibrationImages: 32, evaluate: true });
      await s.benchmark(p.model.id, { backends: ['wasm'], warmup: 2, runs: 5, minTimeMs: 100 });
      await s.benchmark(m.id, { backends: ['wasm'], warmup: 2, runs: 5, minTimeMs: 100 });
      localStorage.setItem('pruning-studio.selectedDataset', d.id);
      localStorage.setItem('pruning-studio.selectedModel', p.model.id);
    });
    await page.reload();
    await page.waitForFunction(() => typeof window.studio === 'object');
  });
  after(async () => { await context?.close(); await env?.close(); });

  for (const size of SIZES) {
    it(`${size.width}×${size.height}: no step overflows; the last step and the table actions are on screen`, async () => {
      await page.setViewportSize(size);
      for (const id of STEPS) {
        await page.getByTestId(`nav-${id}`).click();
        await page.getByTestId(`step-${id}`).waitFor();
        if (id === 'deploy') await page.getByTestId('report-row').nth(1).waitFor({ timeout: 30_000 });
        if (id === 'model') await page.getByTestId('model-row').first().waitFor();
        await page.waitForTimeout(300);
        const r = await page.evaluate(overflowReport);
        await page.screenshot({ path: `/tmp/ui-layout-${size.width}-${id}.png`, fullPage: true });
        if (process.env.UI_SCREENSHOTS) await page.screenshot({ path: join(process.env.UI_SCREENSHOTS, `${id}-${size.width}.jpg`), type: 'jpeg', quality: 55 });
        assert.ok(r.scrollWidth <= r.W, `${id}: the page scrolls sideways (${r.scrollWidth} > ${r.W})`);
        assert.deepEqual(r.bad, [], `${id}: elements past the right edge`);
        const last = await page.getByTestId('nav-deploy').boundingBox();
        assert.ok(last && last.x >= 0 && last.x + last.width <= size.width, `${id}: the step bar's last step is on screen (${JSON.stringify(last)})`);
      }
      // the action buttons of the widest tables are on screen without scrolling the table sideways
      const onScreen = async (locator, what) => {
        const b = await locator.boundingBox();
        assert.ok(b && b.x >= 0 && b.x + b.width <= size.width, `${what} is on screen at ${size.width} px (${JSON.stringify(b)})`);
      };
      await onScreen(page.getByTestId('benchmark').first(), 'Compare: Benchmark');
      await onScreen(page.locator('[data-testid="report-row"] td.sticky-start').first(), 'Compare: the model name');
      await page.getByTestId('nav-model').click();
      await onScreen(page.getByTestId('model-export').first(), 'Model list: Export .zip');
      await onScreen(page.getByTestId('model-delete').first(), 'Model list: Delete');
    });
  }

  it('390×844: the status bar is one line and shows the running job\'s ETA', async () => {
    await page.setViewportSize(SIZES[1]);
    await page.evaluate(async () => {
      const [d] = await window.studio.datasets();
      const [m] = (await window.studio.models()).filter((x) => !x.parentId);
      window.__run = window.studio.train(m.id, d.id, { epochs: 50, batchSize: 8, backend: 'current', validateLimit: 0 }).catch((e) => e.code);
    });
    await page.getByTestId('job-eta').waitFor({ timeout: 90_000 });
    const bar = await page.getByTestId('status-bar').boundingBox();
    const eta = await page.getByTestId('job-eta').boundingBox();
    const cancel = await page.getByTestId('job-cancel').boundingBox();
    await page.screenshot({ path: '/tmp/ui-layout-390-status.png' });
    if (process.env.UI_SCREENSHOTS) await page.screenshot({ path: join(process.env.UI_SCREENSHOTS, 'status-390.jpg'), type: 'jpeg', quality: 55 });
    assert.ok(bar.height <= 52, `one line (${bar.height}px high)`);
    assert.ok(eta.x + eta.width <= 390 && eta.y >= bar.y, `the ETA is visible (${JSON.stringify(eta)})`);
    assert.ok(cancel.x + cancel.width <= 390, 'Cancel is on screen');
    await page.getByTestId('job-cancel').click();
    assert.equal(await page.evaluate(() => window.__run), 'cancelled');
    assert.deepEqual((await page.evaluate(overflowReport)).bad, []);
    assert.deepEqual(errors, []);
  });
});
