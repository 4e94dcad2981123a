/**
 * studio.optimize: writes the deploy-optimised version of a model (BN folded, activations fused, no-ops removed,
 * see src/engine/deploy/optimize.ts) as a new version, after checking that it computes the same logits as its
 * source (within 1e-4 of the largest logit) on real test images when a dataset is given, else on seeded random
 * 0..255 images. The source version is not modified.
 */
import * as tf from '@tensorflow/tfjs';
import { inputLut } from '../../engine/data/pipeline';
import { maxRelativeDifference, optimizeForDeployment } from '../../engine/deploy/optimize';
import { StudioError, throwIfAborted } from '../../engine/errors';
import { getStudioMeta } from '../../engine/models/metadata';
import type { ModelInfo } from '../../engine/models/types';
import { subJob, type JobOptions } from '../../engine/progress';
import type { OptimizeOptions, OptimizeResult } from '../types';
import type { WorkerContext } from './context';
import { versionName } from './names';
import { loadDataset, requireSplit } from './datasets';
import { listModels, loadModel, modelRecord, saveModel } from './models';
import { evalImages, evaluateAndRecord } from './pruning';

/** Largest allowed difference of the optimised logits, relative to the largest logit magnitude per image. */
export const OPTIMIZE_TOLERANCE = 1e-4;
const CHECK_IMAGES = 8;

/** The check batch: the dataset's first test images (through the model's input convention) or seeded noise. */
async function checkBatch(ctx: WorkerContext, model: tf.LayersModel, info: ModelInfo, datasetId: string | undefined): Promise<{ x: tf.Tensor4D; on: string }> {
  const [h, w, c] = info.inputShape;
  if (!datasetId) return { x: tf.randomUniform([CHECK_IMAGES, h, w, c], 0, 255, 'float32', 20261202) as tf.Tensor4D, on: `${CHECK_IMAGES} seeded random images` };
  const ds = await loadDataset(ctx, datasetId);
  const test = requireSplit(ds, 'test');
  if (ds.info.imageSize !== h || ds.info.imageSize !== w || c !== 3)
    throw new StudioError('shape-mismatch', `Model "${info.name}" takes ${h}×${w}×${c} images but dataset "${ds.info.name}" has ${ds.info.imageSize}×${ds.info.imageSize}×3.`);
  const n = Math.min(CHECK_IMAGES, test.count);
  const lut = inputLut(getStudioMeta(model).input);
  const px = h * w * 3;
  const v = new Float32Array(n * px);
  for (let i = 0; i < v.length; i++) v[i] = lut[(i % 3) * 256 + test.images[i]!]!;
  return { x: tf.tensor4d(v, [n, h, w, 3]), on: `${n} test images of "${ds.info.name}"` };
}

export async function optimize(ctx: WorkerContext, modelId: string, o: OptimizeOptions = {}, job: JobOptions = {}): Promise<OptimizeResult> {
  const info = await modelRecord(ctx, modelId);
  if (info.optimizedFrom) throw new StudioError('bad-input', `Model "${info.name}" is already optimised for deployment (from ${info.optimizedFrom}).`);
  const source = await loadModel(ctx, modelId);
  job.onProgress?.({ phase: 'optimise', fraction: 0, message: 'rewriting the graph' });
  const { model, report } = optimizeForDeployment(source);
  let saved: ModelInfo;
  let maxRelDiff: number;
  let checkedOn: string;
  try {
    throwIfAborted(job.signal);
    job.onProgress?.({ phase: 'optimise', fraction: 0.4, message: 'checking the outputs' });
    const { x, on } = await checkBatch(ctx, source, info, o.datasetId);
    try {
      maxRelDiff = maxRelativeDifference(source, model, x);
    } finally {
      x.dispose();
    }
    checkedOn = on;
    if (!(maxRelDiff <= OPTIMIZE_TOLERANCE))
      throw new StudioError('internal', `The optimised model's logits differ from "${info.name}" by ${maxRelDiff.toExponential(2)} (relative, on ${on}); nothing was saved.`);
    throwIfAborted(job.signal);
    const parts = [
      `${report.foldedBatchNorms.length} BN folded`,
      `${report.fusedActivations.length} activations fused`,
      `${report.removed.length} no-ops removed`,
    ];
    saved = await saveModel(ctx, model, { name: o.name ?? versionName(info.name, 'optimised'), parentId: modelId, step: `optimised for deployment (${parts.join(', ')})` });
  } catch (e) {
    model.dispose();
    throw e;
  }
  // It is the same function: it keeps its source's pruning facts, and says where it comes from.
  const rec = await ctx.store.updateMeta<ModelInfo>('model', saved.id, (m) => ({
    ...m, criterion: info.criterion, pruneRatio: info.pruneRatio, optimizedFrom: modelId,
    measures: { ...m.measures, afterPrune: info.measures?.afterPrune, fineTuneEpochs: info.measures?.fineTuneEpochs },
  }));
  const limit = o.datasetId ? evalImages(o.evaluate) : undefined;
  const evaluated = limit !== undefined && o.datasetId ? await evaluateAndRecord(ctx, saved.id, o.datasetId, limit, subJob(job, 0.6, 1)) : undefined;
  job.onProgress?.({ phase: 'optimise', fraction: 1 });
  return { model: evaluated?.model ?? rec.meta, report, maxRelDiff, checkedOn };
}

/** The newest optimised version of `modelId`, if one was written. */
export async function optimizedVersionOf(ctx: WorkerContext, modelId: string): Promise<ModelInfo | undefined> {
  return (await listModels(ctx)).filter((m) => m.optimizedFrom === modelId).sort((a, b) => b.createdAt - a.createdAt)[0];
}
