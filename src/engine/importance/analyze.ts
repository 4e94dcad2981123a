/**
 * analyze(): scores every channel of every prunable group of a dependency graph with one
 * criterion. Feature-map criteria stream batches (no augmentation, inference mode) through a
 * capture sub-model and update per-group, per-capture statistics chunk by chunk, so only one
 * chunk of maps is alive at a time; weight criteria read kernels and need no data.
 * Coupled groups combine per-layer scores as in ./combine.ts. Reports progress with ETA,
 * honours AbortSignal, leaves no tensors behind.
 */
import type * as tf from '@tensorflow/tfjs';
import type { SplitData } from '../data/types';
import type { ChannelGroup } from '../graph/types';
import { StudioError, throwIfAborted } from '../errors';
import type { InputSpec } from '../models/types';
import { nextTick, progressReporter, type JobOptions } from '../progress';
import { seededPermutation } from '../random';
import { createCapture } from './capture';
import { combineLayerScores } from './combine';
import { apozStatistic } from './criteria/apoz';
import { chipStatistic } from './criteria/chip';
import { hrankStatistic } from './criteria/hrank';
import { meanStatistic } from './criteria/mean';
import { randomScores } from './criteria/random';
import { taylorStatistic, type TaylorStatistic } from './criteria/taylor';
import type { MapStatistic } from './criteria/types';
import { POOLED_CRITERIA, sliceChannels, type PooledCriterion, type StatPool } from './stat-pool';
import { inputBatch, labelBatch, splitImageSize } from './inputs';
import { gateGradients } from './taylor-grads';
import { weightScores } from './weights';

export type Criterion = 'hrank' | 'chip' | 'apoz' | 'mean' | 'l1' | 'l2' | 'fpgm' | 'bn' | 'taylor' | 'random';

export const CRITERIA: readonly Criterion[] = ['hrank', 'chip', 'apoz', 'mean', 'l1', 'l2', 'fpgm', 'bn', 'taylor', 'random'];
export const DATA_CRITERIA: readonly Criterion[] = ['hrank', 'chip', 'apoz', 'mean', 'taylor'];

export interface GroupScores {
  id: string;
  /** Layers the scores were read from (capture layers, producers or BN layers). */
  layers: string[];
  channels: number;
  /** One score per channel; higher = more important. */
  scores: number[];
}

export interface Analysis {
  criterion: Criterion;
  groups: GroupScores[];
  warnings: string[];
  /** Images the statistics were averaged over (0 for weight criteria). */
  images: number;
  ms: number;
  /** Statistics workers used (1 = on the calling thread). */
  workers: number;
}

export interface AnalyzeOptions extends JobOptions {
  criterion: Criterion;
  /** Batches of images to use (default 5). */
  batches?: number;
  /** Images per batch (default 128). */
  batchSize?: number;
  /** Seeds the image choice and the random criterion (default 0). */
  seed?: number;
  input?: InputSpec;
  /** Upper bound on the captured maps held at once, in bytes (default 64 MB). */
  memoryBytes?: number;
  /**
   * Where HRank and CHIP statistics run (./stat-pool.ts): with a pool, each chunk's maps are scored by
   * its workers while the next chunk is captured. Without one they run on this thread.
   */
  pool?: StatPool;
}

/** The part of a DependencyGraph analysis needs. */
export interface GroupsView {
  groups: readonly ChannelGroup[];
}

const RELU_LIKE = new Set(['relu', 'relu6', 'elu', 'selu', 'softplus', 'swish', 'gelu']);

function afterRelu(model: tf.LayersModel, name: string): boolean {
  const layer = model.getLayer(name);
  const cls = layer.getClassName();
  if (cls === 'ReLU') return true;
  const act = (layer.getConfig() as { activation?: unknown }).activation;
  return typeof act === 'string' && RELU_LIKE.has(act);
}

