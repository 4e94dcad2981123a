/**
 * The training loop proper (data-source agnostic): SGD with momentum/Nesterov, per-step
 * learning-rate schedule, L2 weight decay on kernels, label smoothing, distillation, BatchNorm in
 * training mode, live progress, pause/resume, cancel, per-epoch checkpoints, resume, NaN and OOM
 * handling. `train()` in trainer.ts wires it to the input pipeline.
 *
 * BatchNorm: tfjs-layers' BatchNormalization.call(…, {training: true}) updates moving mean/variance
 * imperatively (variable.write) during the forward pass, also inside optimizer.computeGradients;
 * the unit tests check it. Frozen BN layers (trainable = false) have their moving statistics put
 * back after every step so they stay untouched.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError, isStudioError, throwIfAborted } from '../errors';
import { nextTick, type JobOptions } from '../progress';
import { readModelWeights, readOptimizerSlots, writeModelWeights, writeOptimizerSlots, type TrainCheckpoint } from './checkpoint';
import type { Batch, TrainFeed, Validator } from './feed';
import { asLogits, outputsProbabilities, trainingLoss } from './loss';
import { learningRateAt, validateSchedule } from './schedules';
import type { EpochRecord, SerializableTrainOptions, TrainOptions } from './types';

export interface PauseControl {
  paused(): boolean;
  wait(): Promise<void>;
}

export interface TrainJob extends JobOptions {
  resume?: TrainCheckpoint;
  onEpochEnd?: (cp: TrainCheckpoint) => Promise<void>;
  /** Called with every checkpoint: at each epoch end and, with `checkpointEvery`, within epochs (cp.batch > 0). */
  onCheckpoint?: (cp: TrainCheckpoint) => Promise<void>;
  /** Intra-epoch checkpoints every `batches` batches and/or `ms` milliseconds of training (needs onCheckpoint). */
  checkpointEvery?: { batches?: number; ms?: number };
  pause?: PauseControl;
  /** Milliseconds clock for the time budget, checkpoint intervals and speeds (default performance.now). */
  clock?: () => number;
}

export interface TrainResult {
  history: EpochRecord[];
  /** Why training ended before its last epoch without an error (the time budget); NaN loss, cancel and OOM throw StudioErrors. */
  stoppedEarly?: string;
  /** Set when the time budget ended the run: where it stopped (epoch 1-based; batch done of batches) and the time trained. */
  stoppedAtBudget?: { epoch: number; batch: number; batches: number; elapsedMs: number; budgetMs: number };
}

/** Batches between live progress reports (also how often the loss is read back and checked). */
export const PROGRESS_EVERY = 5;

const defaultClock = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** True for the messages tfjs backends produce when device memory runs out. */
export function isOutOfMemory(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  return /out of memory|\boom\b|failed to allocate|allocation failed|unable to create (?:webgl )?texture|context lost|exceeds? (?:the )?(?:max|limit)/i.test(msg);
}

/** Weight decay applies to conv/dense kernels ('kernel', 'depthwise_kernel', 'pointwise_kernel'), not BN or biases. */
export function isKernelName(name: string): boolean {
  return /kernel(?:_\d+)?$/.test(name.split('/').pop() ?? '');
}

/** Options without the splits and teacher model, for storing in checkpoints. */
export function serializableOptions(o: TrainOptions): SerializableTrainOptions {
  const { validate, distill, ...rest } = o;
  const out: SerializableTrainOptions = { ...rest };
  if (validate) out.validate = { every: validate.every, limit: validate.limit, count: validate.split.count };
  if (distill) out.distill = { temperature: distill.temperature, alpha: distill.alpha };
  return out;
}

