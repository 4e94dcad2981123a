/**
 * Training, fine-tuning (optionally distilled), transfer learning and evaluation, as resumable runs.
 * A run record (kind 'run') holds options and history; after every epoch and every few minutes within one its
 * checkpoint part is rewritten, so a reloaded tab resumes at the batch it reached (`resumeRun`). The result is always a new model version.
 */
import type * as tf from '@tensorflow/tfjs';
import { StudioError, isStudioError } from '../../engine/errors';
import { evaluate as evaluateModel } from '../../engine/metrics/evaluate';
import { getStudioMeta } from '../../engine/models/metadata';
import { makeTransferModel, setBackboneTrainable, headLayerNames } from '../../engine/models/transfer';
import { validateForDataset } from '../../engine/models/validate';
import type { JobOptions } from '../../engine/progress';
import { newId } from '../../engine/storage/artifacts';
import { train as runTrain, type TrainCheckpoint, type TrainOptions } from '../../engine/train/trainer';
import type { JobControl } from '../jobs';
import type { EvaluateOptions, EvaluationResult, RunSummary, TrainOptionsApi, TrainResult, TransferOptions } from '../types';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointHeader } from './checkpoint-codec';
import type { WorkerContext } from './context';
import { versionName } from './names';
import { loadDataset, requireSplit } from './datasets';
import { loadModel, modelRecord, saveModel } from './models';
import { useTrainingBackend } from './measures';
import { RunLockSet } from '../../engine/storage/locks';
import type { EvalRecord } from '../../engine/models/types';
import { evalImages, evaluateAndRecord } from './pruning';

interface RunRecord extends RunSummary { options: TrainOptionsApi; checkpoint?: CheckpointHeader; name: string; step: string }

type Job = JobOptions & { job: JobControl };

/**
 * Default fine-tune learning rate for a reconstructed version: it already matches its original closely and a large
 * step undoes that (measured: docs/pruning-engine.md, "Fine-tuning after recovery").
 */
export const RECONSTRUCTED_FINE_TUNE_LR = 0.003;

/** Fills the trainer's defaults; fine-tuning defaults to warm-up + cosine, which suits short budgets. */
function engineOptions(o: TrainOptionsApi, kind: RunSummary['kind']): TrainOptions {
  return {
    epochs: o.epochs,
    batchSize: o.batchSize ?? 64,
    lr: o.lr ?? (kind === 'finetune' ? 0.01 : 0.1),
    momentum: o.momentum ?? 0.9,
    nesterov: o.nesterov ?? false,
    weightDecay: o.weightDecay ?? 5e-4,
    schedule: o.schedule ?? 'cosine',
    warmupEpochs: o.warmupEpochs ?? (kind === 'finetune' ? Math.min(1, Math.max(0, o.epochs - 1)) : 0),
    labelSmoothing: o.labelSmoothing ?? 0,
    augment: o.augment ?? true,
    seed: o.seed ?? 0,
    ...(o.images !== undefined ? { images: o.images } : {}),
    ...(o.timeBudgetMs !== undefined ? { timeBudgetMs: o.timeBudgetMs } : {}),
  };
}

/** Intra-epoch checkpoint interval: the caller's, else every 2 minutes of training. */
function checkpointInterval(o: TrainOptionsApi): { batches?: number; ms?: number } {
  const c = o.checkpointEvery;
  if (!c) return { ms: 120_000 };
  if (c.minutes !== undefined && !(c.minutes > 0)) throw new StudioError('bad-input', `checkpointEvery.minutes must be > 0 (got ${c.minutes}).`);
  return { ...(c.batches !== undefined ? { batches: c.batches } : {}), ...(c.minutes !== undefined ? { ms: c.minutes * 60_000 } : {}) };
}

function interrupted(r: RunRecord, running: string[]): RunRecord {
  return r.status === 'running' && !running.some((j) => j === r.runId) ? { ...r, status: 'interrupted' } : r;
}

export async function listRuns(ctx: WorkerContext, active: Set<string>): Promise<RunSummary[]> {
  const recs = await ctx.store.list<RunRecord>('run');
  return recs.map((r) => {
    const { options: _o, checkpoint: _c, name: _n, step: _s, ...s } = interrupted(r.meta, [...active]);
    return s;
  });
}

/** Runs executing in this tab; each holds its Web Lock while it runs, so other tabs do not show it as interrupted. */
const activeRuns: Set<string> = new RunLockSet();
export const runningRunIds = (): Set<string> => activeRuns;

