/**
 * The guided first run, through the UI only: an empty studio shows "Try it: demo in ~3 minutes"; one click walks
 * data → model → train → analyse → prune + reconstruct → fine-tune and lands on Compare with the table (every version
 * with a top-1), the chart and the phone-bundle button. A second, fresh studio is stopped during training: the run
 * ends within seconds with what it made kept, and nothing left running. Each studio is a fresh browser context (empty
 * IndexedDB). The duration of the full run is printed (a measurement, not an assertion).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStudio, startStudio } from './browser.mjs';

describe('UI: guided first run (built app)', () => {
  let env;
  before(async () => { env = await startStudio(); });
  after(async () => { await env?.close(); });

  it('Stop during training ends the run, keeps what was made, and leaves no job running', async () => {
    const { page, context, errors } = await openStudio(env.browser, env.url, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await page.getByTestId('guided-start').click();
    // wait until the Train step is current and its job is reporting progress
    await page.locator('[data-testid="guided-step"][aria-current="step"]', { hasText: 'Train' }).waitFor({ timeout: 120_000 });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="job-status"]').length > 0, null, { timeout: 120_000 });
    assert.match(await page.getByTestId('guided-explain').textContent(), /Training/);
    const t0 = Date.now();
    await page.getByTestId('guided-stop').click();
    await page.getByTestId('guided-stopped').waitFor({ timeout: 30_000 });
    console.log(`# guided run: Stop answered in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const text = await page.getByTestId('guided-stopped').textContent();
    assert.match(text, /Stopped at Train/);
    const state = await page.evaluate(async () => ({ datasets: await window.studio.datasets(), models: await window.studio.models() }));
    assert.equal(state.datasets.length, 1, 'the demo dataset is kept');
    assert.equal(state.models.length, 1, 'the untrained model is kept, no trained version was written');
    assert.ok(text.includes(state.datasets[0].name) && text.includes(state.models[0].name), 'the notice lists what was kept');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="job-status"]').length === 0, null, { timeout: 10_000 });
    // no red error for a stop the user asked for
    assert.equal(await page.getByTestId('error-banner').count(), 0);
    // carry on by hand: the panel closes, the Model step has the model selected
    await page.getByTestId('guided-dismiss').click();
    await page.getByTestId('nav-model').click();
    await page.getByTestId('model-row').first().waitFor();
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('one click on an empty studio walks the pipeline and lands on Compare with every version evaluated', async () => {
    const { page, context, errors } = await openStudio(env.browser, env.url, { viewport: { width: 1280, height: 900 } });
    const intro = page.getByTestId('guided-start');
    await intro.waitFor();
    assert.match(await intro.textContent(), /Try it: demo in ~3 minutes/);
    // Record every step the stepper marks current, from the page itself (a MutationObserver sees each DOM update),
    // so a step shorter than any polling interval is still seen.
    await page.evaluate(() => {
      const seen = (window.__guidedSeen = []);
      const note = () => {
        for (const el of document.querySelectorAll('[data-testid="guided-step"][aria-current="step"]')) {
          const id = el.getAttribute('data-step');
          if (!seen.includes(id)) seen.push(id);
        }
      };
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-current'] });
    });
    const t0 = Date.now();
    await intro.click();
    const banner = page.getByTestId('error-banner').first();
    const done = page.getByTestId('guided-done');
    // bounded and generous: the run takes ~3 min on an idle 2-core machine
    const deadline = Date.now() + 15 * 60_000;
    while (Date.now() < deadline) {
      if (await done.count()) break;
      if (await banner.count()) assert.fail(`error during the guided run: ${await banner.textContent()}`);
      await page.waitForTimeout(500);
    }
    await done.waitFor({ timeout: 1000 });
    const seen = new Set(await page.evaluate(() => window.__guidedSeen));
    const seconds = (Date.now() - t0) / 1000;
    console.log(`# guided run: finished in ${seconds.toFixed(0)} s (steps seen: ${[...seen].join(', ')})`);
    for (const step of ['data', 'model', 'train', 'analyse', 'prune', 'finetune']) assert.ok(seen.has(step), `the stepper showed ${step} as it ran (seen: ${[...seen].join(', ')})`);
    assert.equal(new URL(page.url()).hash, '#/deploy', 'lands on Compare');
    await page.getByTestId('report-table').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="report-row"]').length >= 4, null, { timeout: 30_000 });
    const top1 = await page.$$eval('[data-testid="report-row"]', (rows) => rows.map((r) => r.querySelectorAll('td')[1]?.textContent?.trim() ?? ''));
    const withTop1 = top1.filter((t) => /\d+\.\d+ %/.test(t));
    assert.ok(withTop1.length >= 2, `at least two versions have a top-1 (${top1.join(' | ')})`);
    const rows = await page.evaluate(() => window.studio.report());
    console.log(`# guided run versions: ${rows.map((r) => `${r.name}: ${r.top1 == null ? '–' : (r.top1 * 100).toFixed(1) + ' %'}, ${(r.macs / 1e6).toFixed(1)}M MACs`).join('; ')}`);
    assert.ok(rows.some((r) => r.top1 != null && r.macs < Math.max(...rows.map((x) => x.macs)) * 0.6), 'a pruned version with a top-1');
    await page.getByTestId('pareto-chart').waitFor();
    assert.ok(await page.getByTestId('bundle-export').isVisible(), 'the phone-bundle button is there');
    await page.screenshot({ path: '/tmp/ui-guided-done-1280.png', fullPage: true });
    assert.deepEqual(errors, []);
    await context.close();
  });
});