export async function analyze(
  model: tf.LayersModel,
  graph: GroupsView,
  split: SplitData | null,
  imageSize: number,
  opts: AnalyzeOptions,
): Promise<Analysis> {
  const t0 = performance.now();
  const { criterion } = opts;
  if (!CRITERIA.includes(criterion)) throw new StudioError('bad-input', `Unknown importance criterion "${String(criterion)}".`);
  const groups = graph.groups.filter((g) => g.prunable);
  const report = progressReporter(opts.onProgress);
  throwIfAborted(opts.signal);
  report('analyze', 0, `${criterion}: ${groups.length} groups`);

  if (!DATA_CRITERIA.includes(criterion)) {
    const warnings: string[] = [];
    const out: GroupScores[] = [];
    for (const g of groups) {
      throwIfAborted(opts.signal);
      if (criterion === 'random') {
        out.push({ id: g.id, layers: [], channels: g.channels, scores: Array.from(randomScores(g.channels, opts.seed ?? 0, g.id)) });
        continue;
      }
      let per = weightScores(model, g, criterion as 'l1' | 'l2' | 'fpgm' | 'bn');
      if (per.size === 0 && criterion === 'bn') {
        warnings.push(`Group "${g.id}" has no BatchNormalization scale; scored by L1 filter norm instead.`);
        per = weightScores(model, g, 'l1');
      }
      if (per.size === 0) warnings.push(`Group "${g.id}" has no learned filters to score; all its scores are 0.`);
      out.push({ id: g.id, layers: [...per.keys()], channels: g.channels, scores: combineLayerScores([...per.values()], g.channels) });
    }
    report('analyze', 1, 'done');
    return { criterion, groups: out, warnings, images: 0, ms: performance.now() - t0, workers: 1 };
  }

  if (!split || split.count === 0) throw new StudioError('bad-input', `The "${criterion}" criterion needs images: pass a data split.`);
  splitImageSize(split, imageSize);
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 128));
  const total = Math.min(split.count, Math.max(1, Math.floor(opts.batches ?? 5)) * batchSize);
  const order = seededPermutation(split.count, opts.seed ?? 0).subarray(0, total);

  // capture layer -> statistics reading a channel slice of it
  interface Slot {
    group: number;
    offset: number;
    channels: number;
    stat?: MapStatistic;
    taylor?: TaylorStatistic;
  }
  const slots = new Map<string, Slot[]>();
  const warnings: string[] = [];
  groups.forEach((g, gi) => {
    if (g.capture.length === 0) warnings.push(`Group "${g.id}" has no capture point; all its scores are 0.`);
    for (const c of g.capture) {
      const slot: Slot = { group: gi, offset: c.offset, channels: g.channels };
      if (criterion === 'taylor') slot.taylor = taylorStatistic(g.channels);
      else slot.stat = (criterion === 'hrank' ? hrankStatistic : criterion === 'chip' ? chipStatistic : criterion === 'apoz' ? apozStatistic : meanStatistic)(g.channels);
      const list = slots.get(c.layer) ?? [];
      list.push(slot);
      slots.set(c.layer, list);
    }
  });
  const layers = [...slots.keys()];
  if ((criterion === 'hrank' || criterion === 'apoz') && layers.length > 0) {
    const noRelu = layers.filter((l) => !afterRelu(model, l));
    if (noRelu.length)
      warnings.push(`${criterion}: ${noRelu.length} capture point(s) are not after a ReLU (${noRelu.slice(0, 3).join(', ')}${noRelu.length > 3 ? ', …' : ''}); scores there may not discriminate.`);
  }

  const capture = criterion === 'taylor' ? null : createCapture(model, layers);
  const floats = capture?.floatsPerImage ?? 1;
  const budget = opts.memoryBytes ?? 64 * 2 ** 20;
  const perImage = criterion === 'taylor' ? 1 << 20 : floats * 4; // backward passes keep every activation: small chunks
  const chunk = Math.max(1, Math.min(batchSize, Math.floor(budget / perImage)));

  const pool = POOLED_CRITERIA.includes(criterion) ? opts.pool : undefined;
  // pooled: the previous chunk's tasks run while this chunk is captured; at most two chunks in flight
  let inflight: Promise<unknown>[] = [];
  let inflightImages = 0;
  let done = 0;
  const settle = async (): Promise<void> => {
    const batch = inflight;
    inflight = [];
    await Promise.all(batch);
    done += inflightImages;
    inflightImages = 0;
    report('analyze', done / total, `${criterion}: ${done}/${total} images`);
  };
  try {
    for (let start = 0; start < total; start += chunk) {
      throwIfAborted(opts.signal);
      const idx = order.subarray(start, Math.min(total, start + chunk));
      const xs = inputBatch(split, idx, imageSize, opts.input);
      if (capture) {
        let maps;
        try {
          maps = capture.run(xs);
        } finally {
          xs.dispose();
        }
        if (pool) await settle();
        for (const [layer, list] of slots) {
          const m = maps.get(layer)!;
          const [n, h, w, c] = m.shape;
          for (const s of list) {
            if (s.offset + s.channels > c)
              throw new StudioError('shape-mismatch', `Capture "${layer}" has ${c} channels; group needs ${s.offset}..${s.offset + s.channels}.`);
            const b = { data: m.data, n, h, w, c, offset: s.offset, channels: s.channels };
            if (pool) {
              const stat = s.stat!;
              // a capture read by one slot over all its channels is handed over as is (transferred, not copied)
              const whole = list.length === 1 && s.offset === 0 && s.channels === c;
              const data = whole ? m.data : sliceChannels(b);
              const task = pool.run({ criterion: criterion as PooledCriterion, data, n, h, w, channels: s.channels }).then((p) => stat.merge!(p));
              task.catch(() => undefined); // handled at the next settle(), not unhandled while we capture
              inflight.push(task);
            } else s.stat!.add(b);
          }
          throwIfAborted(opts.signal);
        }
      } else {
        const ys = labelBatch(split, idx);
        let gg;
        try {
          gg = gateGradients(model, layers, xs, ys);
        } finally {
          xs.dispose();
          ys.dispose();
        }
        for (const [layer, list] of slots) {
          const g = gg.get(layer)!;
          for (const s of list) s.taylor!.add(g.data, g.n, g.c, s.offset, g.positions);
        }
      }
      if (pool) inflightImages = idx.length;
      else {
        done += idx.length;
        report('analyze', done / total, `${criterion}: ${done}/${total} images`);
      }
      await nextTick();
    }
    await settle();
  } finally {
    capture?.dispose();
  }

  const out: GroupScores[] = groups.map((g, gi) => {
    const per: Float64Array[] = [];
    const used: string[] = [];
    for (const [layer, list] of slots)
      for (const s of list)
        if (s.group === gi) {
          per.push(s.stat ? s.stat.result() : s.taylor!.result());
          used.push(layer);
          const notes = s.stat?.notes?.();
          if (notes?.allFullRank && criterion === 'hrank')
            warnings.push(`hrank: every map of "${layer}" (group "${g.id}") is full rank on every image; HRank cannot rank these channels (no ReLU before it?).`);
          if (notes?.zeroFraction === 0 && criterion === 'apoz')
            warnings.push(`apoz: "${layer}" (group "${g.id}") has no zero activations; APoZ cannot rank these channels (no ReLU before it?).`);
        }
    return { id: g.id, layers: used, channels: g.channels, scores: combineLayerScores(per, g.channels) };
  });
  report('analyze', 1, 'done');
  return { criterion, groups: out, warnings, images: total, ms: performance.now() - t0, workers: pool?.size ?? 1 };
}
