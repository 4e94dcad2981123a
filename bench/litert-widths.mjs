#!/usr/bin/env node
/**
 * Side experiment (not a bench section): does LiteRT.js's slowdown on pruned ResNets come from the channel widths?
 * Times the akamaster ResNet-56 against L1 −50 % MACs versions, interleaved per runtime with studio.benchmarkPair:
 * 'inner' scope (one ratio) with widths unrounded and rounded to 8, unrounded and reconstructed, and the default
 * error-allocated plan reconstructed (studio.prune's default) and without recovery.
 * Usage: npm run build && node bench/litert-widths.mjs [out.json]
 * Results: bench/results/experiments/ (not read by bench/report.mjs); findings in docs/deploy.md, "Runtimes".
 */
import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadBetween, loadSnapshot } from './lib/cells.mjs';
import { requireShared } from '../test/e2e/browser.mjs';
import { StudioSession } from './lib/session.mjs';
import { buildSubset } from './lib/subset.mjs';

const shared = requireShared();
const subset = buildSubset(shared, { train: 4000, test: 200 });
const session = new StudioSession({ dist: 'dist', shared, benchData: subset.dir, log: console.log });
await session.start();
const snap = loadSnapshot();
try {
  await session.setBackend('wasm');
  const m = await session.akamaster(56);
  const sub = (await session.subset(subset.file)).summary;
  const out = await session.call(async (s, a) => {
    const analysis = await s.analyze(a.m, null, { criterion: 'l1' });
    const widths = (plan) => [...new Set(Object.values(plan.keep).map((k) => k.length))].sort((x, y) => x - y);
    const pair = (id) => s.benchmarkPair(a.m, id, { backends: ['wasm'], runtimes: ['litert-wasm', 'ort-wasm'], warmup: 20, pairs: 60, minTimeMs: 3000 });
    const rows = {};
    const inner = await s.plan(a.m, analysis, { target: { macs: 0.5 }, scope: 'inner', roundTo: 1 });
    const inner8 = await s.plan(a.m, analysis, { target: { macs: 0.5 }, scope: 'inner', roundTo: 8 });
    // the inner plan with and without reconstruction separates the widths from what reconstruction writes into the layers
    for (const [key, plan, o] of [
      ['inner, unrounded', inner, { recover: 'none' }],
      ['inner, rounded to 8', inner8, { recover: 'none' }],
      ['inner, unrounded, reconstructed', inner, { recover: 'reconstruct', datasetId: a.d, calibrationImages: 512 }],
    ]) {
      const pm = await s.pruneModel(a.m, plan, o);
      rows[key] = { macs: pm.macs, widths: widths(plan), pair: await pair(pm.id) };
      await s.deleteModel(pm.id);
    }
    const p = await s.prune(a.m, a.d, { criterion: 'l1', target: { macs: 0.5 }, calibrationImages: 512, evaluate: false });
    rows['error-allocated (default: reconstructed)'] = { macs: p.model.macs, widths: widths(p.plan), pair: await pair(p.model.id) };
    const en = await s.pruneModel(a.m, p.plan, { recover: 'none' });
    rows['error-allocated plan, no recovery'] = { macs: en.macs, widths: widths(p.plan), pair: await pair(en.id) };
    return rows;
  }, { m: m.id, d: sub.id });
  const commit = execSync('git rev-parse HEAD').toString().trim();
  const result = { at: new Date().toISOString(), commit, browser: session.browser.version(), load: loadBetween(snap, loadSnapshot()), rows: out };
  for (const [k, r] of Object.entries(out)) {
    console.log(`${k}: MACs ${(r.macs / 1e6).toFixed(2)}M, widths ${r.widths.join(',')}`);
    for (const rt of ['wasm', 'litert-wasm', 'ort-wasm']) { const v = r.pair[rt]; console.log(`  ${rt}: ${v.a.medianMs.toFixed(2)} → ${v.b.medianMs.toFixed(2)} ms, ×${v.ratio.median.toFixed(2)} (${v.ratio.low.toFixed(2)}–${v.ratio.high.toFixed(2)})`); }
  }
  console.log(JSON.stringify(result.load));
  if (process.argv[2]) writeFileSync(process.argv[2], `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await session.close();
}
