import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectNoLeak } from '../../helpers/leak';
import { argmaxBatches, scoreBatches, type EvalBatch } from '../../../src/engine/metrics/accuracy';
import { describeDevice, measureLatency, quantile } from '../../../src/engine/metrics/latency';
import { criterionCell, paretoFront, reportToCsv, reportToMarkdown, type ReportRow } from '../../../src/engine/metrics/report';

const K = 6;
/** Model whose output equals its input vector: logits = x (or softmax(x)). */
function passThrough(softmax: boolean): tf.LayersModel {
  const inp = tf.input({ shape: [1, 1, K] });
  const f = tf.layers.flatten().apply(inp) as tf.SymbolicTensor;
  const d = tf.layers.dense({ units: K, kernelInitializer: 'identity', biasInitializer: 'zeros', activation: softmax ? 'softmax' : 'linear' });
  return tf.model({ inputs: inp, outputs: d.apply(f) as tf.SymbolicTensor });
}
const ROWS = [
  [5, 4, 3, 2, 1, 0], // label 0: top1 hit
  [5, 4, 3, 2, 1, 0], // label 5: rank 6 → miss, miss
  [0, 1, 2, 3, 4, 5], // label 1: rank 5 → top1 miss, top5 hit
  [0, 0, 9, 0, 0, 0], // label 2: hit
];
const LABELS = [0, 5, 1, 2];
async function* feed(): AsyncGenerator<EvalBatch> {
  for (const [a, b] of [[0, 3], [3, 4]] as const) {
    yield { xs: tf.tensor4d(ROWS.slice(a, b).flat(), [b - a, 1, 1, K]), ys: tf.tensor1d(LABELS.slice(a, b), 'int32'), size: b - a };
  }
}
const logSoftmax = (r: number[], y: number) => r[y]! - Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
const expectedLoss = -ROWS.reduce((s, r, i) => s + logSoftmax(r, LABELS[i]!), 0) / 4;

describe('scoreBatches / argmaxBatches', () => {
  for (const softmax of [false, true]) {
    it(`top1, top5, loss, per-class, confusion on known outputs (${softmax ? 'softmax' : 'logit'} model)`, async () => {
      const m = passThrough(softmax);
      const r = await expectNoLeak(() => scoreBatches(m, feed(), 4));
      expect(r.count).toBe(4);
      expect(r.top1).toBe(0.5);
      expect(r.top5).toBe(0.75);
      expect(r.loss).toBeCloseTo(expectedLoss, 4);
      const conf = Array.from({ length: K }, () => new Array(K).fill(0));
      conf[0]![0] = 1;
      conf[5]![0] = 1;
      conf[1]![5] = 1;
      conf[2]![2] = 1;
      expect(r.confusion).toEqual(conf);
      expect(r.perClass).toEqual([1, 0, 1, NaN, NaN, 0]);
      m.dispose();
    });
  }
  it('argmax per image in order', async () => {
    const m = passThrough(false);
    expect(Array.from(await expectNoLeak(() => argmaxBatches(m, feed(), 4)))).toEqual([0, 0, 5, 2]);
    m.dispose();
  });
});

describe('measureLatency', () => {
  it('returns sane statistics and leaks nothing', async () => {
    const m = passThrough(false);
    const r = await expectNoLeak(() => measureLatency(m, { warmup: 1, runs: 5, minTimeMs: 20, throughputBatch: 4 }));
    expect(r.runs).toBeGreaterThanOrEqual(5);
    expect(r.minMs).toBeGreaterThanOrEqual(0);
    expect(r.minMs).toBeLessThanOrEqual(r.medianMs);
    expect(r.medianMs).toBeLessThanOrEqual(r.p90Ms);
    expect(r.meanMs).toBeGreaterThanOrEqual(r.minMs);
    expect(r.throughput).toBeGreaterThan(0);
    expect(r.backend).toBe('cpu');
    expect(describeDevice().backend).toBe('cpu');
    m.dispose();
  });
  it('quantile interpolates', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.9)).toBe(10);
  });
});

