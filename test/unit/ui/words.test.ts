import { describe, expect, it } from 'vitest';
import { cleanMessage, errorTitle, isCancel, toUiError } from '../../../src/ui/common/errors';
import { axisRange } from '../../../src/ui/common/format';
import { defaultName, nameAfterPick } from '../../../src/ui/data/files';
import { GUIDED_STEPS, overallFraction } from '../../../src/ui/guided/plan';

describe('error words', () => {
  it('gives every engine code a human title and a fallback for unknown ones', () => {
    for (const code of ['bad-input', 'corrupt-archive', 'missing-file', 'too-large', 'cancelled', 'engine-restarted', 'internal'])
      expect(errorTitle(code)).not.toMatch(/^[a-z]+-[a-z]+$|Something went wrong$/);
    expect(errorTitle('TypeError')).toBe('Something went wrong');
  });
  it('strips raw codes in front of a message', () => {
    expect(cleanMessage('missing-file', 'missing-file: No model.json found in the picked files.')).toBe('No model.json found in the picked files.');
    expect(cleanMessage('bad-input', 'StudioError: corrupt-archive: truncated gzip')).toBe('truncated gzip');
    expect(cleanMessage('bad-input', 'Epochs must be at least 1: got 0')).toBe('Epochs must be at least 1: got 0');
    expect(cleanMessage('internal', 'internal: ')).toBe(errorTitle('internal'));
    expect(toUiError(Object.assign(new Error('missing-file: No model.json'), { code: 'missing-file' }))).toEqual({ code: 'missing-file', message: 'No model.json' });
  });
  it('tells a cancel from an error', () => {
    expect(isCancel({ code: 'cancelled' })).toBe(true);
    expect(isCancel({ code: 'engine-restarted' })).toBe(false);
    expect(isCancel(null)).toBe(false);
  });
});

describe('accuracy axes', () => {
  it('fit the data but never leave [lo, hi]', () => {
    const [a, b] = axisRange(60, 95, 0, 100);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(b).toBeLessThanOrEqual(100);
    expect(a).toBeLessThanOrEqual(60);
    expect(b).toBeGreaterThanOrEqual(95);
    expect(axisRange(99.5, 99.5, 0, 100)[1]).toBe(100);
    expect(axisRange(0.1, 0.2, 0, 1)[0]).toBeGreaterThanOrEqual(0);
    expect(axisRange(null, undefined, 0, 100)).toEqual([0, 100]);
    expect(axisRange(150, 150, 0, 100)).toEqual([0, 100]);
  });
});

describe('dataset Name field', () => {
  const a = [{ path: 'cats.zip', file: new Blob(['a']) }];
  const b = [{ path: 'dogs.zip', file: new Blob(['b']) }];
  it('follows a new pick unless the user typed a name', () => {
    expect(nameAfterPick('', '', a)).toBe('cats');
    expect(nameAfterPick('cats', defaultName(a), b)).toBe('dogs');
    expect(nameAfterPick('my pets', defaultName(a), b)).toBe('my pets');
    expect(nameAfterPick('cats', defaultName(a), [])).toBe('cats');
  });
});

describe('guided run progress', () => {
  it('goes from 0 to 1 through the steps, weighted', () => {
    expect(overallFraction(0, 0)).toBe(0);
    expect(overallFraction(GUIDED_STEPS.length, 0)).toBe(1);
    const mid = overallFraction(2, 0.5);
    expect(mid).toBeGreaterThan(overallFraction(2, 0));
    expect(mid).toBeLessThan(overallFraction(3, 0));
    expect(overallFraction(1, NaN)).toBe(overallFraction(1, 0));
    expect(overallFraction(-1, 0.5)).toBe(0);
    expect(GUIDED_STEPS.map((s) => s.id)).toEqual(['data', 'model', 'train', 'analyse', 'prune', 'finetune', 'compare']);
    for (const s of GUIDED_STEPS) expect(s.explain.length).toBeLessThan(140);
  });
});
