/**
 * Worker-level fine-tuning and iterative pruning on the demo dataset (wasm backend with the project's training
 * kernels): fine-tuning recovers accuracy lost to pruning, distillation runs, an iterative schedule meets its MACs
 * target and keeps every version, and resuming an interrupted fine-tune continues the same run.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type WorkerContext } from '../../../src/api/worker/context';
import { saveDataset } from '../../../src/api/worker/datasets';
import { pruneIteratively } from '../../../src/api/worker/iterative';
import { loadModel, modelRecord, saveModel } from '../../../src/api/worker/models';
import { prune, quickEval } from '../../../src/api/worker/pruning';
import { resumeRun, startRun } from '../../../src/api/worker/training';
import { JobRegistry, type JobControl } from '../../../src/api/jobs';
import { makeDemoDataset } from '../../../src/engine/data/demo';
import { registerWasmTrainingKernels } from '../../../src/engine/kernels/wasm/register';
import { smallCnn } from '../../helpers/small-cnn';
import { memoryKeyValue } from '../../../src/engine/storage/kv';
import { initWasmForNode } from '../../helpers/wasm';

let ctx: WorkerContext;
let datasetId: string;
let trainedId: string;
const jobs = new JobRegistry();
const asJob = <T>(fn: (j: { job: JobControl }) => Promise<T>) => jobs.run(undefined, (job) => fn({ job }));
let previous: string;

beforeAll(async () => {
  previous = tf.getBackend();
  await initWasmForNode();
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  ctx = createContext(memoryKeyValue());
  const ds = makeDemoDataset({ trainPerClass: 150, testPerClass: 30, seed: 4 });
  datasetId = (await saveDataset(ctx, ds)).id;
  const base = await saveModel(ctx, smallCnn(ds.info.classes), { name: 'cnn' });
  const trained = await asJob((j) => startRun(ctx, 'train', base.id, datasetId, { epochs: 6, lr: 0.05, batchSize: 50, validateLimit: 0, backend: 'current', augment: false }, j));
  trainedId = trained.model.id;
}, 600_000);

afterAll(async () => {
  await tf.setBackend(previous);
});

describe('fine-tuning after pruning', () => {
  it('recovers accuracy lost to pruning, with and without distillation', async () => {
    const before = await quickEval(ctx, trainedId, datasetId, 300, {});
    expect(before.top1).toBeGreaterThan(0.2); // the demo set is learnable (chance: 0.1)
    const p = await prune(ctx, trainedId, datasetId, { criterion: 'l1', target: { macs: 0.6 }, evaluate: true, evalLimit: 300 }, {});
    expect(p.top1AfterPrune).toBeLessThan(before.top1);
    const ft = await asJob((j) => startRun(ctx, 'finetune', p.model.id, datasetId, { epochs: 2, lr: 0.02, batchSize: 64, validateLimit: 0, backend: 'current', augment: false }, j));
    const after = await quickEval(ctx, ft.model.id, datasetId, 300, {});
    expect(after.top1).toBeGreaterThan(p.top1AfterPrune!);
    expect(ft.model.macs).toBe(p.model.macs);
    // Distillation: the teacher's soft targets change what is learned. Same seed, same data order: without a teacher
    // and with a teacher at alpha 0 the runs agree (the KD term has weight 0); at alpha 0.5 they do not.
    const ftOpts = { epochs: 1, lr: 0.02, batchSize: 64, validateLimit: 0, backend: 'current' as const, augment: false, seed: 11, evaluate: false as const };
    const plain = await asJob((j) => startRun(ctx, 'finetune', p.model.id, datasetId, ftOpts, j));
    const kd0 = await asJob((j) => startRun(ctx, 'finetune', p.model.id, datasetId, { ...ftOpts, teacherId: trainedId, temperature: 4, alpha: 0 }, j));
    const kd = await asJob((j) => startRun(ctx, 'finetune', p.model.id, datasetId, { ...ftOpts, teacherId: trainedId, temperature: 4, alpha: 0.5 }, j));
    expect(kd.history).toHaveLength(1);
    expect(Number.isFinite(kd.history[0]!.loss)).toBe(true);
    const logitsOf = async (id: string) => {
      const m = await loadModel(ctx, id);
      const x = tf.randomUniform([16, 32, 32, 3], 0, 255, 'float32', 5);
      const y = m.predict(x) as tf.Tensor;
      const v = await y.data();
      tf.dispose([x, y]);
      return v;
    };
    const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => { let d = 0; for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!)); return d; };
    const [lp, l0, lk] = [await logitsOf(plain.model.id), await logitsOf(kd0.model.id), await logitsOf(kd.model.id)];
    expect(maxDiff(lp, l0)).toBeLessThan(1e-4);
    expect(maxDiff(lp, lk)).toBeGreaterThan(1e-2);
    // the original is untouched
    expect((await modelRecord(ctx, trainedId)).macs).toBeGreaterThan(p.model.macs);
  }, 600_000);

  it('an iterative schedule meets its MACs target and keeps every version', async () => {
    const base = await modelRecord(ctx, trainedId);
    const r = await asJob((j) => pruneIteratively(ctx, trainedId, datasetId, { criterion: 'l1', target: { macs: 0.5 }, steps: 2, epochsPerStep: 1, batchSize: 64, backend: 'current' }, j));
    expect(r.versions).toHaveLength(4); // pruned, fine-tuned, pruned, fine-tuned
    // A 3-conv network has coarse steps (one conv2 channel ≈ 1 % of its MACs), so the tolerance is 2 points here.
    const ratio = r.final.macs / base.macs;
    expect(Math.abs(ratio - 0.5)).toBeLessThanOrEqual(0.02);
    expect(r.versions[0]!.macs).toBeGreaterThan(r.versions[2]!.macs);
    const runs = await ctx.store.list<{ kind: string; status: string }>('run');
    expect(runs.find((x) => x.id === r.runId)!.meta.status).toBe('done');
  }, 600_000);

  it('resuming a cancelled fine-tune continues the same run from its checkpoint', async () => {
    const p = await prune(ctx, trainedId, datasetId, { criterion: 'random', target: { macs: 0.3 } }, {});
    let runId = '';
    // Cancel from the run's own progress events (every batch), once the first epoch's checkpoint is stored: no timer
    // that a fast or a loaded machine could outrun. Four epochs leave three to spare.
    const err = await jobs.run('ft', async (job) => {
      let checking = false;
      const onProgress = () => {
        if (checking || runId) return;
        checking = true;
        void ctx.store.list<{ epochsDone: number; runId: string; modelId: string }>('run').then((runs) => {
          const run = runs.find((x) => x.meta.modelId === p.model.id);
          if (run && run.meta.epochsDone >= 1) {
            runId = run.meta.runId;
            jobs.cancel('ft');
          }
        }).finally(() => { checking = false; });
      };
      return startRun(ctx, 'finetune', p.model.id, datasetId, { epochs: 4, lr: 0.01, batchSize: 100, validateLimit: 0, backend: 'current', evaluate: false }, { job, onProgress, signal: job.signal }).then(
        () => null,
        (e: { code?: string }) => e.code,
      );
    });
    expect(err).toBe('cancelled');
    const resumed = await asJob((j) => resumeRun(ctx, runId, j));
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4]);
    expect(resumed.runId).toBe(runId);
  }, 600_000);

  it('a fine-tune on an image budget resumes at the batch its intra-epoch checkpoint reached', async () => {
    const runs = () => ctx.store.list<{ runId: string; batchesDone?: number; epochsDone: number; modelId: string; status: string }>('run');
    let runId = '';
    const opts = { epochs: 1, lr: 0.01, batchSize: 50, images: 500, validateLimit: 0, backend: 'current' as const, checkpointEvery: { batches: 2 }, name: 'budgeted' };
    const err = await jobs.run('ft2', async (job) =>
      startRun(ctx, 'finetune', trainedId, datasetId, opts, {
        job,
        onProgress: (pr) => {
          if (pr.phase === 'train' && pr.data?.batch === 5) jobs.cancel('ft2');
        },
      }).then(() => null, (e: { code?: string }) => e.code),
    );
    expect(err).toBe('cancelled');
    const rec = (await runs()).find((r) => r.meta.status === 'cancelled' && r.meta.modelId === trainedId)!.meta;
    runId = rec.runId;
    expect(rec.batchesDone).toBe(4);
    const seen: number[] = [];
    const resumed = await jobs.run(undefined, (job) => resumeRun(ctx, runId, { job, onProgress: (pr) => { if (pr.phase === 'train' && typeof pr.data?.batch === 'number') seen.push(pr.data.batch); } }));
    expect(seen[0]).toBeGreaterThan(4); // the first report after resuming is past the checkpoint's batch
    expect(resumed.history).toHaveLength(1);
    expect(resumed.stoppedAtBudget).toBeUndefined();
    expect(resumed.model.lineage?.join(' | ')).toMatch(/500 images of/);
  }, 600_000);
});