async function execute(ctx: WorkerContext, run: RunRecord, resume: TrainCheckpoint | undefined, job: Job): Promise<TrainResult> {
  activeRuns.add(run.runId);
  const save = (r: RunRecord, parts?: Record<string, Uint8Array>) => ctx.store.put('run', r.runId, r, parts);
  let model: tf.LayersModel | null = null;
  let done = false;
  try {
    const ds = await loadDataset(ctx, run.datasetId);
    model = await loadModel(ctx, run.modelId, true);
    validateForDataset(model, { imageSize: ds.info.imageSize, classes: ds.info.classes });
    const meta = getStudioMeta(model);
    const opts = engineOptions(run.options, run.kind);
    if (run.options.validateLimit !== 0) opts.validate = { split: requireSplit(ds, 'test'), limit: run.options.validateLimit ?? 1000 };
    if (run.options.teacherId) {
      const teacher = await loadModel(ctx, run.options.teacherId);
      const tUnits = teacher.outputs[0]!.shape[1];
      if (tUnits !== meta.classes.length) throw new StudioError('classes-mismatch', `The teacher predicts ${tUnits} classes but the student ${meta.classes.length}: distillation needs the same label space.`);
      opts.distill = { teacher, temperature: run.options.temperature ?? 4, alpha: run.options.alpha ?? 0.5 };
    }
    job.onProgress?.({ phase: 'backend', fraction: 0, message: 'choosing the training backend' });
    const used = await useTrainingBackend(run.options.backend);
    run.backend = used.backend;
    run.backendReason = used.reason;
    job.onProgress?.({ phase: 'backend', fraction: 0, message: `training on ${used.backend}: ${used.reason}` });
    run.status = 'running';
    await save(run);
    const result = await runTrain(model, ds.splits.train, ds.info.imageSize, meta.input, opts, {
      onProgress: job.onProgress,
      signal: job.job.signal,
      pause: job.job.pause,
      resume,
      checkpointEvery: checkpointInterval(run.options),
      onCheckpoint: async (cp) => {
        const { header, bytes } = encodeCheckpoint(cp);
        run.checkpoint = header;
        run.epochsDone = cp.epoch;
        run.batchesDone = cp.batch ?? 0;
        run.history = cp.history;
        run.updatedAt = Date.now();
        await save(run, { checkpoint: bytes });
      },
    });
    let info = await saveModel(ctx, model, { name: run.name, parentId: run.modelId, step: run.step });
    model = null; // now owned by the model cache
    run.status = 'done';
    run.resultModelId = info.id;
    run.history = result.history;
    run.checkpoint = undefined;
    await save(run);
    await ctx.store.removePart('run', run.runId, 'checkpoint');
    done = true;
    // Auto-evaluation: the new version's top-1 on the first test images, on the model (Compare) and the run (its page).
    const limit = evalImages(run.options.evaluate);
    let evaluation: EvalRecord | undefined;
    if (limit !== undefined) {
      job.onProgress?.({ phase: 'evaluating', fraction: 0, message: `top-1 of the new version on ${limit} test images` });
      const r = await evaluateAndRecord(ctx, info.id, run.datasetId, limit, { ...job, onProgress: (p) => job.onProgress?.({ ...p, phase: 'evaluating' }) });
      if (r) {
        evaluation = r.ev;
        info = r.model;
        run.evaluation = r.ev;
        await save(run);
      }
    }
    return {
      model: info, history: result.history, runId: run.runId, stoppedEarly: result.stoppedEarly,
      ...(result.stoppedAtBudget ? { stoppedAtBudget: result.stoppedAtBudget } : {}), ...(evaluation ? { evaluation } : {}),
    };
  } catch (e) {
    if (done) throw e; // the run finished and its model is stored; only the auto-evaluation stopped
    run.status = isStudioError(e) && e.code === 'cancelled' ? 'cancelled' : 'failed';
    run.error = e instanceof Error ? e.message : String(e);
    await save(run).catch(() => undefined);
    throw e;
  } finally {
    model?.dispose();
    activeRuns.delete(run.runId);
  }
}

