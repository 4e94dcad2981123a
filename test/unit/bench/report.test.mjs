// The bench report is generated from the results JSON only: every table must show what the cells recorded,
// failed cells must say so, and nothing may be invented for cells that did not run.
import { describe, expect, it } from 'vitest';
import { PUBLISHED, renderReport } from '../../../bench/report.mjs';

const lat = (median) => ({ medianMs: median, p90Ms: median * 1.2, minMs: median * 0.9, runs: 30, throughput: 100 });
const ok = (result) => ({ status: 'ok', result });
const base = { params: 853018, macs: 125485706, flops: 250971412 };

const pairOf = (median, low, high, a = 20) => ({ pairs: 60, threads: 2, a: lat(a), b: lat(a / median), ratio: { median, low, high }, verdict: 'b-faster', load: { before: { contention: 1.02 }, after: { contention: 1.05 } } });
function speedupResult() {
  return {
    arch: 'resnet56', backend: 'wasm', original: { macs: 125e6, params: 853e3 },
    versions: {
      optimized: { macs: 125e6 }, pruned: { macs: 62.5e6 }, prunedOptimized: { macs: 62.5e6 },
      latencyPlan: { macs: 25e6, plan: { latency: { estimatedSpeedup: 2.01 }, warnings: [] } }, latencyPlanOptimized: { macs: 25e6 },
    },
    timings: {
      'original/optimized': pairOf(1.31, 1.28, 1.35), 'original/pruned': pairOf(1.2, 1.1, 1.3), 'original/prunedOptimized': pairOf(1.84, 1.8, 1.9),
      'original/latencyPlanOptimized': pairOf(2.05, 2.0, 2.1), 'optimized/prunedOptimized': pairOf(1.41, 1.38, 1.44),
    },
  };
}

function results() {
  return {
    mode: 'full', startedAt: '2026-11-25T09:00:00Z',
    config: {
      latency: { warmup: 5, runs: 30, minTimeMs: 1500, maxTimeMs: 45000 }, latencyModels: ['resnet56'], latencyBackends: ['wasm'], accuracyModels: ['resnet56'],
      pruneArch: 'resnet56', pruneOnlyArch: 'resnet20', criteria: ['hrank', 'chip'], pruneTarget: 0.5, pruneScope: 'uniform', batches: 8, batchSize: 64, ftEpochs: 1, ftLr: 0.01,
      trainData: 'subset', subset: { train: 4000 }, zooSubset: { train: 2000 }, zooTraining: [{ arch: 'vgg16', epochs: 1 }],
      analysisArch: 'resnet56', analysisBatches: 5, analysisBatchSize: 128, prunedLatencyBackends: ['wasm'],
    },
    cells: {
      'latency:resnet56:wasm': ok({ model: { macs: base.macs }, stats: lat(20) }),
      'accuracy:resnet56:test0-999': ok({ top1: 0.937, top5: 0.998, count: 1000 }),
      'analysis:resnet56:hrank': ok({ criterion: 'hrank', images: 640, ms: 16300, runsMs: [17000, 16300, 15900], workers: 2, warnings: [] }),
      'analysis:resnet56:chip': { status: 'error', error: { message: 'boom in chip' } },
      'prune:resnet56:hrank': ok({
        criterion: 'hrank', analysis: { ms: 14000, images: 512 }, base, pruned: { params: 420000, macs: 62700000, flops: 125400000, top1Test0to999: 0.123 },
        macsRatio: 0.4997, fineTune: { plain: { top1Test0to999: 0.811, budget: { epochs: 1, trainImages: 4000, dataset: 'real CIFAR-10 subset', batchSize: 64, lr: 0.01 } }, distilled: { top1Test0to999: 0.834 } },
        latency: { wasm: lat(12) }, baseLatency: { wasm: lat(20) },
      }),
      'prune-only:resnet20:hrank': ok({ criterion: 'hrank', analysis: { ms: 5000, images: 512 }, base: { params: 269722, macs: 40551040, flops: 81102080 }, pruned: { params: 134800, macs: 20100000, flops: 40200000, top1Test0to999: 0.456 }, macsRatio: 0.4957, baseLatency: lat(6), latency: lat(4) }),
      'speedup:resnet56:wasm': ok(speedupResult()),
      'speedup:vgg16:wasm': { status: 'error', error: { message: 'boom in vgg' } },
      'zoo-train:vgg16': ok({ arch: 'vgg16', options: { epochs: 1, batchSize: 32, lr: 0.05, schedule: 'cosine' }, data: 'real CIFAR-10 train images 0–1999 (lossless)', backend: 'wasm', params: 14991946, macs: 313463808, trainMs: 600000, history: [{ imagesPerSecond: 3.3 }], top1Test0to999: 0.21, latencyWasm: lat(24), pruned: { params: 7400000, macs: 156000000, top1Test0to999: 0.15, latencyWasm: lat(13) } }),
    },
  };
}

describe('bench report', () => {
  const md = renderReport(results(), 'bench/results/test.json');

  it('shows the analysis-time table, with the failed cell marked as failed', () => {
    expect(md).toContain('## 7a. Importance analysis time');
    expect(md).toMatch(/\| hrank \| 640 \| 16\.3 s \| 17\.0 s, 16\.3 s, 15\.9 s \| 25\.5 ms \| 2 \|/);
    expect(md).toContain('failed: boom in chip');
  });

  it('shows the pruning table from the recorded numbers (FLOPs = 2 × MACs)', () => {
    expect(md).toContain('12.3 %');
    expect(md).toContain('81.1 %');
    expect(md).toContain('83.4 %');
    expect(md).toContain('125.40M');
    expect(md).toContain('1 epoch on 4000 images');
    // criteria in the config that did not run are listed as such, not filled in
    expect(md).toMatch(/\| chip \| not run \|/);
  });

  it('shows the one-shot table and the zoo models original vs pruned', () => {
    expect(md).toContain('## 7b. One-shot pruning, no fine-tune: resnet20');
    expect(md).toContain('**45.6 %**');
    expect(md).toMatch(/vgg16 \| 14\.99M → 7\.40M \| 313\.46M → 156\.00M/);
    expect(md).toContain('21.0 % → 15.0 %');
    expect(md).toContain('real CIFAR-10 train images 0–1999 (lossless)');
  });

  it('shows the speed-up table with intervals, the ratio to the MACs ratio and the latency plan', () => {
    expect(md).toContain('## 9. Speed-up');
    expect(md).toMatch(/\| resnet56 \| wasm \| 2 \| ×2\.00 \| ×1\.31 \(1\.28–1\.35\) \| ×1\.20 \(1\.10–1\.30\) \| \*\*×1\.84 \(1\.80–1\.90\)\*\* \| 0\.92 \| ×1\.41 \(1\.38–1\.44\) \|/);
    expect(md).toContain('×5.00, ×2.01 → ×2.05 (2.00–2.10)');
    expect(md).toContain('1.02 / 1.05');
    expect(md).toMatch(/\| vgg16 \| wasm \| failed: boom in vgg/);
  });

  it('labels the published numbers as theirs', () => {
    expect(md).toContain('Published reference (THEIRS, not measured here)');
    for (const p of PUBLISHED) expect(md).toContain(p.pruned);
    expect(PUBLISHED.some((p) => p.method.startsWith('Torch-Pruning'))).toBe(true);
  });
});
