import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectNoLeak } from '../../helpers/leak';
import { distillationLoss, smoothedCrossEntropy, trainingLoss } from '../../../src/engine/train/loss';

const val = async (f: () => tf.Scalar): Promise<number> =>
  expectNoLeak(async () => {
    const t = f();
    const v = (await t.data())[0]!;
    t.dispose();
    return v;
  });

describe('losses (hand-computed)', () => {
  const L3 = Math.log(3);
  it('cross-entropy with and without label smoothing', async () => {
    // softmax([0, ln3]) = [0.25, 0.75]
    const ce = await val(() => tf.tidy(() => smoothedCrossEntropy(tf.tensor2d([[0, L3]]), tf.tensor1d([1], 'int32'))));
    expect(ce).toBeCloseTo(-Math.log(0.75), 5);
    // ε = 0.2, K = 2 → q = [0.1, 0.9]
    const ls = await val(() => tf.tidy(() => smoothedCrossEntropy(tf.tensor2d([[0, L3]]), tf.tensor1d([1], 'int32'), 0.2)));
    expect(ls).toBeCloseTo(-(0.1 * Math.log(0.25) + 0.9 * Math.log(0.75)), 5);
    // batch mean
    const two = await val(() => tf.tidy(() => smoothedCrossEntropy(tf.tensor2d([[0, L3], [0, L3]]), tf.tensor1d([1, 0], 'int32'))));
    expect(two).toBeCloseTo((-Math.log(0.75) - Math.log(0.25)) / 2, 5);
  });

  it('distillation KL·T² and the alpha mix', async () => {
    // T = 2: teacher [0, 2 ln3]/2 → [0.25, 0.75]; student [0, 0] → [0.5, 0.5]
    const kl = 0.25 * Math.log(0.25 / 0.5) + 0.75 * Math.log(0.75 / 0.5);
    const kd = await val(() => tf.tidy(() => distillationLoss(tf.tensor2d([[0, 0]]), tf.tensor2d([[0, 2 * L3]]), 2)));
    expect(kd).toBeCloseTo(4 * kl, 5);
    const same = await val(() => tf.tidy(() => distillationLoss(tf.tensor2d([[1, 2, 3]]), tf.tensor2d([[1, 2, 3]]), 4)));
    expect(same).toBeCloseTo(0, 6);
    const mix = await val(() =>
      tf.tidy(() => trainingLoss(tf.tensor2d([[0, 0]]), tf.tensor1d([1], 'int32'), { distill: { temperature: 2, alpha: 0.25 } }, tf.tensor2d([[0, 2 * L3]]))),
    );
    expect(mix).toBeCloseTo(0.75 * Math.log(2) + 0.25 * 4 * kl, 5);
  });
});