function validateOptions(o: TrainOptions): void {
  validateSchedule(o);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new StudioError('bad-input', `Batch size must be a whole number ≥ 1 (got ${o.batchSize}).`);
  const m = o.momentum ?? 0.9;
  if (!(m >= 0 && m < 1)) throw new StudioError('bad-input', `Momentum must be in [0, 1) (got ${m}).`);
  const wd = o.weightDecay ?? 5e-4;
  if (!(wd >= 0) || !Number.isFinite(wd)) throw new StudioError('bad-input', `Weight decay must be ≥ 0 (got ${wd}).`);
  const ls = o.labelSmoothing ?? 0;
  if (!(ls >= 0 && ls < 1)) throw new StudioError('bad-input', `Label smoothing must be in [0, 1) (got ${ls}).`);
  if (o.distill) {
    if (!(o.distill.temperature > 0)) throw new StudioError('bad-input', `Distillation temperature must be > 0 (got ${o.distill.temperature}).`);
    if (!(o.distill.alpha >= 0 && o.distill.alpha <= 1)) throw new StudioError('bad-input', `Distillation alpha must be in [0, 1] (got ${o.distill.alpha}).`);
  }
  if (o.timeBudgetMs !== undefined && !(o.timeBudgetMs > 0)) throw new StudioError('bad-input', `The time budget must be a positive number of milliseconds (got ${o.timeBudgetMs}).`);
  if (o.validate?.every !== undefined && !(Number.isInteger(o.validate.every) && o.validate.every >= 1))
    throw new StudioError('bad-input', `validate.every must be a whole number ≥ 1 (got ${o.validate.every}).`);
}

function numClassesOf(model: tf.LayersModel, what: string): number {
  const shape = model.outputs[0]?.shape;
  const k = shape?.[shape.length - 1];
  if (!shape || shape.length !== 2 || typeof k !== 'number')
    throw new StudioError('bad-input', `The ${what} must output one score vector per image (output shape ${JSON.stringify(shape)}).`);
  return k;
}

/** The optimizer; tfjs' MomentumOptimizer.dispose() forgets its learning-rate scalar, so free it too. */
function disposeOptimizer(opt: tf.Optimizer): void {
  opt.dispose();
  const c = (opt as unknown as { c?: tf.Tensor }).c;
  if (c && !c.isDisposed) c.dispose();
}

/**
 * Trains `model` in place on `feed`. Throws StudioError 'cancelled' (model restored to the
 * weights after the last completed epoch — the state of the last checkpoint — or the starting
 * weights), 'nan-loss' (same restore; details.history), 'out-of-memory' (same restore), 'bad-input'.
 */
