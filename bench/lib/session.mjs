/**
 * One headless Chromium (Debian's, through playwright-core; never downloaded) on the BUILT app, driven only
 * through `window.studio`. ../shared is served under /shared/ and the bench's temp files under /bench-data/.
 * `call(fn, arg)` runs `fn(studio, arg, progress)` in the page; studio errors come back with their `code`.
 * Datasets and models are imported lazily and cached per page, so any cell can run on its own (`--resume`).
 * If the page dies, `recover()` opens a fresh one (its storage is fresh too, so the caches are dropped).
 */
import { launch, openStudio } from '../../test/e2e/browser.mjs';
import { serve } from '../../test/e2e/serve.mjs';

export const AKAMASTER = (depth) => `/shared/models/akamaster-tfjs/resnet${depth}/model.json`;
export const CIFAR_URL = '/shared/data/cifar-10-binary.tar.gz';

export class StudioSession {
  constructor({ dist, shared, benchData, log }) {
    Object.assign(this, { dist, shared, benchData, log });
    this.cache = new Map();
  }

  async start() {
    this.server = await serve({ dir: this.dist, extra: { '/shared/': this.shared, '/bench-data/': this.benchData } });
    this.browser = await launch();
    await this.open();
  }

  async open() {
    const { context, page, errors } = await openStudio(this.browser, this.server.url);
    Object.assign(this, { context, page, errors });
    this.cache.clear();
    this.progressTag = '';
    this.lastProgress = 0;
    await page.exposeFunction('__benchProgress', (p) => {
      const now = Date.now();
      if (now - this.lastProgress < 15_000) return;
      this.lastProgress = now;
      const eta = p.etaMs != null ? `, ETA ${Math.round(p.etaMs / 1000)}s` : '';
      this.log?.(`${this.progressTag}${p.phase ?? ''} ${Math.round((p.fraction ?? 0) * 100)}%${eta}${p.message ? ` — ${p.message}` : ''}`);
    });
  }

  /** Runs `fn(studio, arg, onProgress)` in the page. `fn` must be self-contained (it is serialised). */
  call(fn, arg, log) {
    return this.callOn(this.page, fn, arg, log);
  }

  /**
   * Runs `body({page, call})` in a fresh browser context (its own worker, storage and per-session backend choice, as
   * a first visit), then closes it. `call(fn, arg, log)` is `call` on that page.
   */
  async inFreshPage(body, options) {
    const { context, page, errors } = await openStudio(this.browser, this.server.url, options);
    try {
      return await body({ page, errors, call: (fn, arg, log) => this.callOn(page, fn, arg, log) });
    } finally {
      await context.close().catch(() => undefined);
    }
  }

  async callOn(page, fn, arg, log) {
    this.lastProgress = Date.now();
    const prevLog = this.log;
    if (log) this.log = log;
    try {
      // A string expression: evaluated by the DevTools protocol, so the page's CSP (no eval) does not apply.
      const out = await page.evaluate(`(async () => {
        const f = (${fn.toString()});
        const arg = ${JSON.stringify(arg ?? null)};
        const onProgress = (p) => { if (window.__benchProgress) void window.__benchProgress({ phase: p.phase, fraction: p.fraction, etaMs: p.etaMs, message: p.message }); };
        try {
          return { ok: await f(window.studio, arg, onProgress) };
        } catch (e) {
          return { error: { message: e?.message ?? String(e), code: e?.code, name: e?.name } };
        }
      })()`);
      if (out.error) {
        const e = new Error(out.error.code ? `[${out.error.code}] ${out.error.message}` : out.error.message);
        e.code = out.error.code;
        throw e;
      }
      return out.ok;
    } finally {
      this.log = prevLog;
    }
  }

  /** Memoised per page: `key` → `make()`. */
  async once(key, make) {
    if (!this.cache.has(key)) this.cache.set(key, await make());
    return this.cache.get(key);
  }

  async setBackend(name) {
    return this.call((s, b) => s.setBackend(b), name);
  }

  /** The real CIFAR-10 tarball, imported from its URL. Returns {summary, ms}. */
  cifar(log) {
    return this.once('cifar', () => this.call(async (s, url, onProgress) => {
      const t = performance.now();
      const summary = await s.importDataset(url, {}, onProgress);
      return { summary, ms: performance.now() - t };
    }, CIFAR_URL, log));
  }

  /** The demo-size real-CIFAR subset zip (see subset.mjs). */
  subset(file, log) {
    return this.once(`subset:${file}`, () => this.call(async (s, url, onProgress) => {
      const t = performance.now();
      const summary = await s.importDataset(url, { name: 'CIFAR-10 subset (lossless)' }, onProgress);
      return { summary, ms: performance.now() - t };
    }, `/bench-data/${file}`, log));
  }

  /** An akamaster pretrained ResNet imported from its URL. */
  akamaster(depth) {
    return this.once(`akamaster:${depth}`, () => this.call((s, url) => s.importModel(url), AKAMASTER(depth)));
  }

  /** The shared CIFAR-10 VGG-16 (BatchNorm) TF.js model. */
  vgg16() {
    return this.once('vgg16', () => this.call((s, url) => s.importModel(url), '/shared/models/vgg16-tfjs/model.json'));
  }

  /** An untrained zoo model (latency needs no trained weights). */
  zoo(arch, seed) {
    return this.once(`zoo:${arch}`, () => this.call((s, a) => s.createModel(a.arch, { numClasses: 10, seed: a.seed, name: `${a.arch} (zoo, untrained)` }), { arch, seed }));
  }

  /**
   * After a cell: deletes the model versions and training runs it left behind (everything but the imported and cached
   * bases), so 66 cells fit the page's storage quota (an in-memory profile has a small one), and returns the page's
   * storage use then. Cells never share models except through `once`.
   */
  async tidy() {
    const keep = new Set();
    for (const v of this.cache.values()) for (const id of [v?.id, v?.summary?.id]) if (id) keep.add(id);
    return this.call(async (s, keepIds) => {
      const keepSet = new Set(keepIds);
      let models = 0;
      for (const m of await s.models()) if (!keepSet.has(m.id)) { await s.deleteModel(m.id); models++; }
      let runs = 0;
      for (const r of await s.runs()) { await s.deleteRun(r.runId); runs++; }
      const st = await s.storage();
      return { deletedModels: models, deletedRuns: runs, usageBytes: st.usage, quotaBytes: st.quota };
    }, [...keep]);
  }

  /** After a failed cell: cancel what runs; reopen the page if it no longer answers. */
  async recover() {
    try {
      await Promise.race([this.page.evaluate(() => window.studio.cancel()), new Promise((_, r) => setTimeout(() => r(new Error('no answer')), 10_000))]);
      await Promise.race([this.page.evaluate(() => window.studio.ping()), new Promise((_, r) => setTimeout(() => r(new Error('no answer')), 10_000))]);
    } catch {
      this.log?.('page does not answer: opening a fresh one');
      await this.reopen();
    }
  }

  /** Closes the page's browser context (its in-memory storage goes with it) and opens a fresh one; the cache is cleared. */
  async reopen() {
    await this.context?.close().catch(() => undefined);
    await this.open();
  }

  async close() {
    await this.browser?.close().catch(() => undefined);
    await this.server?.close().catch(() => undefined);
  }
}
