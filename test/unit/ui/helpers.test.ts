import { describe, expect, it } from 'vitest';
import { fmtBytes, fmtCount, fmtDuration, fmtPct, fmtReduction, withoutBatch } from '../../../src/ui/common/format';
import { addProgressPoint, fromHistory, type CurvePoint } from '../../../src/ui/common/curves';
import { toUiError } from '../../../src/ui/common/errors';
import { datasetSource, defaultName } from '../../../src/ui/data/files';
import { stepFromHash } from '../../../src/ui/steps';
import { mapToRgba } from '../../../src/ui/analyse/maps';

describe('format', () => {
  it('formats counts, bytes, percentages, durations and reductions', () => {
    expect(fmtCount(999)).toBe('999');
    expect(fmtCount(269_722)).toBe('269.72 K');
    expect(fmtCount(40_550_000)).toBe('40.55 M');
    expect(fmtCount(3e9)).toBe('3.00 G');
    expect(fmtCount(undefined)).toBe('–');
    expect(fmtBytes(2048)).toBe('2.0 KB');
    expect(fmtBytes(1.5 * 2 ** 20)).toBe('1.50 MB');
    expect(fmtPct(0.9123)).toBe('91.23 %');
    expect(fmtDuration(850)).toBe('850 ms');
    expect(fmtDuration(185_000)).toBe('3 min 05 s');
    expect(fmtDuration(3_720_000)).toBe('1 h 02 min');
    expect(fmtReduction(100, 58)).toBe('−42.0 %');
    expect(fmtReduction(0, 5)).toBe('–');
  });

  it('drops the batch dimension of Keras shapes', () => {
    expect(withoutBatch([-1, 32, 32, 16])).toEqual([32, 32, 16]);
    expect(withoutBatch([null, 10])).toEqual([10]);
    expect(withoutBatch([8, 8, 3])).toEqual([8, 8, 3]);
  });
});

describe('curves from progress', () => {
  const p = (data: Record<string, number>) => ({ phase: 'epoch', fraction: 0.5, data });

  it('appends epochs, replaces the same epoch and keeps validation numbers', () => {
    let pts: CurvePoint[] = [];
    pts = addProgressPoint(pts, p({ epoch: 1, loss: 2, acc: 0.1 }))!;
    pts = addProgressPoint(pts, p({ epoch: 1, loss: 1.8, acc: 0.2, valAcc: 0.25 }))!;
    pts = addProgressPoint(pts, p({ epoch: 1, loss: 1.7, acc: 0.22 }))!;
    expect(pts).toHaveLength(1);
    expect(pts[0]).toMatchObject({ epoch: 1, loss: 1.7, acc: 0.22, valAcc: 0.25 });
    pts = addProgressPoint(pts, p({ epoch: 2, loss: 1.2, acc: 0.5, lr: 0.01 }))!;
    expect(pts.map((q) => q.epoch)).toEqual([1, 2]);
    // A restart from an earlier epoch (resumed run) drops the later points.
    pts = addProgressPoint(pts, p({ epoch: 1.5, loss: 1.5, acc: 0.3 }))!;
    expect(pts.map((q) => q.epoch)).toEqual([1, 1.5]);
  });

  it('ignores progress without metrics', () => {
    expect(addProgressPoint([], { phase: 'load', fraction: 0 })).toBeUndefined();
    expect(addProgressPoint([], p({ epoch: 1 }))).toBeUndefined();
  });

  it('converts a finished history', () => {
    const h = fromHistory([{ epoch: 1, loss: 1, acc: 0.5, lr: 0.1, ms: 10, imagesPerSecond: 5 }]);
    expect(h[0]).toEqual({ epoch: 1, loss: 1, acc: 0.5, valAcc: null, valLoss: null, lr: 0.1 });
  });
});

describe('misc UI helpers', () => {
  it('keeps StudioError code and message', () => {
    expect(toUiError(Object.assign(new Error('Backend "x" unknown'), { code: 'backend-unavailable' }))).toEqual({ code: 'backend-unavailable', message: 'Backend "x" unknown' });
    expect(toUiError(new TypeError('boom'))).toEqual({ code: 'TypeError', message: 'boom' });
    expect(toUiError('plain')).toEqual({ code: 'error', message: 'plain' });
  });

  it('passes one archive as a Blob and folders as NamedFile[]', () => {
    const tgz = { path: 'cifar-10-binary.tar.gz', file: new Blob(['x']) };
    expect(datasetSource([tgz])).toBe(tgz.file);
    const folder = [{ path: 'pets/cat/1.png', file: new Blob(['a']) }, { path: 'pets/dog/1.png', file: new Blob(['b']) }];
    expect(datasetSource(folder)).toBe(folder);
    expect(defaultName(folder)).toBe('pets');
    expect(defaultName([tgz])).toBe('cifar-10-binary');
  });

  it('routes hashes to steps', () => {
    expect(stepFromHash('#/prune')).toBe('prune');
    expect(stepFromHash('#/deploy?x=1')).toBe('deploy');
    expect(stepFromHash('')).toBe('data');
    expect(stepFromHash('#/nope')).toBe('data');
  });

  it('maps feature maps to grayscale min..max', () => {
    const rgba = mapToRgba(new Float32Array([-1, 0, 1]));
    expect([...rgba]).toEqual([0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255]);
    expect(mapToRgba(new Float32Array([3, 3]))[0]).toBe(128);
  });
});
