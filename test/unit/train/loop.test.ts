import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectNoLeak } from '../../helpers/leak';
import { isStudioError } from '../../../src/engine/errors';
import type { Progress } from '../../../src/engine/progress';
import { scoreBatches } from '../../../src/engine/metrics/accuracy';
import { runTraining } from '../../../src/engine/train/loop';
import type { TrainCheckpoint } from '../../../src/engine/train/checkpoint';
import type { TrainOptions } from '../../../src/engine/train/types';
import { maxAbsDiff, memoryFeed, quadrantSplit, smallCnn, splitBatch, weightsOf } from './fixtures';

const SIZE = 8;
const train = quadrantSplit(96, SIZE, 1);
const test = quadrantSplit(48, SIZE, 2);
const base: TrainOptions = { epochs: 3, batchSize: 16, lr: 0.05, schedule: 'cosine', seed: 3 };

async function accuracy(model: tf.LayersModel): Promise<number> {
  async function* one() {
    yield splitBatch(test, SIZE, Array.from({ length: test.count }, (_, i) => i));
  }
  return (await scoreBatches(model, one(), test.count)).top1;
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('runTraining', () => {
  it('learns a learnable task well above chance, reports progress, leaks nothing', async () => {
    const model = smallCnn(SIZE, 4, 1);
    const before = await accuracy(model);
    const events: Progress[] = [];
    const { history } = await expectNoLeak(() => runTraining(model, memoryFeed(train, SIZE, 16, 3), base, { onProgress: (p) => events.push(p) }));
    expect(history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(history[2]!.loss).toBeLessThan(history[0]!.loss);
    const after = await accuracy(model);
    expect(after, JSON.stringify(history)).toBeGreaterThan(0.7);
    expect(after).toBeGreaterThan(before);
    const live = events.find((e) => e.phase === 'train' && e.data?.batch === 5);
    expect(live?.data).toMatchObject({ epoch: 1, batches: 6 });
    for (const k of ['loss', 'acc', 'lr', 'imagesPerSecond', 'etaMs']) expect(typeof live!.data![k]).toBe('number');
    expect(history.every((h) => h.imagesPerSecond > 0 && h.lr > 0)).toBe(true);
    model.dispose();
  });

  it('updates BN moving statistics in training mode, not in inference', async () => {
    const model = smallCnn(SIZE, 4, 2);
    const bn = model.getLayer('bn1');
    const stats = async () => Promise.all(bn.getWeights().slice(2).map(async (t) => (await t.data()).slice() as Float32Array));
    const s0 = await stats();
    await accuracy(model); // inference only
    expect(maxAbsDiff(await stats(), s0)).toBe(0);
    await expectNoLeak(() => runTraining(model, memoryFeed(train, SIZE, 16), { ...base, epochs: 1 }));
    expect(maxAbsDiff(await stats(), s0)).toBeGreaterThan(1e-3);
    model.dispose();
  });

  it('2 epochs straight == 1 epoch + checkpoint + resume (fresh model) for 1 epoch', async () => {
    const opts: TrainOptions = { ...base, epochs: 2, schedule: 'onecycle', nesterov: true, labelSmoothing: 0.1 };
    const a = smallCnn(SIZE, 4, 5);
    await runTraining(a, memoryFeed(train, SIZE, 16, 3), opts);
    const wa = await weightsOf(a);

    const b = smallCnn(SIZE, 4, 5);
    const ac = new AbortController();
    let cp: TrainCheckpoint | undefined;
    const err = await caught(
      runTraining(b, memoryFeed(train, SIZE, 16, 3), opts, {
        signal: ac.signal,
        onEpochEnd: async (c) => {
          cp = c;
          ac.abort();
        },
      }),
    );
    expect(isStudioError(err) && err.code).toBe('cancelled');
    expect(cp!.epoch).toBe(1);
    expect(cp!.optimizer.length).toBe(b.trainableWeights.length);
    expect(cp!.history).toHaveLength(1);
    // cancelled after the epoch-1 checkpoint: the model holds the checkpoint's weights
    expect(maxAbsDiff(await weightsOf(b), cp!.weights.map((w) => w.data))).toBe(0);

    const c = smallCnn(SIZE, 4, 99); // different init: everything must come from the checkpoint
    const { history } = await expectNoLeak(() => runTraining(c, memoryFeed(train, SIZE, 16, 3), opts, { resume: cp }));
    expect(history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(maxAbsDiff(await weightsOf(c), wa)).toBeLessThan(1e-5);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('1 epoch straight == stop at a mid-epoch checkpoint + resume at that batch (fresh model)', async () => {
    const opts: TrainOptions = { ...base, epochs: 1, schedule: 'cosine', nesterov: true };
    const a = smallCnn(SIZE, 4, 8);
    const ha = (await runTraining(a, memoryFeed(train, SIZE, 16, 3), opts)).history;
    const wa = await weightsOf(a);

    const b = smallCnn(SIZE, 4, 8);
    const ac = new AbortController();
    const cps: TrainCheckpoint[] = [];
    const err = await caught(
      runTraining(b, memoryFeed(train, SIZE, 16, 3), opts, {
        signal: ac.signal,
        checkpointEvery: { batches: 2 },
        onCheckpoint: async (c) => {
          cps.push(c);
          if (c.batch === 4) ac.abort();
        },
      }),
    );
    expect(isStudioError(err) && err.code).toBe('cancelled');
    expect(cps.map((c) => [c.epoch, c.batch])).toEqual([[0, 2], [0, 4]]);
    expect(cps[1]!.partial!.images).toBe(64);

    const c = smallCnn(SIZE, 4, 77);
    const seen: number[] = [];
    const { history } = await expectNoLeak(() => runTraining(c, memoryFeed(train, SIZE, 16, 3, () => seen.push(1)), opts, { resume: cps[1] }));
    expect(seen).toHaveLength(2); // batches 5 and 6 only
    expect(maxAbsDiff(await weightsOf(c), wa)).toBeLessThan(1e-5);
    expect(history[0]!.loss).toBeCloseTo(ha[0]!.loss, 4);
    expect(history[0]!.acc).toBeCloseTo(ha[0]!.acc, 6);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('stops at the time budget at a batch boundary (injected clock), records the partial epoch, counts resumed time', async () => {
    let t = 0;
    const clock = () => t;
    const feed = memoryFeed(train, SIZE, 16, 0, () => (t += 100)); // every batch "takes" 100 ms
    const model = smallCnn(SIZE, 4, 9);
    const w0 = await weightsOf(model);
    const r = await expectNoLeak(() => runTraining(model, feed, { ...base, epochs: 3, timeBudgetMs: 850 }, { clock }));
    expect(r.stoppedAtBudget).toMatchObject({ epoch: 2, batch: 3, batches: 6, budgetMs: 850 });
    expect(r.stoppedAtBudget!.elapsedMs).toBe(900);
    expect(r.stoppedEarly).toMatch(/time budget/);
    expect(r.history).toHaveLength(2);
    expect(r.history[1]!.partial).toEqual({ batch: 3, batches: 6 });
    expect(r.history[0]!.partial).toBeUndefined();
    expect(maxAbsDiff(await weightsOf(model), w0)).toBeGreaterThan(0); // the model keeps what it learned

    // A resumed run counts the time it trained before: 700 ms of 850 already spent leaves 2 batches.
    t = 0;
    let cp: TrainCheckpoint | undefined;
    const ac = new AbortController();
    const m2 = smallCnn(SIZE, 4, 9);
    await caught(runTraining(m2, memoryFeed(train, SIZE, 16, 0, () => (t += 100)), { ...base, epochs: 3, timeBudgetMs: 850 }, {
      clock, signal: ac.signal, checkpointEvery: { batches: 1 },
      onCheckpoint: async (c) => { if (c.epoch === 1 && c.batch === 1) { cp = c; ac.abort(); } },
    }));
    expect(cp!.elapsedMs).toBe(700);
    t = 0;
    const m3 = smallCnn(SIZE, 4, 1);
    const r3 = await runTraining(m3, memoryFeed(train, SIZE, 16, 0, () => (t += 100)), { ...base, epochs: 3, timeBudgetMs: 850 }, { clock, resume: cp });
    expect(r3.stoppedAtBudget).toMatchObject({ epoch: 2, batch: 3 });
    // No stop when the run ends within its budget.
    t = 0;
    const m4 = smallCnn(SIZE, 4, 2);
    const r4 = await runTraining(m4, memoryFeed(train, SIZE, 16, 0, () => (t += 100)), { ...base, epochs: 1, timeBudgetMs: 600 }, { clock });
    expect(r4.stoppedAtBudget).toBeUndefined();
    expect(r4.history[0]!.partial).toBeUndefined();
    [model, m2, m3, m4].forEach((m) => m.dispose());
  });

  it('stops on NaN loss with nan-loss and restores the last good weights', async () => {
    const model = smallCnn(SIZE, 4, 6);
    const w0 = await weightsOf(model);
    const err = await expectNoLeak(() => caught(runTraining(model, memoryFeed(train, SIZE, 16), { ...base, lr: 1e37, weightDecay: 0 })));
    expect(isStudioError(err) && err.code).toBe('nan-loss');
    expect((err as Error).message).toMatch(/lower learning rate/);
    expect(maxAbsDiff(await weightsOf(model), w0)).toBe(0);
    model.dispose();
  });

  it('cancels mid-epoch and leaves the starting weights', async () => {
    const model = smallCnn(SIZE, 4, 7);
    const w0 = await weightsOf(model);
    const ac = new AbortController();
    let n = 0;
    const feed = memoryFeed(train, SIZE, 16, 0, () => {
      if (++n === 3) ac.abort();
    });
    const err = await expectNoLeak(() => caught(runTraining(model, feed, base, { signal: ac.signal })));
    expect(isStudioError(err) && err.code).toBe('cancelled');
    expect(maxAbsDiff(await weightsOf(model), w0)).toBe(0);
    model.dispose();
  });

  it('does not update frozen layers (kernel and BN statistics)', async () => {
    const model = smallCnn(SIZE, 4, 8);
    model.getLayer('conv0').trainable = false;
    model.getLayer('bn0').trainable = false;
    const frozen = async () => Promise.all([...model.getLayer('conv0').getWeights(), ...model.getLayer('bn0').getWeights()].map(async (t) => (await t.data()).slice() as Float32Array));
    const f0 = await frozen();
    const k0 = (await model.getLayer('conv2').getWeights()[0]!.data()).slice() as Float32Array;
    await expectNoLeak(() => runTraining(model, memoryFeed(train, SIZE, 16), { ...base, epochs: 1 }));
    expect(maxAbsDiff(await frozen(), f0)).toBe(0);
    expect(maxAbsDiff([(await model.getLayer('conv2').getWeights()[0]!.data()) as Float32Array], [k0])).toBeGreaterThan(0);
    model.dispose();
  });

  it('distils from a teacher, trains a softmax-output model, and honours pause', async () => {
    const teacher = smallCnn(SIZE, 4, 9);
    await runTraining(teacher, memoryFeed(train, SIZE, 16), { ...base, epochs: 1 });
    const student = smallCnn(SIZE, 4, 10, { softmax: true });
    let paused = true;
    let waited = 0;
    const phases = new Set<string>();
    const { history } = await expectNoLeak(() =>
      runTraining(student, memoryFeed(train, SIZE, 16), { ...base, epochs: 1, distill: { teacher, temperature: 4, alpha: 0.5 } }, {
        onProgress: (p) => phases.add(p.phase),
        pause: {
          paused: () => paused,
          wait: async () => {
            waited++;
            paused = false;
          },
        },
      }),
    );
    expect(waited).toBe(1);
    expect(phases.has('paused')).toBe(true);
    expect(Number.isFinite(history[0]!.loss)).toBe(true);
    teacher.dispose();
    student.dispose();
  });

  it('rejects bad options and mismatched checkpoints with specific errors', async () => {
    const m0 = smallCnn(SIZE, 4, 3);
    await expect(runTraining(m0, memoryFeed(train, SIZE, 16), { ...base, timeBudgetMs: 0 })).rejects.toMatchObject({ code: 'bad-input' });
    await expect(runTraining(m0, memoryFeed(train, SIZE, 16), base, { checkpointEvery: { batches: 0 } })).rejects.toMatchObject({ code: 'bad-input' });
    m0.dispose();
    const model = smallCnn(SIZE, 4, 11);
    const feed = memoryFeed(train, SIZE, 16);
    const e1 = await caught(runTraining(model, feed, { ...base, lr: -1 }));
    expect(isStudioError(e1) && e1.code).toBe('bad-input');
    expect((e1 as Error).message).toMatch(/Learning rate/);
    const other = smallCnn(SIZE, 3, 11);
    const cp: TrainCheckpoint = { epoch: 1, weights: (await weightsOf(other)).map((d, i) => ({ name: other.weights[i]!.name, shape: other.weights[i]!.shape as number[], data: d })), optimizer: [], iterations: 0, history: [], options: { epochs: 3, batchSize: 16, lr: 0.05 } };
    const e2 = await expectNoLeak(() => caught(runTraining(model, feed, base, { resume: cp })));
    expect(isStudioError(e2) && e2.code).toBe('shape-mismatch');
    model.dispose();
    other.dispose();
  });
});