export async function runTraining(
  model: tf.LayersModel,
  feed: TrainFeed,
  opts: TrainOptions,
  job: TrainJob = {},
  validator?: Validator,
): Promise<TrainResult> {
  validateOptions(opts);
  const { signal, onProgress, pause } = job;
  const now = job.clock ?? defaultClock;
  const every = job.checkpointEvery;
  if (every?.batches !== undefined && !(Number.isInteger(every.batches) && every.batches >= 1)) throw new StudioError('bad-input', `Checkpoint interval must be a whole number of batches ≥ 1 (got ${every.batches}).`);
  if (every?.ms !== undefined && !(every.ms > 0)) throw new StudioError('bad-input', `Checkpoint interval must be a positive number of milliseconds (got ${every.ms}).`);
  const numClasses = numClassesOf(model, 'model');
  if (opts.distill) {
    const tk = numClassesOf(opts.distill.teacher, 'teacher');
    if (tk !== numClasses) throw new StudioError('classes-mismatch', `The teacher predicts ${tk} classes but the student ${numClasses}.`);
  }
  if (feed.batchesPerEpoch < 1) throw new StudioError('bad-input', `The training split gives no batch of ${opts.batchSize} images; add images or lower the batch size.`);

  const trainable = model.trainableWeights;
  if (trainable.length === 0) throw new StudioError('bad-input', 'The model has no trainable weights (every layer is frozen).');
  const varList = trainable.map((w) => w.read() as tf.Variable);
  const wd = opts.weightDecay ?? 5e-4;
  // originalName: `name` gets a uniqueness suffix ('conv/kernel_1') when layers share names across models.
  const decayed = trainable.map((w) => wd > 0 && isKernelName(w.originalName));
  const probs = outputsProbabilities(model);
  const teacherProbs = opts.distill ? outputsProbabilities(opts.distill.teacher) : false;
  const frozenStats = model.layers
    .filter((l) => !l.trainable && l.getClassName() === 'BatchNormalization')
    .flatMap((l) => l.weights);
  const frozenValues = frozenStats.map((w) => tf.clone(w.read()));

  const momentum = opts.momentum ?? 0.9;
  const optimizer: tf.SGDOptimizer = momentum > 0 ? tf.train.momentum(opts.lr, momentum, opts.nesterov ?? false) : tf.train.sgd(opts.lr);
  let currentLr = opts.lr;
  const lossOpts = { labelSmoothing: opts.labelSmoothing, distill: opts.distill && { temperature: opts.distill.temperature, alpha: opts.distill.alpha } };
  const saved = serializableOptions(opts);

  let startEpoch = 0;
  let startBatch = 0;
  let startPartial: NonNullable<TrainCheckpoint['partial']> | undefined;
  let priorElapsed = 0;
  const history: EpochRecord[] = [];
  let lastGood: tf.Tensor[] = [];
  const snapshot = (): void => {
    tf.dispose(lastGood);
    lastGood = model.weights.map((w) => tf.clone(w.read()));
  };
  const restoreLastGood = (): void => {
    model.weights.forEach((w, i) => w.write(lastGood[i]!));
  };

  try {
    if (job.resume) {
      const cp = job.resume;
      writeModelWeights(model, cp.weights);
      if (cp.optimizer.length > 0) {
        if (momentum === 0) throw new StudioError('bad-input', 'The checkpoint holds momentum slots but momentum is 0.');
        if (cp.optimizer.length !== varList.length)
          throw new StudioError('shape-mismatch', `Checkpoint has ${cp.optimizer.length} optimizer slots but the model has ${varList.length} trainable weights.`);
        cp.optimizer.forEach((s, i) => {
          if (!tf.util.arraysEqual(s.shape, varList[i]!.shape))
            throw new StudioError('shape-mismatch', `Optimizer slot ${s.name} has shape [${s.shape}] but trainable weight ${trainable[i]!.name} has [${varList[i]!.shape}].`);
        });
        await writeOptimizerSlots(optimizer, cp.optimizer, cp.iterations);
      }
      startEpoch = cp.epoch;
      if (cp.batch && cp.partial) {
        if (!(Number.isInteger(cp.batch) && cp.batch > 0 && cp.batch < feed.batchesPerEpoch))
          throw new StudioError('bad-input', `The checkpoint stopped at batch ${cp.batch} but an epoch has ${feed.batchesPerEpoch} batches; it belongs to other data or another batch size.`);
        startBatch = cp.batch;
        startPartial = cp.partial;
      }
      priorElapsed = cp.elapsedMs ?? 0;
      history.push(...cp.history.map((h) => ({ ...h })));
    }
    snapshot();

    const stepsPerEpoch = feed.batchesPerEpoch;
    const totalImages = opts.epochs * feed.imagesPerEpoch;
    let runImages = 0;
    let runMs = 0;
    const runStart = now();
    let pausedTotal = 0;
    const budget = opts.timeBudgetMs;
    const elapsed = (): number => priorElapsed + now() - runStart - pausedTotal;
    let lastCheckpointAt = now();
    const checkpoint = async (epochsDone: number, batch: number, partial?: TrainCheckpoint['partial']): Promise<TrainCheckpoint> => {
      const { slots, iterations } = await readOptimizerSlots(optimizer);
      lastCheckpointAt = now();
      return {
        epoch: epochsDone,
        weights: await readModelWeights(model),
        optimizer: slots,
        iterations,
        history: history.map((h) => ({ ...h })),
        options: saved,
        ...(batch > 0 ? { batch, partial } : {}),
        elapsedMs: elapsed(),
      };
    };
    const stopAt = (rec: EpochRecord, batch: number): TrainResult => {
      const e = elapsed();
      return {
        history,
        stoppedEarly: `Stopped at the time budget of ${(budget! / 1000).toFixed(0)} s after ${(e / 1000).toFixed(0)} s: epoch ${rec.epoch}/${opts.epochs}, batch ${batch}/${stepsPerEpoch}`,
        stoppedAtBudget: { epoch: rec.epoch, batch, batches: stepsPerEpoch, elapsedMs: e, budgetMs: budget! },
      };
    };

    const step = (b: Batch): { loss: tf.Scalar; correct: tf.Scalar } => {
      const teacherLogits = opts.distill
        ? tf.tidy(() => asLogits(opts.distill!.teacher.predict(b.xs) as tf.Tensor, teacherProbs))
        : undefined;
      let correct: tf.Scalar | undefined;
      try {
        const { value, grads } = optimizer.computeGradients(() => {
          const out = model.apply(b.xs, { training: true }) as tf.Tensor;
          const logits = asLogits(out, probs);
          correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), tf.cast(b.ys, 'int32')), 'float32'))) as tf.Scalar;
          return trainingLoss(logits, b.ys, lossOpts, teacherLogits);
        }, varList);
        const finalGrads: (tf.Tensor | null)[] = varList.map((v, i) => {
          const g = grads[v.name];
          if (!g) return null;
          return decayed[i] ? tf.tidy(() => tf.add(g, tf.mul(v, wd))) : tf.clone(g);
        });
        tf.dispose(Object.values(grads).filter((g): g is tf.Tensor => g != null));
        // Array form in varList order: MomentumOptimizer matches accumulators by position.
        optimizer.applyGradients(varList.map((v, i) => ({ name: v.name, tensor: finalGrads[i] as tf.Tensor })));
        tf.dispose(finalGrads.filter((g): g is tf.Tensor => g != null));
        frozenStats.forEach((w, i) => w.write(frozenValues[i]!));
        return { loss: value as tf.Scalar, correct: correct! };
      } catch (e) {
        correct?.dispose();
        throw e;
      } finally {
        teacherLogits?.dispose();
      }
    };

    for (let epoch = startEpoch; epoch < opts.epochs; epoch++) {
      throwIfAborted(signal);
      const resumed = epoch === startEpoch && startPartial ? startPartial : undefined;
      const epochStart = now() - (resumed?.ms ?? 0);
      let pausedMs = 0;
      let lossSum: tf.Scalar = tf.scalar(resumed?.lossSum ?? 0);
      let correctSum: tf.Scalar = tf.scalar(resumed?.correctSum ?? 0);
      let images = resumed?.images ?? 0;
      let batchIndex = resumed ? startBatch : 0;
      let lastLoss = NaN;
      let lastAcc = NaN;
      let lossTotal = 0;
      let correctTotal = 0;
      let overBudget = false;
      const readBack = async (): Promise<void> => {
        const [l, c] = await Promise.all([lossSum.data(), correctSum.data()]);
        lossTotal = l[0]!;
        correctTotal = c[0]!;
        lastLoss = l[0]! / Math.max(1, images);
        lastAcc = c[0]! / Math.max(1, images);
        if (!Number.isFinite(lastLoss)) {
          throw new StudioError(
            'nan-loss',
            `The loss became ${lastLoss} in epoch ${epoch + 1} at learning rate ${currentLr.toPrecision(3)}; training stopped and the weights of the last good epoch were restored. Try a lower learning rate (e.g. ${(opts.lr / 10).toPrecision(2)}).`,
            { epoch: epoch + 1, lr: currentLr, history: history.map((h) => ({ ...h })) },
          );
        }
      };
      const report = (): void => {
        if (!onProgress) return;
        const ms = now() - epochStart - pausedMs;
        const ips = (images / Math.max(1, ms)) * 1000;
        const overallIps = ((runImages + images) / Math.max(1, runMs + ms)) * 1000;
        const done = epoch * feed.imagesPerEpoch + images;
        let etaMs = overallIps > 0 ? ((totalImages - done) / overallIps) * 1000 : undefined;
        let fraction = done / totalImages;
        if (budget !== undefined) {
          const e = elapsed();
          etaMs = Math.max(0, Math.min(etaMs ?? Infinity, budget - e));
          fraction = Math.min(1, Math.max(fraction, e / budget));
        }
        onProgress({
          phase: 'train',
          fraction,
          etaMs,
          message: `epoch ${epoch + 1}/${opts.epochs}, batch ${batchIndex}/${stepsPerEpoch}, loss ${lastLoss.toFixed(4)}, acc ${(lastAcc * 100).toFixed(1)}%`,
          data: {
            epoch: epoch + 1,
            epochs: opts.epochs,
            batch: batchIndex,
            batches: stepsPerEpoch,
            loss: lastLoss,
            acc: lastAcc,
            lr: currentLr,
            imagesPerSecond: ips,
            ...(etaMs !== undefined ? { etaMs } : {}),
          },
        });
      };
      try {
        for await (const b of feed.epoch(epoch, batchIndex)) {
          try {
            if (pause?.paused()) {
              const p0 = now();
              onProgress?.({ phase: 'paused', fraction: (epoch * feed.imagesPerEpoch + images) / totalImages, message: 'paused' });
              await pause.wait();
              const waited = now() - p0;
              pausedMs += waited;
              pausedTotal += waited;
            }
            throwIfAborted(signal);
            const lr = learningRateAt(opts, epoch + batchIndex / stepsPerEpoch);
            if (lr !== currentLr) {
              optimizer.setLearningRate(lr);
              currentLr = lr;
            }
            const { loss, correct } = step(b);
            const nl = tf.tidy(() => tf.add(lossSum, tf.mul(loss, b.size))) as tf.Scalar;
            const nc = tf.add(correctSum, correct) as tf.Scalar;
            tf.dispose([loss, correct, lossSum, correctSum]);
            lossSum = nl;
            correctSum = nc;
          } finally {
            tf.dispose([b.xs, b.ys]);
          }
          images += b.size;
          batchIndex++;
          if (budget !== undefined && elapsed() >= budget) {
            overBudget = true;
            break;
          }
          if (batchIndex % PROGRESS_EVERY === 0) {
            await readBack();
            report();
            await nextTick();
          }
          const due = every && job.onCheckpoint && batchIndex < stepsPerEpoch &&
            ((every.batches !== undefined && batchIndex % every.batches === 0) || (every.ms !== undefined && now() - lastCheckpointAt >= every.ms));
          if (due) {
            await readBack();
            const cp = await checkpoint(epoch, batchIndex, { lossSum: lossTotal, correctSum: correctTotal, images, ms: now() - epochStart - pausedMs });
            await job.onCheckpoint!(cp);
          }
        }
        await readBack();
      } finally {
        tf.dispose([lossSum, correctSum]);
      }
      report();
      const ms = now() - epochStart - pausedMs;
      runImages += images;
      runMs += ms;
      const rec: EpochRecord = {
        epoch: epoch + 1,
        loss: lastLoss,
        acc: lastAcc,
        lr: currentLr,
        ms,
        imagesPerSecond: (images / Math.max(1e-3, ms)) * 1000,
      };
      if (batchIndex < stepsPerEpoch) rec.partial = { batch: batchIndex, batches: stepsPerEpoch };
      const stopping = overBudget && (batchIndex < stepsPerEpoch || epoch + 1 < opts.epochs);
      const valEvery = opts.validate?.every ?? 1;
      if (validator && ((epoch + 1) % valEvery === 0 || epoch + 1 === opts.epochs || stopping)) {
        onProgress?.({ phase: 'validate', fraction: (epoch + 1) / opts.epochs, message: `validating after epoch ${epoch + 1}` });
        const v = await validator(model, signal);
        rec.valAcc = v.acc;
        rec.valLoss = v.loss;
      }
      history.push(rec);
      snapshot();
      if (stopping) return stopAt(rec, batchIndex);
      if (job.onEpochEnd || job.onCheckpoint) {
        const cp = await checkpoint(epoch + 1, 0);
        await job.onEpochEnd?.(cp);
        await job.onCheckpoint?.(cp);
      }
      onProgress?.({
        phase: 'epoch',
        fraction: (epoch + 1) / opts.epochs,
        message: `epoch ${epoch + 1}/${opts.epochs}: loss ${rec.loss.toFixed(4)}, acc ${(rec.acc * 100).toFixed(1)}%` +
          (rec.valAcc !== undefined ? `, val acc ${(rec.valAcc * 100).toFixed(1)}%` : ''),
        data: { epoch: rec.epoch, loss: rec.loss, acc: rec.acc, lr: rec.lr, imagesPerSecond: rec.imagesPerSecond, ...(rec.valAcc !== undefined ? { valAcc: rec.valAcc, valLoss: rec.valLoss! } : {}) },
      });
      if (budget !== undefined && elapsed() >= budget && epoch + 1 < opts.epochs) return stopAt(rec, stepsPerEpoch);
    }
    return { history };
  } catch (e) {
    if (lastGood.length === model.weights.length) restoreLastGood();
    if (isStudioError(e)) throw e;
    if (isOutOfMemory(e))
      throw new StudioError('out-of-memory', `Ran out of memory training with batch size ${opts.batchSize}; try a smaller batch size (e.g. ${Math.max(1, opts.batchSize >> 1)}). The weights of the last completed epoch were kept.`, { cause: String(e) });
    throw e;
  } finally {
    tf.dispose(lastGood);
    tf.dispose(frozenValues);
    disposeOptimizer(optimizer);
  }
}
