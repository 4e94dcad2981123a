#!/usr/bin/env node
/**
 * `npm run bench [-- --quick] [-- --resume]`: the seed's experiment table, reproduced by the studio on real CIFAR-10.
 * Runs the BUILT app (dist/) in headless Chromium and drives it only through `window.studio`; writes
 * bench/results/<YYYY-MM-DD>-<hostname>[-quick].json after every cell, then regenerates docs/benchmarks.md
 * (bench/report.mjs). Flags:
 *   --quick                 a few minutes: ResNet-20 only, 3 criteria, demo-size fine-tunes, no zoo training
 *   --resume                skip the cells already recorded as ok in the results file
 *   --out FILE              results file (default bench/results/<date>-<host>[-quick].json)
 *   --dist DIR              built app to serve (default dist)
 *   --only REGEX            run only the cells whose id matches (other cells already in the results file are kept)
 *   --webgpu / --no-webgpu  force WebGPU latency cells on or off (default: off on a software adapter)
 *   --webgl                 WebGL latency cells on a software rasteriser too (default: only on a real GPU)
 *   --cpu                   add the plain-JS cpu backend to the latency cells
 *   --batches N --batch-size N   pruning analysis images (quick 2 × 64, full 8 × 64)
 *   --ft-epochs N --ft-lr X fine-tune budget (default 1 epoch, lr 0.01, on the lossless subset)
 *   --calibration-images N  recovery section: calibration images (quick 128, full 512; lossless training images)
 *   --recover-ft-lr X       recovery section: lr of the distilled fine-tune after recovery (default 0.003)
 *   --subset-train N        real CIFAR-10 training images in the lossless subset (quick 256, full 4000; ≤ 4000)
 *   --full-train-split      full mode: fine-tune and train the zoo models on all 50000 training images instead of the
 *                           subset (a GPU-sized budget: hours per cell on 2 CPU cores)
 *   --prune-arch resnet20|resnet56   (quick resnet20, full resnet56)
 *   --vgg-epochs N --densenet-epochs N   zoo training budgets in full mode (default 2 and 1 epochs over the training
 *                           data above; 0 skips)
 *   --zoo-images N          full mode: zoo training uses the first N lossless training images (default 2000)
 *   --seed N                seed of analysis sampling, the random criterion and training (default 1)
 *   --no-report             do not regenerate docs/benchmarks.md
 */
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireShared } from '../test/e2e/browser.mjs';
import { fmtDuration, loadResults, runCells, saveResults } from './lib/cells.mjs';
import { buildCells } from './lib/sections.mjs';
import { StudioSession } from './lib/session.mjs';
import { buildSubset } from './lib/subset.mjs';
import { writeReport } from './report.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (n) => argv.includes(n);
const opt = (n, d) => { const i = argv.indexOf(n); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };
const num = (n, d) => { const v = Number(opt(n, d)); if (!Number.isFinite(v)) throw new Error(`${n} needs a number`); return v; };

const quick = flag('--quick');
const started = Date.now();
const log = (m) => console.log(m);

const shared = requireShared();
const subset = buildSubset(shared, { train: num('--subset-train', quick ? 256 : 4000), test: 200 });
const fullSplit = flag('--full-train-split');
const zooImages = num('--zoo-images', 2000);
const zooSubset = quick || fullSplit ? null : buildSubset(shared, { train: zooImages, test: 200 });
const session = new StudioSession({ dist: resolve(ROOT, opt('--dist', 'dist')), shared, benchData: subset.dir, log });
log(`bench: ${quick ? 'quick' : 'FULL'} mode; starting Chromium on ${opt('--dist', 'dist')}`);
await session.start();

