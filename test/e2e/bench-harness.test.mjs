/**
 * CI's smoke test of `npm run bench` (the full bench takes about an hour and stays a manual command, see
 * docs/benchmarks.md): the real harness runs a few cheap cells on the built app in headless Chromium, writes its
 * results JSON, keeps cells it did not run when asked for more (--only), and the report renders from that file.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireShared } from './browser.mjs';
import { renderReport } from '../../bench/report.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('npm run bench (smoke)', () => {
  it('runs cells through window.studio, records them, and renders the report from the JSON', () => {
    requireShared();
    const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
    const out = join(dir, 'results.json');
    try {
      const run = (only) => execFileSync(process.execPath, ['bench/run.mjs', '--quick', '--only', only, '--out', out, '--no-report'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
      const log1 = run('^(env|wasm-threads)$');
      assert.match(log1, /2 ok, 0 failed/);
      const log2 = run('^surgery:resnet110$');
      assert.match(log2, /1 ok, 0 failed/);
      const data = JSON.parse(readFileSync(out, 'utf8'));
      // the second run kept the first run's cells
      assert.deepEqual(Object.keys(data.cells).sort(), ['env', 'surgery:resnet110', 'wasm-threads']);
      for (const c of Object.values(data.cells)) assert.equal(c.status, 'ok');
      assert.equal(data.mode, 'quick');
      assert.ok(data.cells.env.result.crossOriginIsolated, 'the bench page is cross-origin isolated');
      assert.ok(data.cells['wasm-threads'].result.wasm.details.threads >= 2, JSON.stringify(data.cells['wasm-threads'].result.wasm));
      const s = data.cells['surgery:resnet110'].result;
      assert.ok(Math.abs(s.pruned.macs / s.original.macs - 0.5) <= 0.01, `MACs ratio ${s.pruned.macs / s.original.macs}`);
      assert.ok(s.latency.before.medianMs > 0 && s.latency.after.medianMs > 0);
      const md = renderReport(data, 'results.json');
      assert.match(md, /## 4\. WASM threads/);
      assert.match(md, /\| resnet110 \| 1\.73M → /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
