/** Data step: the demo dataset button creates a 10-class dataset that shows in the list and can be viewed. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStudio, startStudio } from './browser.mjs';

describe('UI data step (built app)', () => {
  let env;
  before(async () => { env = await startStudio(); });
  after(async () => { await env?.close(); });

  it('"Create demo dataset" adds a 10-class dataset row, selects it and shows samples', async () => {
    const { page, context, errors } = await openStudio(env.browser, env.url, { viewport: { width: 1100, height: 900 } });
    await page.goto(`${env.url}#/data`);
    await page.getByTestId('demo-dataset').click();
    const row = page.getByTestId('dataset-row').first();
    await row.waitFor({ timeout: 120_000 });
    assert.equal((await row.getByTestId('dataset-classes').textContent()).trim(), '10');
    // The new dataset becomes the global selection and its view shows a sample grid on canvases.
    await page.getByTestId('dataset-view').waitFor();
    await page.getByTestId('sample-grid').locator('canvas').first().waitFor({ timeout: 60_000 });
    const selected = await page.evaluate(() => localStorage.getItem('pruning-studio.selectedDataset'));
    assert.equal(selected, await row.getAttribute('data-id'));
    await page.screenshot({ path: '/tmp/ui-data-demo.png', fullPage: true });
    assert.equal(await page.getByTestId('error-banner').count(), 0);
    // Delete needs a second click to confirm.
    await row.getByTestId('dataset-delete').click();
    assert.equal(await page.getByTestId('dataset-row').count(), 1);
    await row.getByTestId('dataset-delete').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="dataset-row"]').length === 0);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