export async function startRun(
  ctx: WorkerContext, kind: RunSummary['kind'], modelId: string, datasetId: string, options: TrainOptionsApi, job: Job, runId = newId('run'),
): Promise<TrainResult> {
  if (!(options.epochs >= 1)) throw new StudioError('bad-input', `Epochs must be at least 1 (got ${options.epochs}).`);
  if (options.images !== undefined && !(Number.isInteger(options.images) && options.images >= 1)) throw new StudioError('bad-input', `images must be a whole number ≥ 1 (got ${options.images}).`);
  if (options.timeBudgetMs !== undefined && !(options.timeBudgetMs > 0)) throw new StudioError('bad-input', `timeBudgetMs must be a positive number of milliseconds (got ${options.timeBudgetMs}).`);
  const base = await modelRecord(ctx, modelId);
  const ds = await loadDataset(ctx, datasetId);
  const verb = kind === 'finetune' ? (options.teacherId ? 'fine-tuned (distilled)' : 'fine-tuned') : 'trained';
  const run: RunRecord = {
    runId, kind, modelId, datasetId, status: 'running', epochsDone: 0, epochs: options.epochs, history: [],
    updatedAt: Date.now(), options, name: options.name ?? versionName(base.name, verb),
    step: `${verb} ${options.epochs} ep on ${options.images !== undefined && options.images < ds.info.counts.train ? `${options.images} images of ` : ''}${ds.info.name}`,
  };
  return execute(ctx, run, undefined, job);
}

export async function resumeRun(ctx: WorkerContext, runId: string, job: Job): Promise<TrainResult> {
  const rec = await ctx.store.require<RunRecord>('run', runId);
  const run = rec.meta;
  if (activeRuns.has(runId)) throw new StudioError('bad-input', `Run ${runId} is already running.`);
  if (run.status === 'done') throw new StudioError('bad-input', `Run ${runId} has finished; its result is model ${run.resultModelId}.`);
  const cp = run.checkpoint && rec.parts.checkpoint ? decodeCheckpoint(run.checkpoint, await ctx.store.getPart('run', runId, 'checkpoint')) : undefined;
  run.error = undefined;
  return execute(ctx, run, cp, job);
}

/** Deletes a run that is not running here (its record and checkpoint); the model versions it wrote stay. */
export async function deleteRun(ctx: WorkerContext, runId: string): Promise<void> {
  await ctx.store.require('run', runId);
  if (activeRuns.has(runId)) throw new StudioError('bad-input', `Run ${runId} is running: cancel it first.`);
  await ctx.store.delete('run', runId);
}

export async function evaluate(ctx: WorkerContext, modelId: string, datasetId: string, o: EvaluateOptions, job: JobOptions): Promise<EvaluationResult> {
  const ds = await loadDataset(ctx, datasetId);
  const model = await loadModel(ctx, modelId);
  validateForDataset(model, { imageSize: ds.info.imageSize, classes: ds.info.classes });
  const split = requireSplit(ds, o.split ?? 'test');
  if (o.start !== undefined && (o.start < 0 || o.start >= split.count)) throw new StudioError('bad-input', `start ${o.start} is outside the ${o.split ?? 'test'} split (0..${split.count - 1}).`);
  return evaluateModel(model, split, ds.info.imageSize, getStudioMeta(model).input, { batchSize: o.batchSize, start: o.start, end: o.end, ...job });
}

/** Transfer learning: cut the backbone, add a head for the dataset's classes, train the head frozen, then optionally all. */
export async function transfer(ctx: WorkerContext, backboneId: string, datasetId: string, o: TransferOptions, job: Job): Promise<TrainResult> {
  const ds = await loadDataset(ctx, datasetId);
  const backbone = await loadModel(ctx, backboneId);
  const backboneInfo = await modelRecord(ctx, backboneId);
  const model = makeTransferModel(backbone, { cutLayer: o.cutLayer, numClasses: ds.info.classes.length, classes: ds.info.classes, hidden: o.hidden, dropout: o.dropout });
  const heads = headLayerNames(model);
  setBackboneTrainable(model, false, heads);
  const headInfo = await saveModel(ctx, model, { name: `${backboneInfo.name} → ${ds.info.name} head`, parentId: backboneId, step: `transfer: cut at ${o.cutLayer}, new head for ${ds.info.classes.length} classes` });
  const head = await startRun(ctx, 'train', headInfo.id, datasetId, { epochs: o.headEpochs, lr: o.lr ?? 0.05, batchSize: o.batchSize, ...(o.fineTuneEpochs ? { evaluate: false as const } : {}), name: `${backboneInfo.name} → ${ds.info.name} (head trained)` }, job);
  if (!o.fineTuneEpochs) return head;
  const all = await loadModel(ctx, head.model.id, true);
  setBackboneTrainable(all, true, heads);
  const unfrozen = await saveModel(ctx, all, { name: `${head.model.name} (unfrozen)`, parentId: head.model.id, step: 'unfroze backbone' });
  return startRun(ctx, 'finetune', unfrozen.id, datasetId, { epochs: o.fineTuneEpochs, lr: o.fineTuneLr ?? 0.005, batchSize: o.batchSize, name: `${backboneInfo.name} → ${ds.info.name} (fine-tuned)` }, job);
}