describe('report', () => {
  const rows: ReportRow[] = [
    { id: 'a', name: 'resnet56', arch: 'resnet56', top1: 0.9437, top5: 0.9981, params: 855770, macs: 125_485_706, bytes: 3_423_080,
      latency: { wasm: { medianMs: 12.5, p90Ms: 14.25, minMs: 11.75, runs: 50, throughput: 123.5 } } },
    { id: 'b', name: 'resnet56, pruned', parentId: 'a', criterion: 'hrank', pruneRatio: 0.5, top1: 0.9312, top5: 0.9975, top1AfterPrune: 0.6121,
      params: 400001, macs: 62_000_003, flops: 124_000_006, bytes: 1_600_004, fineTuneEpochs: 30, notes: 'has "quotes"',
      latency: { wasm: { medianMs: 6.5, p90Ms: 7.5, minMs: 6.25, runs: 51, throughput: 250.5 }, webgl: { medianMs: 3.5, p90Ms: 4.5, minMs: 3.25, runs: 60, throughput: 900.5 } } },
  ];
  it('CSV has every measure', () => {
    const csv = reportToCsv(rows);
    const [header, a, b] = csv.trim().split('\n');
    for (const h of ['top1', 'top5', 'top1_after_prune', 'params', 'macs', 'flops', 'bytes', 'criterion', 'latency_wasm_median_ms', 'latency_wasm_p90_ms', 'latency_wasm_min_ms', 'latency_wasm_runs', 'latency_wasm_throughput_img_s', 'latency_webgl_median_ms'])
      expect(header!.split(',')).toContain(h);
    for (const v of ['0.9437', '0.9981', '855770', '125485706', '250971412', '3423080', '12.5', '14.25', '11.75', '50', '123.5']) expect(a!.split(',')).toContain(v);
    for (const v of ['"resnet56, pruned"', 'hrank', '0.6121', '124000006', '6.25', '900.5', '"has ""quotes"""', '30']) expect(b).toContain(v);
  });
  it('Markdown labels MACs and FLOPs and shows every measure', () => {
    const mdText = reportToMarkdown(rows);
    for (const s of ['MACs', 'FLOPs (2×MACs)', 'Top-1', 'Top-5', 'Top-1 after prune', 'Params', 'Size', 'Latency wasm', 'Latency webgl',
      '94.37 %', '99.81 %', '61.21 %', '855.8 k', '125.49 M', '250.97 M', '124.00 M', '3.26 MiB', '12.50 (14.25, 11.75; 50) · 123.5', 'hrank, −50 % MACs', '(49.4 %)'])
      expect(mdText).toContain(s);
    expect(mdText.trim().split('\n')).toHaveLength(4);
  });
  it('Markdown criterion cell names what it has, never "– 50 %"', () => {
    expect(criterionCell({ criterion: 'l1', pruneRatio: 0.5 })).toBe('l1, −50 % MACs');
    expect(criterionCell({ pruneRatio: 0.5 })).toBe('−50 % MACs');
    expect(criterionCell({ criterion: 'hrank' })).toBe('hrank');
    expect(criterionCell({})).toBe('–');
    expect(criterionCell({ pruneRatio: 0 })).toBe('–');
    const mdText = reportToMarkdown([{ id: 'p', name: 'pruned by hand', pruneRatio: 0.5, params: 1, macs: 1, bytes: 4 }]);
    expect(mdText).toContain('| −50 % MACs |');
    expect(mdText).not.toMatch(/– 50 %/);
  });
  it('paretoFront keeps the non-dominated points (low MACs, high top1)', () => {
    const pts = [
      { x: 10, y: 0.9 }, // 0 front
      { x: 5, y: 0.85 }, // 1 front
      { x: 7, y: 0.8 }, // 2 dominated by 1
      { x: 12, y: 0.95 }, // 3 front
      { x: 12, y: 0.9 }, // 4 dominated by 3 and 0
      { x: 5, y: 0.85 }, // 5 duplicate of front point 1
      { x: 1, y: NaN }, // 6 ignored
    ];
    expect(paretoFront(pts)).toEqual([1, 5, 0, 3]);
    expect(paretoFront([])).toEqual([]);
  });
});
