import { describe, expect, it } from 'vitest';
import { importNames, versionName } from '../../../src/api/worker/names';

describe('version names', () => {
  it('drops "(untrained)" once a version is made from an untrained model', () => {
    expect(versionName('ResNet-20 (untrained)', 'trained')).toBe('ResNet-20 · trained');
    expect(versionName('VGG-16-BN (untrained)', 'pruned (l1)')).toBe('VGG-16-BN · pruned (l1)');
  });
  it('appends the step to a named version', () => {
    expect(versionName('ResNet-20 · trained', 'pruned (hrank)')).toBe('ResNet-20 · trained · pruned (hrank)');
    expect(versionName('my model', 'fine-tuned')).toBe('my model · fine-tuned');
  });
  it('counts the same step twice instead of repeating it', () => {
    expect(versionName('ResNet-20 · trained', 'trained')).toBe('ResNet-20 · trained (2)');
    expect(versionName('ResNet-20 · trained (2)', 'trained')).toBe('ResNet-20 · trained (3)');
    expect(versionName('A · pruned (l1)', 'pruned (l1)')).toBe('A · pruned (l1) (2)');
  });
  it('keeps a name that is only "(untrained)"', () => {
    expect(versionName('(untrained)', 'trained')).toBe('(untrained) · trained');
  });
});

describe('import names', () => {
  it('never says "imported imported model"', () => {
    expect(importNames(undefined, undefined)).toEqual({ name: 'Imported model', step: 'imported' });
    expect(importNames(undefined, 'my-net')).toEqual({ name: 'my-net', step: 'imported from my-net' });
    expect(importNames('ResNet-20', 'resnet20')).toEqual({ name: 'ResNet-20 (resnet20)', step: 'imported from resnet20' });
    expect(importNames('ResNet-20', '  ')).toEqual({ name: 'ResNet-20', step: 'imported' });
  });
});