const backends = await session.call((s) => s.backends());
const available = backends.filter((b) => b.available).map((b) => b.name);
const webgpu = backends.find((b) => b.name === 'webgpu');
const softwareGpu = /swiftshader/i.test(JSON.stringify(webgpu?.details ?? {}));
const webgl = backends.find((b) => b.name === 'webgl');
const softwareWebgl = softwareGpu || /swiftshader|software|llvmpipe/i.test(JSON.stringify([webgl?.details ?? {}, webgl?.reason ?? '']));
// software GPU adapters are never the studio's inference default, so their (seconds-long) timings are opt-in
const useWebgpu = available.includes('webgpu') && (flag('--webgpu') || (!flag('--no-webgpu') && !softwareGpu));
const useWebgl = available.includes('webgl') && (flag('--webgl') || !softwareWebgl);
const latencyBackends = ['webgpu', 'webgl', 'wasm', 'cpu'].filter((b) => available.includes(b)
  && (b !== 'webgpu' || useWebgpu) && (b !== 'webgl' || useWebgl) && (b !== 'cpu' || flag('--cpu')));

const cfg = {
  quick,
  seed: num('--seed', 1),
  latency: quick ? { warmup: 3, runs: 20, minTimeMs: 500 } : { warmup: 5, runs: 30, minTimeMs: 1500, maxTimeMs: 45_000 },
  latencyModels: quick ? ['resnet20'] : ['resnet20', 'resnet56', 'vgg16'],
  runtimesModels: quick ? ['resnet20'] : ['resnet20', 'resnet56', 'vgg16'],
  trainSpeedModels: quick ? ['resnet20'] : ['resnet20', 'resnet56'],
  trainCallImages: quick ? 256 : 1000,
  guidedRun: true,
  latencyBackends,
  skippedBackends: ['webgpu', 'webgl', 'wasm', 'cpu'].filter((b) => !latencyBackends.includes(b)).map((b) => ({
    backend: b,
    why: !available.includes(b) ? (backends.find((x) => x.name === b)?.reason ?? 'unavailable')
      : b === 'webgpu' ? `software adapter (${webgpu?.details?.architecture ?? 'SwiftShader'}): seconds per image, never the inference default (--webgpu forces it)`
        : b === 'webgl' ? 'software rasteriser (SwiftShader): never the inference default (--webgl forces it)'
          : 'the plain-JS reference backend (--cpu adds it)',
  })),
  accuracyModels: quick ? ['resnet20'] : ['resnet20', 'resnet56', 'vgg16'],
  fullTestSet: !quick,
  pruneArch: opt('--prune-arch', quick ? 'resnet20' : 'resnet56'),
  criteria: quick ? ['hrank', 'l1', 'random'] : ['hrank', 'chip', 'apoz', 'mean', 'l1', 'fpgm', 'taylor', 'random'],
  // section 7 fine-tunes every criterion distilled; plain (no teacher) too only for these (2 CPU cores: time)
  plainFtCriteria: quick ? ['hrank', 'l1', 'random'] : ['l1'],
  analysisArch: quick ? 'resnet20' : 'resnet56',
  analysisCriteria: quick ? ['hrank', 'chip'] : ['hrank', 'chip', 'apoz', 'mean', 'taylor', 'l1', 'fpgm', 'random'],
  analysisBatches: quick ? 1 : 5,
  analysisBatchSize: 128,
  analysisRepeats: quick ? 1 : 3,
  pruneOnlyArch: quick ? null : 'resnet20',
  pruneTarget: 0.5,
  pruneScope: 'uniform',
  // recovery section: the pruned model recovered before any fine-tune (studio.prune recover), scope 'auto'
  // (criterion l1 with every method and the same-budget variants; the other criteria with reconstruction)
  recoverCells: quick ? ['none', 'bn', 'reconstruct'].map((method) => ({ arch: 'resnet20', criterion: 'l1', method, headline: method === 'reconstruct' })) : [
    { arch: 'resnet56', criterion: 'l1', method: 'none' },
    { arch: 'resnet56', criterion: 'l1', method: 'bn' },
    { arch: 'resnet56', criterion: 'l1', method: 'reconstruct', headline: true },
    { arch: 'resnet56', criterion: 'l1', method: 'reconstruct', variant: 'inner', scope: 'inner' },
    { arch: 'resnet56', criterion: 'l1', method: 'reconstruct', variant: 'calib2000', calibrationImages: 2000 },
    ...['hrank', 'chip', 'taylor', 'random'].map((criterion) => ({ arch: 'resnet56', criterion, method: 'reconstruct' })),
    { arch: 'resnet56', criterion: 'l1', method: 'reconstruct', variant: 'full-split', ftData: 'full', headline: true },
  ],
  calibrationImages: num('--calibration-images', quick ? 128 : 512),
  recoverFtLr: num('--recover-ft-lr', 0.003),
  batches: num('--batches', quick ? 2 : 8),
  batchSize: num('--batch-size', 64),
  ftEpochs: num('--ft-epochs', 1),
  // fine-tunes and zoo training: the lossless subset unless --full-train-split (2 CPU cores train ~30–90 img/s)
  trainData: fullSplit ? 'full' : 'subset',
  zooSubset: zooSubset ? { file: zooSubset.file, train: zooSubset.train } : null,
  ftLr: num('--ft-lr', 0.01),
  subset: { file: subset.file, train: subset.train, test: subset.test },
  prunedLatencyBackends: ['wasm', ...(useWebgpu ? ['webgpu'] : [])],
  // speed-up section: real GPU adapters only (a software adapter is never the inference default)
  speedupModels: quick ? ['resnet20'] : ['resnet20', 'resnet56', 'vgg16', 'mobilenetv2'],
  speedupBackends: ['wasm', ...(available.includes('webgpu') && !softwareGpu ? ['webgpu'] : []), ...(available.includes('webgl') && !/swiftshader|software/i.test(backends.find((x) => x.name === 'webgl')?.reason ?? '') && !softwareGpu ? ['webgl'] : [])],
  latencySpeedup: num('--latency-speedup', 2),
  zooTraining: quick ? [] : [
    { arch: 'vgg16', epochs: num('--vgg-epochs', 2), estimateMs: (fullSplit ? 3 * 3600_000 : 150_000) * num('--vgg-epochs', 2) },
    { arch: 'densenet40', epochs: num('--densenet-epochs', 1), estimateMs: (fullSplit ? 3 * 3600_000 : 400_000) * num('--densenet-epochs', 1) },
  ].filter((z) => z.epochs > 0),
  zooBackend: opt('--zoo-backend', undefined),
  cellTimeoutMs: quick ? 10 * 60_000 : 48 * 3600_000,
};

