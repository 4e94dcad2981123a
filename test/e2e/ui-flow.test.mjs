/**
 * The main UI flow on a tiny demo dataset: create a zoo model → layers → train 1 epoch (live curves, auto-evaluated
 * top-1 staying on the Train tab) → analyse (L1) → reload (the analysis, curves and top-1 are still there) → plan
 * preview → prune → fine-tune → compare table (every derived version with a top-1). Setup (a small demo dataset) goes through window.studio for speed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStudio, startStudio } from './browser.mjs';

const LONG = { timeout: 180_000 };

describe('UI flow: model → analyse → prune → fine-tune → compare (built app)', () => {
  let env, page, context, errors;
  before(async () => {
    env = await startStudio();
    ({ page, context, errors } = await openStudio(env.browser, env.url, { viewport: { width: 1100, height: 900 } }));
    await page.evaluate(async () => {
      const d = await window.studio.createDemoDataset({ trainPerClass: 8, testPerClass: 4, seed: 3 });
      localStorage.setItem('pruning-studio.selectedDataset', d.id);
    });
    await page.goto(`${env.url}#/model`);
    await page.reload();
    await page.waitForFunction(() => typeof window.studio === 'object');
    // A reload starts a fresh engine worker: pick WASM (fast on this CPU-only machine) through the backend panel.
    await page.getByTestId('active-backend').click();
    // The measured default is already WASM on a GPU-less machine; switch only where it is not.
    await page.getByTestId('backend-wasm').waitFor({ timeout: 60_000 });
    if (await page.getByTestId('use-wasm').count()) await page.getByTestId('use-wasm').click();
    await page.waitForFunction(() => /wasm/.test(document.querySelector('[data-testid="active-backend"]')?.textContent ?? ''), null, { timeout: 60_000 });
    await page.getByTestId('active-backend').click();
  });
  after(async () => { await context?.close(); await env?.close(); });

  /** Waits for a test id; fails at once with the banner's text if an error banner shows up first. */
  const waitFor = async (testId) => {
    const banner = page.getByTestId('error-banner').first();
    const which = await Promise.race([
      page.getByTestId(testId).first().waitFor(LONG).then(() => 'ok', () => 'timeout'),
      banner.waitFor(LONG).then(() => 'banner', () => 'timeout'),
    ]);
    if (which === 'timeout') assert.fail(`timed out waiting for ${testId}`);
    if (which === 'banner') assert.fail(`error banner while waiting for ${testId}: ${await banner.textContent()}`);
  };
  const noBanner = async () => {
    const banners = await page.getByTestId('error-banner').allTextContents();
    assert.deepEqual(banners, []);
  };

  it('creates a ResNet-20 from the zoo and shows its layers', async () => {
    await page.getByTestId('create-resnet20').click();
    await waitFor('model-row');
    await page.getByTestId('model-panel').waitFor();
    await waitFor('layer-table');
    assert.ok(await page.getByTestId('layer-table').locator('tbody tr').count() > 10);
    await noBanner();
  });

  it('trains one epoch with live curves', async () => {
    await page.getByTestId('tab-train').click();
    await page.getByTestId('opt-epochs').fill('1');
    await page.getByTestId('opt-batch').fill('16');
    await page.getByTestId('train-start').click();
    await waitFor('train-result');
    await page.getByTestId('training-curves').waitFor();
    // the run stays on its page: the Train tab, its curves and the new version's auto-evaluated top-1
    assert.equal(await page.getByTestId('tab-train').getAttribute('aria-selected'), 'true');
    assert.match(await page.getByTestId('train-top1').textContent(), /%/);
    await noBanner();
  });

  it('analyses with L1 and shows score distributions', async () => {
    await page.getByTestId('nav-analyse').click();
    await page.getByTestId('criterion-l1').check();
    await page.getByTestId('analyse-start').click();
    await waitFor('analysis-result');
    assert.ok(await page.getByTestId('score-group').count() > 3);
    await noBanner();
  });

  it('after a reload the analysis, the run\'s curves and its top-1 are still there', async () => {
    await page.reload();
    await page.waitForFunction(() => typeof window.studio === 'object');
    await page.getByTestId('nav-prune').click();
    await waitFor('prune-scores');
    assert.equal(await page.getByText('No importance scores for this model yet').count(), 0);
    assert.match(await page.getByTestId('prune-scores').textContent(), /L1/);
    await page.getByTestId('nav-model').click();
    await page.getByTestId('tab-train').click();
    await waitFor('train-result');
    await page.getByTestId('training-curves').waitFor();
    assert.match(await page.getByTestId('train-top1').textContent(), /%/);
    await noBanner();
  });

  it('previews a plan and prunes, selecting the smaller model', async () => {
    await page.getByTestId('nav-prune').click();
    // a speed-up target measures this device's per-layer latency table first, then plans from it
    await page.getByTestId('prune-metric').selectOption('speedup');
    await page.getByTestId('prune-speedup').fill('1.3');
    await page.getByTestId('plan-latency').filter({ hasText: /Estimated batch-1 time on (wasm|webgl|webgpu|cpu).* ms → [\d.]+ ms \(×\d+\.\d\d/ }).waitFor(LONG);
    await page.getByTestId('prune-metric').selectOption('macs');
    await page.getByTestId('prune-target').fill('40');
    await waitFor('plan-preview');
    await waitFor('plan-latency'); // the session's table: a MACs plan states its estimated time too
    await page.getByTestId('plan-bars').waitFor();
    await page.getByTestId('prune-start').click();
    await waitFor('prune-result');
    await page.screenshot({ path: '/tmp/ui-flow-prune.png', fullPage: true });
    const models = await page.evaluate(() => window.studio.models());
    const pruned = models.reduce((a, b) => (b.createdAt > a.createdAt ? b : a));
    assert.ok(pruned.parentId, 'the newest model is derived from another');
    assert.ok(pruned.macs < models.find((m) => m.id === pruned.parentId).macs, 'fewer MACs than its parent');
    assert.ok((await page.getByTestId('prune-result').textContent()).includes(pruned.name), 'the result names the new model');
    assert.equal(await page.evaluate(() => localStorage.getItem('pruning-studio.selectedModel')), pruned.id);
    // recovered by default from the selected dataset: top-1 before → after recovery and the per-layer error chart
    assert.equal(pruned.recover?.method, 'reconstruct', 'the pruned version was reconstructed');
    assert.ok(pruned.recover.layers.length > 0 && pruned.recover.layers.every((l) => l.errorAfter <= l.errorBefore), 'every solved layer matches its original at least as well as after surgery');
    assert.ok(pruned.pruning?.from === pruned.parentId, 'the version records what was removed from its parent');
    await waitFor('top1-before-recover');
    await waitFor('recover-error-bars');
    // the pipeline offers the deploy version right after pruning
    await page.getByTestId('optimize-after').click();
    await page.getByTestId('optimize-after-note').filter({ hasText: /BatchNorms folded.*logits within/ }).waitFor(LONG);
    const optimised = (await page.evaluate(() => window.studio.models())).find((m) => m.optimizedFrom === pruned.id);
    assert.ok(optimised, 'an optimised version of the pruned model was stored');
    await noBanner();
  });

  it('fine-tunes the pruned model with its original as teacher', async () => {
    await page.getByTestId('nav-finetune').click();
    await page.getByTestId('opt-epochs').fill('1');
    await page.getByTestId('opt-batch').fill('16');
    await page.getByTestId('opt-images').fill('40');
    // The training run before measured this device's speed: the form estimates the duration before Start.
    await page.getByTestId('train-estimate').filter({ hasText: /Estimated ≈ .* img\/s measured on this device/ }).waitFor();
    await page.getByTestId('finetune-start').click();
    await waitFor('finetune-result');
    await waitFor('finetune-top1'); // the new version was evaluated on its own
    const models = await page.evaluate(() => window.studio.models());
    const tuned = models.reduce((x, y) => (y.createdAt > x.createdAt ? y : x));
    assert.match(tuned.lineage.join(' | '), /40 images of/, 'the fine-tune used the image budget');
    await noBanner();
  });

  it('compares versions in the report table', async () => {
    await page.getByTestId('nav-deploy').click();
    await waitFor('report-table');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="report-row"]').length >= 3, null, LONG);
    await page.screenshot({ path: '/tmp/ui-flow-deploy.png', fullPage: true });
    // every version the pipeline made (trained, pruned, fine-tuned) was evaluated automatically: a top-1 in Compare
    const rows = await page.evaluate(() => window.studio.report());
    const derived = rows.filter((r) => r.parentId);
    assert.ok(derived.length >= 3, `${derived.length} derived versions`);
    assert.deepEqual(derived.filter((r) => typeof r.top1 !== 'number').map((r) => r.name), [], 'every derived version has a top-1');
    await noBanner();
    assert.deepEqual(errors, []);
  });

  it('with data in every step, a 360 px wide viewport has no horizontal overflow', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    for (const id of ['data', 'model', 'analyse', 'prune', 'finetune', 'deploy']) {
      await page.getByTestId(`nav-${id}`).click();
      await page.getByTestId(`step-${id}`).waitFor();
      await page.waitForTimeout(300);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      await page.screenshot({ path: `/tmp/ui-phone-full-${id}.png`, fullPage: true });
      assert.ok(width <= 360, `step ${id}: scrollWidth ${width} > 360`);
    }
  });
});
