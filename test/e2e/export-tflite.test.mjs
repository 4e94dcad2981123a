/**
 * .tflite and .onnx export verified by their runtimes in the studio's worker (headless Chromium, cross-origin
 * isolated, offline runtime files): the akamaster ResNet-20 is imported, exported, run in LiteRT.js and in
 * onnxruntime-web on test images and compared with the tfjs model; a pruned version of it too; every zoo
 * architecture's .onnx runs in onnxruntime-web; the service worker precaches LiteRT's and ORT's wasm.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { importResnet20ThroughUi, openStudio, requireShared, startStudio } from './browser.mjs';

describe('.tflite / .onnx export in LiteRT.js / onnxruntime-web', () => {
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
      // .onnx of the same two versions in onnxruntime-web (both input layouts for the original)
      const onnx = await s.exportOnnx(m.id);
      const ov = await s.verifyOnnx(m.id, onnx, ds.id, { images: 100 });
      const onnxNchw = await s.exportOnnx(m.id, { layout: 'nchw' });
      const ovNchw = await s.verifyOnnx(m.id, onnxNchw, ds.id, { images: 20 });
      const ponnx = await s.exportOnnx(p.model.id);
      const pov = await s.verifyOnnx(p.model.id, ponnx, ds.id, { images: 50 });
      const olat = await s.benchmarkOnnx(ponnx, { warmup: 2, runs: 5, minTimeMs: 100 });
      const badLayout = await s.exportOnnx(m.id, { layout: 'nwhc' }).then(() => null, (e) => e.code);
      const onnxHead = Array.from(new Uint8Array(await onnx.slice(0, 2).arrayBuffer()));
      // every zoo architecture (random weights, 32 px) exports and agrees in onnxruntime-web
      const zoo = {};
      for (const arch of ['vgg16', 'resnet20', 'resnet32', 'resnet44', 'resnet56', 'resnet110', 'densenet40', 'mobilenetv2']) {
        const zm = await s.createModel(arch, { datasetId: ds.id, seed: 3 });
        const zf = await s.exportOnnx(zm.id);
        const zv = await s.verifyOnnx(zm.id, zf, ds.id, { images: 5 });
        zoo[arch] = { maxAbsDiff: zv.maxAbsDiff, maxRelDiff: zv.maxRelDiff, maxAbsLogit: zv.maxAbsLogit, top1Agreement: zv.top1Agreement, ok: zv.ok, bytes: zf.size };
        await s.deleteModel(zm.id);
      }
      // runtimes as benchmark columns, and the interleaved A/B in them
      const rb = await s.benchmark(p.model.id, { backends: ['wasm'], runtimes: ['litert-wasm', 'ort-wasm'], warmup: 2, runs: 5, minTimeMs: 100 });
      const rbRow = (await s.report([p.model.id]))[0];
      const rp = await s.benchmarkPair(m.id, p.model.id, { runtimes: ['litert-wasm', 'ort-wasm'], warmup: 2, pairs: 6, minTimeMs: 100 });
      const badRuntime = await s.benchmark(p.model.id, { backends: [], runtimes: ['tvm'] }).then(() => null, (e) => e.code);
      const ortCached = await caches.keys().then(async (keys) => {
        for (const k of keys) for (const req of await (await caches.open(k)).keys()) if (/ort-wasm-simd-threaded.*\.wasm/.test(req.url)) return true;
        return false;
      });
      const cached = await caches.keys().then(async (keys) => {
        for (const k of keys) for (const req of await (await caches.open(k)).keys()) if (/litert_wasm_internal.*\.wasm/.test(req.url)) return true;
        return false;
      });
      return { lat, size: file.size, head, exportMs, v, pv, psize: pf.size, f16size: f16.size, v16, bad, cached, ov, ovNchw, pov, olat, badLayout, onnxHead, onnxSize: onnx.size, ponnxSize: ponnx.size, zoo, ortCached, rb, rbKeys: Object.keys(rbRow.latency ?? {}), rp, badRuntime };
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
    // .onnx: a protobuf starting with ir_version (field 1, varint), ORT within 1e-4 of tfjs (absolute; logits ~10,
    // so relative 1e-5), identical top-1, on the original and the pruned ResNet-20; both layouts. Untrained zoo
    // models: within 1e-4 of the largest logit (a random ResNet-110's reach 1e5).
    assert.deepEqual(r.onnxHead, [0x08, 8]);
    for (const v of [r.ov, r.ovNchw, r.pov]) {
      assert.equal(v.runtime, 'ort-wasm');
      assert.ok(v.maxAbsDiff <= 1e-4, `ORT max |Δlogit| ${v.maxAbsDiff}`);
      assert.equal(v.top1Agreement, 1);
      assert.equal(v.ok, true);
    }
    assert.equal(r.ov.images, 100);
    assert.ok(r.ponnxSize < r.onnxSize, 'the pruned .onnx is smaller');
    assert.ok(r.olat.medianMs > 0 && r.olat.runs >= 5, JSON.stringify(r.olat));
    assert.equal(r.badLayout, 'bad-input');
    for (const [arch, z] of Object.entries(r.zoo)) assert.ok(z.ok && z.top1Agreement === 1 && z.maxRelDiff <= 1e-4, `${arch}: ${JSON.stringify(z)}`);
    assert.equal(Object.keys(r.zoo).length, 8);
    assert.equal(r.ortCached, true, 'ORT wasm precached by the service worker');
    for (const k of ['wasm', 'litert-wasm', 'ort-wasm']) {
      assert.ok(r.rb[k]?.medianMs > 0 && r.rb[k].runs >= 5, `${k}: ${JSON.stringify(r.rb[k])}`);
      assert.ok(r.rbKeys.includes(k), `report latency has ${k}: ${r.rbKeys}`);
    }
    assert.equal(r.rb['litert-wasm'].threads, 1);
    for (const k of ['litert-wasm', 'ort-wasm']) {
      assert.equal(r.rp[k]?.backend, k, JSON.stringify(r.rp[k]));
      assert.ok(r.rp[k].pairs >= 6 && r.rp[k].ratio.low <= r.rp[k].ratio.median && r.rp[k].ratio.median <= r.rp[k].ratio.high, JSON.stringify(r.rp[k]));
    }
    assert.equal(r.badRuntime, 'bad-input');

    // The Deploy step's button exports, verifies in LiteRT.js and says so.
    await page.goto(env.url + '#/deploy');
    await page.reload(); // the catalog (datasets made through window.studio above) is read at start-up
    await page.waitForFunction(() => typeof window.studio === 'object');
    await page.getByTestId('tflite-export').click();
    await page.getByTestId('tflite-verdict').waitFor({ timeout: 60_000 }).catch(async (e) => { console.log('APP-EXPORT:', JSON.stringify(await page.getByTestId('app-export-card').textContent().catch(() => 'none')), await page.locator('body').textContent().then((t) => t.slice(0, 600))); throw e; });
    assert.equal((await page.getByTestId('tflite-verdict').textContent()).trim(), 'verified');
    assert.match(await page.getByTestId('tflite-result').textContent(), /max \|Δlogit\| \d\.\de-\d+, top-1 agreement 100/);
    await page.getByTestId('onnx-export').click();
    await page.getByTestId('onnx-verdict').waitFor({ timeout: 60_000 });
    assert.equal((await page.getByTestId('onnx-verdict').textContent()).trim(), 'verified');
    assert.match(await page.getByTestId('onnx-result').textContent(), /opset 17, NHWC input\.[\s\S]*onnxruntime-web on \d+ test images: max \|Δlogit\| \d\.\de-\d+, top-1 agreement 100/);
    assert.deepEqual(errors.filter((e) => !/favicon/.test(e)), []);
    await context.close();
  });
});