const date = new Date().toISOString().slice(0, 10);
const path = resolve(opt('--out', join(ROOT, 'bench/results', `${date}-${hostname()}${quick ? '-quick' : ''}.json`)));
const resume = flag('--resume');
const only = opt('--only', undefined);
// --only keeps the rest of an existing results file (the selected cells run again unless --resume skips the ok ones)
const prior = resume || only ? loadResults(path) : null;
if (prior && prior.mode !== (quick ? 'quick' : 'full')) throw new Error(`${path} holds a ${prior.mode} run; --resume needs the same mode.`);
const data = prior ?? { schema: 1, mode: quick ? 'quick' : 'full', startedAt: new Date().toISOString(), host: hostname(), cells: {} };
data.config = cfg;
saveResults(path, data);

let cells = buildCells(session, cfg);
if (only) cells = cells.filter((c) => new RegExp(only).test(c.id));
log(`${cells.length} cells → ${path}`);

try {
  await runCells(cells, {
    data, path, resume, log,
    onError: async () => { await session.recover(); },
    // Chromium's in-memory profile keeps the bytes of deleted IndexedDB values (importing and deleting VGG-16 three
    // times left 215 MB in use with no keys; the one-pass run on b43b304 ran out of quota at its last cell), so past a
    // third of the quota the page is reopened, which empties its storage.
    afterCell: async () => {
      const st = await session.tidy();
      if (st.usageBytes > st.quotaBytes / 3) { await session.reopen(); st.reopened = true; }
      return st;
    },
  });
} finally {
  if (session.errors?.length) { data.pageErrors = session.errors.slice(0, 20); saveResults(path, data); }
  await session.close();
}
const failed = cells.filter((c) => data.cells[c.id]?.status !== 'ok').map((c) => c.id);
log(`bench done in ${fmtDuration(Date.now() - started)}; ${cells.length - failed.length} ok, ${failed.length} failed${failed.length ? `: ${failed.join(', ')}` : ''}`);
if (!flag('--no-report')) {
  const out = writeReport({ root: ROOT, file: path });
  log(`report: ${out.join(', ')}`);
}
