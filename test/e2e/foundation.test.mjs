import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStudio, startStudio } from './browser.mjs';

describe('foundation (built app in headless Chromium)', () => {
  let env;
  before(async () => { env = await startStudio(); });
  after(async () => { await env?.close(); });

  it('loads, is cross-origin isolated, and the engine worker answers', async () => {
    const { page, context, errors } = await openStudio(env.browser, env.url);
    assert.equal(await page.evaluate(() => window.crossOriginIsolated), true);
    assert.equal(await page.evaluate(() => window.studio.version), '0.1.0');
    const pong = await page.evaluate(() => window.studio.ping());
    assert.equal(pong.sum, 10);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('reports WebGPU and WASM available and runs a tiny op on each', async () => {
    const { page, context } = await openStudio(env.browser, env.url);
    const list = await page.evaluate(() => window.studio.backends());
    const by = Object.fromEntries(list.map((b) => [b.name, b]));
    assert.equal(by.webgpu.available, true, `webgpu: ${by.webgpu.reason}`);
    assert.equal(by.wasm.available, true, `wasm: ${by.wasm.reason}`);
    assert.equal(by.cpu.available, true);
    assert.equal(list.filter((b) => b.active).length, 1);
    // The default is measured, never a software GPU adapter: on a GPU-less machine (SwiftShader) it is wasm.
    const soft = (b) => /swiftshader|llvmpipe|software|lavapipe/i.test(Object.values(b.details ?? {}).join(' '));
    if ([by.webgpu, by.webgl].every((b) => !b.available || soft(b))) {
      const active = list.find((b) => b.active);
      assert.equal(active.name, 'wasm', JSON.stringify(list));
      assert.match(active.defaultReason, /^wasm: .*skipped \(software adapter\)/);
    }
    for (const name of ['webgpu', 'wasm']) {
      const after = await page.evaluate((n) => window.studio.setBackend(n), name);
      assert.equal(after.find((b) => b.active).name, name);
      const pong = await page.evaluate(() => window.studio.ping());
      assert.deepEqual(pong, { backend: name, sum: 10 });
    }
    const bad = await page.evaluate(() => window.studio.setBackend('nope').then(() => 'ok', (e) => `${e.code}: ${e.message}`));
    assert.match(bad, /^backend-unavailable: Backend "nope"/);
    await context.close();
  });

  it('uses WASM threads and SIMD when isolated', async () => {
    const { page, context } = await openStudio(env.browser, env.url);
    await page.evaluate(() => window.studio.setBackend('wasm'));
    const wasm = (await page.evaluate(() => window.studio.backends())).find((b) => b.name === 'wasm');
    assert.equal(wasm.details.simd, true);
    assert.equal(wasm.details.multithread, true);
    assert.ok(wasm.details.threads >= 2, `threads: ${wasm.details.threads}`);
    // batch-1 latency at 1 thread (a timing worker of its own) and at the engine's N threads, in one call
    const r = await page.evaluate(async () => {
      const s = window.studio;
      const a = await s.createModel('resnet20', { numClasses: 10, seed: 1, name: 'a' });
      const b = await s.createModel('resnet20', { numClasses: 10, seed: 2, name: 'b' });
      return s.benchmarkPair(a.id, b.id, { backends: ['wasm'], threads: [1, 2], warmup: 2, pairs: 6, minTimeMs: 0 });
    });
    assert.ok(!('error' in r.wasm), JSON.stringify(r.wasm));
    for (const t of [1, 2]) {
      const p = r.wasmThreads?.[t];
      assert.ok(p && !('error' in p), `threads ${t}: ${JSON.stringify(p)}`);
      assert.equal(p.threads, t, 'timed at the asked thread count');
      assert.ok(p.pairs >= 6 && p.a.medianMs > 0 && p.ratio.low <= p.ratio.high);
    }
    await context.close();
  });

  it('picks the fastest training backend by measuring, and says why', async () => {
    const { page, context } = await openStudio(env.browser, env.url);
    const r = await page.evaluate(() => window.studio.chooseTrainingBackend());
    const speeds = Object.entries(r.imagesPerSecond);
    assert.ok(speeds.length >= 2, JSON.stringify(r));
    const best = speeds.sort((a, b) => b[1] - a[1])[0][0];
    assert.equal(r.backend, best);
    assert.match(r.reason, new RegExp(`^${best} trains fastest here: [0-9.]+ img/s`));
    const active = (await page.evaluate(() => window.studio.backends())).find((b) => b.active).name;
    assert.equal(active, best);
    await context.close();
  });

  it('reloads and works offline after the first visit, also on a plain static host', async () => {
    const { serve } = await import('./serve.mjs');
    const plain = await serve({ plain: true });
    try {
      const { page, context } = await openStudio(env.browser, plain.url);
      // First visit on a header-less host: the service worker takes control and the page reloads once, isolated.
      await page.waitForFunction(() => window.crossOriginIsolated === true && typeof window.studio === 'object', null, { timeout: 60_000 });
      await page.evaluate(() => navigator.serviceWorker.ready);
      await context.setOffline(true);
      await page.reload();
      await page.waitForFunction(() => typeof window.studio === 'object', null, { timeout: 60_000 });
      assert.equal(await page.evaluate(() => window.crossOriginIsolated), true);
      const pong = await page.evaluate(() => window.studio.ping());
      assert.equal(pong.sum, 10);
      await context.close();
    } finally {
      await plain.close();
    }
  });
});
