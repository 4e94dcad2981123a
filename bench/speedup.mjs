/**
 * Speed-up measurement (not a test): in headless Chromium through window.studio, akamaster ResNet-20/56 original vs
 * deploy-optimised vs pruned (L1, −50 % MACs; latency does not depend on the weights' values) vs pruned + optimised,
 * each pair timed interleaved with studio.benchmarkPair on the default backend, plus the time of studio.evaluate on
 * CIFAR-10 test 0–999 on the default backend. Prints one JSON object. Usage: npm run build && node bench/speedup.mjs
 */
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { launch, openStudio, requireShared } from '../test/e2e/browser.mjs';
import { serve } from '../test/e2e/serve.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const depths = (args.find((a) => a.startsWith('--depths='))?.slice(9) ?? '20,56').split(',').map(Number);
const minTimeMs = Number(args.find((a) => a.startsWith('--min-time='))?.slice(11) ?? 6000);

const shared = requireShared();
const server = await serve({ dir: resolve(ROOT, 'dist'), extra: { '/shared/': shared } });
const browser = await launch();
const out = { at: new Date().toISOString(), loadavgBefore: os.loadavg(), cpus: os.cpus().length, results: {} };
try {
  const { page } = await openStudio(browser, server.url);
  page.setDefaultTimeout(0);
  out.backends = await page.evaluate(() => window.studio.backends());
  out.defaultBackend = out.backends.find((b) => b.active)?.name;
  const ds = await page.evaluate(() => window.studio.importDataset('/shared/data/cifar-10-binary.tar.gz'));
  for (const depth of depths) {
    const r = await page.evaluate(async ({ depth, ds, minTimeMs }) => {
      const s = window.studio;
      const m = await s.importModel(`/shared/models/akamaster-tfjs/resnet${depth}/model.json`);
      const t0 = performance.now();
      const ev = await s.evaluate(m.id, ds, { split: 'test', start: 0, end: 1000 });
      const evalMs = performance.now() - t0;
      const o = await s.optimize(m.id, { datasetId: ds });
      const p = await s.prune(m.id, null, { criterion: 'l1', target: { macs: 0.5 } });
      const po = await s.optimize(p.model.id, { datasetId: ds });
      const pair = (a, b) => s.benchmarkPair(a, b, { minTimeMs, pairs: 100, warmup: 20 });
      const cut = (x) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, 'error' in v ? v : { pairs: v.pairs, threads: v.threads, aMedianMs: v.a.medianMs, aP90Ms: v.a.p90Ms, aMinMs: v.a.minMs, bMedianMs: v.b.medianMs, bP90Ms: v.b.p90Ms, bMinMs: v.b.minMs, ratio: v.ratio, verdict: v.verdict, load: v.load }]));
      return {
        top1: ev.top1, evalMs, macs: { original: m.macs, pruned: p.model.macs, ratio: m.macs / p.model.macs },
        optimize: { maxRelDiff: o.maxRelDiff, layers: [o.report.layersBefore, o.report.layersAfter], prunedMaxRelDiff: po.maxRelDiff },
        originalVsOptimised: cut(await pair(m.id, o.model.id)),
        originalVsPruned: cut(await pair(m.id, p.model.id)),
        originalVsPrunedOptimised: cut(await pair(m.id, po.model.id)),
        optimisedVsPrunedOptimised: cut(await pair(o.model.id, po.model.id)),
      };
    }, { depth, ds: ds.id, minTimeMs });
    out.results[`resnet${depth}`] = r;
    console.error(`resnet${depth} done`);
  }
} finally {
  out.loadavgAfter = os.loadavg();
  await browser.close();
  await server.close();
}
console.log(JSON.stringify(out, null, 1));
