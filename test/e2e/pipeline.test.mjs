/**
 * The whole pipeline through `window.studio` in the built app: demo data → zoo model → train (WASM, with the
 * project's training kernels) → evaluate → analyse → plan → prune → fine-tune with distillation → benchmark →
 * report → export/re-import; and a training run that survives a page reload and resumes from its checkpoint.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStudio, startStudio } from './browser.mjs';

describe('pipeline through window.studio', () => {
  let env;
  before(async () => { env = await startStudio(); });
  after(async () => { await env?.close(); });

  it('runs data → model → train → analyse → prune → fine-tune → benchmark → report', async () => {
    const { page, context } = await openStudio(env.browser, env.url);
    const r = await page.evaluate(async () => {
      const s = window.studio;
      await s.setBackend('wasm');
      const ds = await s.createDemoDataset({ trainPerClass: 40, testPerClass: 10, seed: 3 });
      const base = await s.createModel('resnet20', { datasetId: ds.id, seed: 1 });
      const progress = [];
      const trained = await s.train(base.id, ds.id, { epochs: 1, batchSize: 32, lr: 0.05, validateLimit: 50, backend: 'current' }, (p) => progress.push(p));
      const ev = await s.evaluate(trained.model.id, ds.id, { split: 'test' });
      const groups = await s.dependencyGroups(trained.model.id);
      const analysis = await s.analyze(trained.model.id, ds.id, { criterion: 'hrank', batches: 1, batchSize: 32 });
      const plan = await s.plan(trained.model.id, analysis, { target: { macs: 0.5 }, scope: 'uniform' });
      const pruned = await s.pruneModel(trained.model.id, plan);
      const ft = await s.fineTune(pruned.id, ds.id, { epochs: 1, batchSize: 32, lr: 0.01, teacherId: trained.model.id, temperature: 4, alpha: 0.5, validateLimit: 50, backend: 'current' });
      const bench = await s.benchmark(ft.model.id, { backends: ['wasm'], warmup: 2, runs: 5, minTimeMs: 100 });
      const report = await s.report([base.id, trained.model.id, pruned.id, ft.model.id]);
      const zip = await s.exportModel(ft.model.id);
      const back = await s.importModel(new File([zip], 'pruned.zip'));
      const originalUntouched = await s.modelInfo(trained.model.id);
      return { ds, trained, ev, groups, analysis, plan, pruned, ft, bench, report, zipSize: zip.size, back, progressCount: progress.length, lastProgress: progress.at(-1), originalUntouched };
    });
    assert.equal(r.ds.classes.length, 10);
    assert.deepEqual(r.ds.counts, { train: 400, test: 100 });
    assert.equal(r.trained.history.length, 1);
    assert.ok(Number.isFinite(r.trained.history[0].loss));
    // progress arrived, and the last event either carries an ETA or says the job is done
    assert.ok(r.progressCount > 0, 'training reported progress');
    assert.ok(r.lastProgress.etaMs !== undefined || r.lastProgress.fraction === 1, JSON.stringify(r.lastProgress));
    assert.equal(r.ev.count, 100);
    assert.ok(r.groups.some((g) => g.prunable) && r.groups.some((g) => !g.prunable));
    assert.equal(r.analysis.criterion, 'hrank');
    for (const g of r.analysis.groups) assert.equal(g.scores.length, g.channels);
    // HRank statistics ran on the engine worker's pool of statistics workers (one per core)
    assert.ok(r.analysis.workers >= 2, `statistics workers: ${r.analysis.workers}`);
    assert.ok(Math.abs(r.plan.macs / r.plan.baseMacs - 0.5) <= 0.01, `plan MACs ratio ${r.plan.macs / r.plan.baseMacs}`);
    assert.equal(r.pruned.macs, r.plan.macs);
    assert.ok(r.pruned.params < r.trained.model.params);
    assert.equal(r.ft.history.length, 1);
    assert.equal(r.ft.model.macs, r.pruned.macs);
    assert.ok(r.bench.wasm.medianMs > 0 && r.bench.wasm.runs >= 5, JSON.stringify(r.bench));
    assert.equal(r.report.length, 4);
    const ftRow = r.report[3];
    assert.equal(ftRow.flops, 2 * ftRow.macs);
    assert.ok(ftRow.latency.wasm.medianMs > 0);
    assert.equal(r.back.macs, r.ft.model.macs);
    assert.equal(r.back.params, r.ft.model.params);
    assert.equal(r.originalUntouched.macs, r.trained.model.macs, 'the original model is never modified');
    await context.close();
  });

  it('resumes a training run after the page is reloaded mid-run', async () => {
    const { page, context } = await openStudio(env.browser, env.url);
    const { runId, dsId, modelId } = await page.evaluate(async () => {
      const s = window.studio;
      await s.setBackend('wasm');
      const ds = await s.createDemoDataset({ trainPerClass: 20, testPerClass: 5, seed: 5 });
      const m = await s.createModel('resnet20', { datasetId: ds.id, seed: 2 });
      // Six epochs: the reload comes right after the first epoch's checkpoint, with five to spare, so a fast machine
      // cannot finish the run first; the wait is bounded (a run that never checkpoints fails here, not by timeout).
      void s.train(m.id, ds.id, { epochs: 6, batchSize: 50, lr: 0.05, validateLimit: 0, backend: 'wasm' }).catch(() => undefined);
      const until = Date.now() + 120_000;
      while (Date.now() < until) {
        const runs = await s.runs();
        const run = runs.find((x) => x.modelId === m.id);
        if (run && run.epochsDone >= 1) return { runId: run.runId, dsId: ds.id, modelId: m.id };
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('no checkpoint within 120 s');
    });
    await page.reload();
    await page.waitForFunction(() => typeof window.studio === 'object');
    const before = await page.evaluate(async (id) => {
      const s = window.studio;
      // The old page's worker holds the run's lock until the browser has torn it down: until then the run shows as
      // running elsewhere. Wait (bounded) for that before reading its status.
      let run = (await s.runs()).find((x) => x.runId === id);
      for (let i = 0; i < 60 && run?.status === 'running'; i++) {
        await new Promise((r) => setTimeout(r, 250));
        run = (await s.runs()).find((x) => x.runId === id);
      }
      await s.setBackend('wasm');
      return run;
    }, runId);
    assert.equal(before.status, 'interrupted');
    assert.ok(before.epochsDone >= 1 && before.epochsDone < 6, `stopped at epoch ${before.epochsDone} of 6`);
    // The banner at the top of the page offers the interrupted run; Resume continues it there.
    const offer = page.getByTestId('resume-run').first();
    await offer.waitFor({ timeout: 60_000 });
    assert.match(await offer.textContent(), /Training of .* stopped at epoch \d\/6/);
    await page.getByTestId('resume-run-start').first().click();
    await page.getByTestId('resume-finished').waitFor({ timeout: 180_000 });
    const result = await page.evaluate(async (id) => {
      const s = window.studio;
      const after = (await s.runs()).find((x) => x.runId === id);
      const model = (await s.models()).find((m) => m.id === after.resultModelId);
      return { after, model };
    }, runId);
    assert.deepEqual(result.after.history.map((h) => h.epoch), [1, 2, 3, 4, 5, 6], 'the resumed run continues the same history');
    assert.equal(result.after.status, 'done');
    assert.equal(result.model.parentId, modelId);
    assert.ok(result.after.evaluation?.count > 0, 'the resumed run\'s version was evaluated on test images');
    assert.equal(await page.getByTestId('resume-run').count(), 0, 'nothing left to resume');
    void dsId;
    await context.close();
  });
});
