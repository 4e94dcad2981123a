import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { getStudioMeta, setStudioMeta } from '../../../src/engine/models/metadata';
import { validateForDataset } from '../../../src/engine/models/validate';
import { createZooModel } from '../../../src/engine/models/zoo';

const CIFAR10 = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

describe('validateForDataset', () => {
  const model = createZooModel('resnet20', { numClasses: 10, inputSize: 32, classes: CIFAR10, seed: 1 });
  afterAll(() => model.dispose());

  it('accepts a matching dataset', () => {
    expect(validateForDataset(model, { imageSize: 32, classes: CIFAR10 })).toEqual([]);
  });

  it('throws shape-mismatch naming both sizes', () => {
    expect(() => validateForDataset(model, { imageSize: 64, classes: CIFAR10 })).toThrow(
      expect.objectContaining({ code: 'shape-mismatch', message: expect.stringMatching(/expects 32x32 .* 64x64/) }),
    );
  });

  it('throws classes-mismatch naming both counts', () => {
    expect(() => validateForDataset(model, { imageSize: 32, classes: ['a', 'b'] })).toThrow(
      expect.objectContaining({ code: 'classes-mismatch', message: expect.stringMatching(/10 output classes .* 2/) }),
    );
  });

  it('warns when class names differ, and for size-agnostic inputs', () => {
    const renamed = [...CIFAR10];
    renamed[3] = 'kitten';
    const w = validateForDataset(model, { imageSize: 32, classes: renamed });
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/'cat' vs dataset 'kitten'/);
    const input = tf.input({ shape: [null, null, 3] } as unknown as { shape: number[] });
    const out = tf.layers.dense({ units: 10 }).apply(
      tf.layers.globalAveragePooling2d({}).apply(input) as tf.SymbolicTensor,
    ) as tf.SymbolicTensor;
    const free = tf.model({ inputs: input, outputs: out });
    expect(validateForDataset(free, { imageSize: 48, classes: CIFAR10 })[0]).toMatch(/any image size/);
    free.dispose();
  });

  it('rejects non-RGB inputs', () => {
    const input = tf.input({ shape: [32, 32, 1] });
    const out = tf.layers.dense({ units: 10 }).apply(tf.layers.flatten().apply(input) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const gray = tf.model({ inputs: input, outputs: out });
    expect(() => validateForDataset(gray, { imageSize: 32, classes: CIFAR10 })).toThrow(/1 input channels/);
    gray.dispose();
  });
});

describe('studio metadata', () => {
  it('falls back to defaults and keeps foreign keys when setting', () => {
    const input = tf.input({ shape: [4] });
    const m = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3 }).apply(input) as tf.SymbolicTensor });
    expect(getStudioMeta(m)).toEqual({
      arch: 'imported',
      classes: ['class_0', 'class_1', 'class_2'],
      input: { range: [0, 255], mean: [0, 0, 0], std: [1, 1, 1], normalizeOutside: false },
      lineage: ['imported'],
    });
    m.setUserDefinedMetadata({ labels: ['x', 'y', 'z'], input: { range: [0, 1], mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] } });
    const foreign = getStudioMeta(m);
    expect(foreign.classes).toEqual(['x', 'y', 'z']);
    // no normalize layer in the graph: the pipeline must normalise
    expect(foreign.input).toEqual({ range: [0, 1], mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], normalizeOutside: true });
    setStudioMeta(m, { ...foreign, arch: 'mine' });
    expect(getStudioMeta(m).arch).toBe('mine');
    expect((m.getUserDefinedMetadata() as { labels: string[] }).labels).toEqual(['x', 'y', 'z']);
    m.dispose();
  });
});
