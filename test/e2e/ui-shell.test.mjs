/** UI shell: renders, every step reachable from the nav, status bar shows the backend, no overflow on a 360 px phone. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStudio, startStudio } from './browser.mjs';

const STEPS = ['data', 'model', 'analyse', 'prune', 'finetune', 'deploy'];

describe('UI shell (built app)', () => {
  let env;
  before(async () => { env = await startStudio(); });
  after(async () => { await env?.close(); });

  it('renders header, nav and status bar; each step is reachable; backend panel opens', async () => {
    const { page, context, errors } = await openStudio(env.browser, env.url, { viewport: { width: 1200, height: 800 } });
    await page.getByTestId('step-nav').waitFor();
    assert.match(await page.getByTestId('app-version').textContent(), /0\.1\.0/);
    for (const id of STEPS) {
      await page.getByTestId(`nav-${id}`).click();
      await page.getByTestId(`step-${id}`).waitFor();
      assert.equal(new URL(page.url()).hash, `#/${id}`);
      await page.screenshot({ path: `/tmp/ui-desktop-${id}.png`, fullPage: true });
    }
    // Active backend appears once probing is done.
    await page.waitForFunction(() => {
      const t = document.querySelector('[data-testid="active-backend"]')?.textContent ?? '';
      return /webgpu|webgl|wasm|cpu/.test(t);
    }, null, { timeout: 60_000 });
    const active = (await page.evaluate(() => window.studio.backends())).find((b) => b.active).name;
    assert.match(await page.getByTestId('active-backend').textContent(), new RegExp(active));
    await page.getByTestId('active-backend').click();
    await page.getByTestId('backend-panel').waitFor();
    assert.ok(await page.getByTestId('backend-wasm').isVisible());
    await page.screenshot({ path: '/tmp/ui-desktop-backends.png' });
    // On a software GPU adapter the status bar says a faster backend exists and switches to it in one click.
    const list = await page.evaluate(() => window.studio.backends());
    const webgl = list.find((b) => b.name === 'webgl');
    if (webgl?.available && webgl.softwareAdapter && list.find((b) => b.defaultReason)?.name === 'wasm') {
      await page.getByTestId('use-webgl').click();
      await page.getByTestId('backend-hint').waitFor({ timeout: 60_000 });
      assert.match(await page.getByTestId('backend-hint').textContent(), /wasm (is|trains) .*faster than software webgl/);
      await page.getByTestId('backend-hint-switch').click();
      await page.waitForFunction(() => /wasm/.test(document.querySelector('[data-testid="active-backend"]')?.textContent ?? ''), null, { timeout: 60_000 });
      assert.equal(await page.getByTestId('backend-hint').count(), 0);
    }
    // Routing by hash (reload on a deep link).
    await page.goto(`${env.url}#/prune`);
    await page.getByTestId('step-prune').waitFor();
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('has no horizontal overflow on a 360×740 touch phone', async () => {
    const { page, context } = await openStudio(env.browser, env.url, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await page.getByTestId('step-nav').waitFor();
    for (const id of STEPS) {
      await page.getByTestId(`nav-${id}`).tap();
      await page.getByTestId(`step-${id}`).waitFor();
      await page.waitForTimeout(150);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 360, `step ${id}: scrollWidth ${width} > 360`);
      await page.screenshot({ path: `/tmp/ui-phone-${id}.png`, fullPage: true });
    }
    await context.close();
  });
});
