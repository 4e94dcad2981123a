/**
 * Iterative pruning: N steps, each pruning a share of the remaining MACs (or params) target, recovering the pruned
 * model against the step's input (reconstruction by default), and fine-tuning for E epochs (optionally distilled
 * from the original; after reconstruction at the smaller default learning rate). Every intermediate model is kept as a version; the run record
 * is updated after each step and each inner fine-tune checkpoints per epoch, so a reload resumes where it stopped.
 */
import { StudioError } from '../../engine/errors';
import type { JobOptions, Progress } from '../../engine/progress';
import { newId } from '../../engine/storage/artifacts';
import type { JobControl } from '../jobs';
import type { IterativeOptionsApi as IterativeOptions, IterativeResult, RunSummary } from '../types';
import type { WorkerContext } from './context';
import { modelRecord } from './models';
import { prune } from './pruning';
import { RECONSTRUCTED_FINE_TUNE_LR, resumeRun, runningRunIds, startRun } from './training';
import { versionName } from './names';


interface IterativeRecord extends RunSummary { iterative: IterativeOptions; versions: string[]; currentId: string; innerRunId?: string; innerDone?: boolean }

type Job = JobOptions & { job: JobControl };

export async function pruneIteratively(ctx: WorkerContext, modelId: string, datasetId: string, o: IterativeOptions, job: Job): Promise<IterativeResult> {
  if (!(o.steps >= 1 && Number.isInteger(o.steps))) throw new StudioError('bad-input', `steps must be a whole number ≥ 1 (got ${o.steps}).`);
  const frac = o.target.macs ?? o.target.params;
  if (frac === undefined || !(frac > 0 && frac < 1)) throw new StudioError('bad-input', 'The iterative target needs macs or params: a fraction to remove, between 0 and 1.');
  await modelRecord(ctx, modelId);
  const rec: IterativeRecord = {
    runId: newId('run'), kind: 'iterative', modelId, datasetId, status: 'running', epochsDone: 0, epochs: o.steps * o.epochsPerStep,
    history: [], updatedAt: Date.now(), iterative: o, versions: [], currentId: modelId,
  };
  await ctx.store.put('run', rec.runId, rec);
  return continueIterative(ctx, rec, job);
}

export async function resumeIterative(ctx: WorkerContext, runId: string, job: Job): Promise<IterativeResult> {
  const rec = (await ctx.store.require<IterativeRecord>('run', runId)).meta;
  if (rec.kind !== 'iterative') throw new StudioError('bad-input', `Run ${runId} is not an iterative pruning run.`);
  return continueIterative(ctx, rec, job);
}

async function continueIterative(ctx: WorkerContext, rec: IterativeRecord, job: Job): Promise<IterativeResult> {
  const o = rec.iterative;
  const save = () => ctx.store.put('run', rec.runId, { ...rec, updatedAt: Date.now() });
  const original = await modelRecord(ctx, rec.modelId);
  const useMacs = o.target.macs !== undefined;
  const base = useMacs ? original.macs : original.params;
  const frac = (useMacs ? o.target.macs : o.target.params)!;
  const stepProgress = (k: number) => (p: Progress) => job.onProgress?.({ ...p, phase: `step ${k + 1}/${o.steps}: ${p.phase}`, fraction: (k + p.fraction) / o.steps });
  runningRunIds().add(rec.runId);
  try {
    rec.status = 'running';
    for (let k = Math.floor(rec.versions.length / 2); k < o.steps; k++) {
      const sub: Job = { ...job, onProgress: stepProgress(k) };
      // Prune (unless this step's pruned version already exists from before a reload).
      if (rec.versions.length === 2 * k) {
        const current = await modelRecord(ctx, rec.currentId);
        const goal = base * (1 - (frac * (k + 1)) / o.steps);
        const now = useMacs ? current.macs : current.params;
        const share = Math.max(0.001, Math.min(0.95, 1 - goal / now));
        const r = await prune(ctx, rec.currentId, rec.datasetId, {
          criterion: o.criterion, target: useMacs ? { macs: share } : { params: share }, scope: o.scope, batches: o.batches,
          recover: o.recover ?? 'reconstruct', calibrationImages: o.calibrationImages,
          evaluate: o.evaluate ?? true, name: versionName(original.name, `${o.criterion} step ${k + 1}/${o.steps}`),
        }, sub);
        rec.versions.push(r.model.id);
        rec.currentId = r.model.id;
        rec.innerRunId = undefined;
        await save();
      }
      // Fine-tune (resuming the inner run after a reload).
      const prunedId = rec.versions[2 * k]!;
      const reconstructed = (await modelRecord(ctx, prunedId)).recover?.method === 'reconstruct';
      const ftOpts = {
        epochs: o.epochsPerStep, lr: o.lr ?? (reconstructed ? RECONSTRUCTED_FINE_TUNE_LR : 0.01), batchSize: o.batchSize, schedule: 'cosine' as const,
        teacherId: o.distill ? rec.modelId : undefined, temperature: o.temperature, alpha: o.alpha, backend: o.backend,
        images: o.images, timeBudgetMs: o.timeBudgetMs !== undefined ? o.timeBudgetMs / o.steps : undefined, evaluate: o.evaluate,
        name: `${versionName(original.name, `${o.criterion} step ${k + 1}/${o.steps}`)} · fine-tuned`,
      };
      if (!rec.innerRunId) {
        rec.innerRunId = newId('run');
        await save();
      }
      const inner = (await ctx.store.get<RunSummary>('run', rec.innerRunId))?.meta;
      const ft = !inner
        ? await startRun(ctx, 'finetune', prunedId, rec.datasetId, ftOpts, sub, rec.innerRunId)
        : inner.status === 'done' && inner.resultModelId
          ? { model: await modelRecord(ctx, inner.resultModelId), history: inner.history, runId: inner.runId }
          : await resumeRun(ctx, rec.innerRunId, sub);
      rec.versions.push(ft.model.id);
      rec.currentId = ft.model.id;
      rec.epochsDone += o.epochsPerStep;
      rec.history.push(...ft.history);
      rec.innerRunId = undefined;
      await save();
    }
    rec.status = 'done';
    rec.resultModelId = rec.currentId;
    await save();
    const versions = await Promise.all(rec.versions.map((id) => modelRecord(ctx, id)));
    return { runId: rec.runId, versions, final: versions[versions.length - 1]! };
  } catch (e) {
    rec.status = (e as { code?: string }).code === 'cancelled' ? 'cancelled' : 'failed';
    rec.error = e instanceof Error ? e.message : String(e);
    await save().catch(() => undefined);
    throw e;
  } finally {
    runningRunIds().delete(rec.runId);
  }
}
