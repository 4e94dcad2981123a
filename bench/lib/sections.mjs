/**
 * The benchmark's cells, section by section (docs/benchmarks.md explains each). Every number comes from a
 * `window.studio` call on the built app in this run; nothing is typed in. Cells only need the session
 * (datasets and models are imported on demand), so any of them can run alone after a `--resume`.
 */
import { execSync } from 'node:child_process';
import { cpus, hostname, platform, release, totalmem } from 'node:os';

const git = (cmd) => { try { return execSync(`git ${cmd}`, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return undefined; } };

export const DATA_FIDELITY = 'CIFAR-10 from ../shared/data/cifar-10-binary.tar.gz: test records 0–999 and train records 0–3999 are lossless (original pixels); the other 9000 test / 46000 train images were decoded from JPEG q75, which costs pretrained models about 10 points. Accuracy comparable with published numbers = test 0–999; full-test-set numbers are "JPEG CIFAR-10".';

const MODEL_LABEL = { resnet20: 'akamaster ResNet-20 (pretrained)', resnet56: 'akamaster ResNet-56 (pretrained)', vgg16: 'shared CIFAR-10 VGG-16-BN (trained)' };
const MODEL_URL = { vgg16: '/shared/models/vgg16-tfjs/model.json' };
const modelUrl = (arch) => MODEL_URL[arch] ?? `/shared/models/akamaster-tfjs/${arch}/model.json`;
/** The cell order: what the issue tables need most runs first (a run stopped early still has them). */
const PRIORITY = ['env', 'import', 'pipeline', 'wasm-threads', 'latency', 'runtimes', 'accuracy', 'train-speed', 'train-wasm', 'train-call', 'guided-run', 'speedup', 'recover', 'surgery', 'analysis', 'prune', 'prune-only', 'zoo-train'];

/** Builds the list of cells for `cfg` (see run.mjs for the flags). */
export function buildCells(session, cfg) {
  const cells = [];
  const add = (c) => cells.push(c);
  const latencyOpts = cfg.latency;
  const lat = (modelId, backend) => session.call((s, a) => s.benchmark(a.id, { backends: [a.b], ...a.o }), { id: modelId, b: backend, o: latencyOpts });
  const unwrap = (r, b) => {
    const v = r[b];
    if (!v) throw new Error(`benchmark returned nothing for ${b}: ${JSON.stringify(r)}`);
    if ('error' in v) throw new Error(`benchmark on ${b}: ${v.error}`);
    return v;
  };
  const akamaster = (arch) => session.akamaster(Number(arch.replace('resnet', '')));
  const modelFor = (arch) => (arch.startsWith('resnet') ? akamaster(arch) : arch === 'vgg16' ? session.vgg16() : session.zoo(arch, cfg.seed));
  const wasm = () => session.setBackend('wasm');

  // 1. environment
  add({
    id: 'env', section: 1, title: 'environment', estimateMs: 5_000,
    run: async () => {
      const page = await session.call(async (s) => ({
        version: s.version, backends: await s.backends(), hardwareConcurrency: navigator.hardwareConcurrency,
        userAgent: navigator.userAgent, crossOriginIsolated: self.crossOriginIsolated, deviceMemory: navigator.deviceMemory ?? null,
      }));
      return {
        date: new Date().toISOString(), host: hostname(), platform: `${platform()} ${release()}`,
        cpu: { model: cpus()[0]?.model, cores: cpus().length }, memoryGB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version,
        browser: session.browser.version(), ...page,
        git: { commit: git('rev-parse HEAD'), dirty: (git('status --porcelain --untracked-files=no') ?? '') !== '' },
        dataFidelity: DATA_FIDELITY, config: cfg,
      };
    },
  });

  // 2. import
  add({
    id: 'import', section: 2, title: 'CIFAR-10 tarball import (studio.importDataset(url))', estimateMs: 60_000,
    run: async (log) => {
      const { summary, ms } = await session.cifar(log);
      const fetchMs = await session.call(async (s, url) => { const t = performance.now(); await (await fetch(url)).arrayBuffer(); return performance.now() - t; }, '/shared/data/cifar-10-binary.tar.gz');
      const sub = await session.subset(cfg.subset.file, log);
      return {
        ms, fetchOnlyMs: fetchMs, counts: summary.counts, classCounts: summary.classCounts, bytes: summary.bytes, classes: summary.classes, notes: summary.notes,
        subset: { file: cfg.subset.file, ms: sub.ms, counts: sub.summary.counts, classes: sub.summary.classes },
      };
    },
  });

  // 3. pipeline throughput
  add({
    id: 'pipeline', section: 3, title: 'input pipeline throughput (studio.pipelineThroughput on CIFAR-10 train)', estimateMs: 30_000,
    run: async (log) => {
      const { summary } = await session.cifar(log);
      const measure = (augment) => session.call((s, a) => s.pipelineThroughput(a.id, { batchSize: 128, augment: a.augment, batches: a.batches }), { id: summary.id, augment, batches: cfg.quick ? 20 : 100 });
      return { batchSize: 128, augmented: await measure(true), plain: await measure(false) };
    },
  });

  // 3b. surgery time and latency before/after at −50 % MACs (random scores: only the structure matters here)
  for (const arch of cfg.quick ? ['vgg16', 'resnet110'] : ['vgg16', 'resnet110', 'densenet40', 'mobilenetv2']) {
    add({
      id: `surgery:${arch}`, section: 3, title: `surgery time and wasm b1 latency before/after, zoo ${arch}, −50 % MACs`, estimateMs: 60_000,
      run: async () => {
        const m = await session.zoo(arch, cfg.seed);
        const r = await session.call(async (s, a) => {
          const analysis = await s.analyze(a.id, null, { criterion: 'random', seed: 1 });
          const plan = await s.plan(a.id, analysis, { target: { macs: 0.5 }, scope: 'uniform' });
          const t = performance.now();
          const pruned = await s.pruneModel(a.id, plan);
          return { pruned, callMs: performance.now() - t };
        }, { id: m.id });
        await wasm();
        const before = unwrap(await lat(m.id, 'wasm'), 'wasm');
        const after = unwrap(await lat(r.pruned.id, 'wasm'), 'wasm');
        return {
          arch, original: { params: m.params, macs: m.macs }, pruned: { params: r.pruned.params, macs: r.pruned.macs },
          surgeryMs: r.pruned.measures?.surgeryMs, pruneCallMs: r.callMs, latency: { before, after },
        };
      },
    });
  }

  // 4. WASM threads
  add({
    id: 'wasm-threads', section: 4, title: 'WASM threads and ResNet-20 b1 latency with the default thread count', estimateMs: 10_000,
    run: async () => {
      const m = await akamaster('resnet20');
      const backends = await session.call((s) => s.backends());
      const wasmStatus = backends.find((b) => b.name === 'wasm');
      return { wasm: wasmStatus, latency: unwrap(await lat(m.id, 'wasm'), 'wasm') };
    },
  });

  // 5. backends: latency per model × backend, training speed
  for (const arch of cfg.latencyModels) {
    for (const b of cfg.latencyBackends) {
      add({
        id: `latency:${arch}:${b}`, section: 5, title: `b1 latency, ${MODEL_LABEL[arch] ?? arch}, ${b}`,
        estimateMs: b === 'webgpu' ? 240_000 : b === 'cpu' ? 120_000 : arch === 'resnet20' ? 10_000 : 40_000,
        run: async () => {
          const m = await modelFor(arch);
          return { model: { name: m.name, params: m.params, macs: m.macs, flops: m.flops }, backend: b, options: latencyOpts, stats: unwrap(await lat(m.id, b), b) };
        },
      });
    }
  }
  // 5b. the exported files' runtimes: original vs L1 −50 % MACs pruned, interleaved per runtime (studio.benchmarkPair)
  for (const arch of cfg.runtimesModels ?? ['resnet20', 'resnet56']) {
    add({
      id: `runtimes:${arch}`, section: 5, title: `b1 latency of ${MODEL_LABEL[arch]} and its L1 −50 % MACs pruned version on tfjs-wasm, LiteRT.js (wasm) and onnxruntime-web (wasm)`,
      estimateMs: arch === 'resnet20' ? 60_000 : 120_000,
      run: async (log) => {
        const m = await modelFor(arch);
        await wasm();
        return session.call(async (s, a, onProgress) => {
          const ds = await s.createDemoDataset({ trainPerClass: 8, testPerClass: 4, seed: 3 });
          const p = await s.prune(a.m.id, ds.id, { criterion: 'l1', target: { macs: 0.5 }, evaluate: false }, onProgress);
          const pair = await s.benchmarkPair(a.m.id, p.model.id, { backends: ['wasm'], runtimes: ['litert-wasm', 'ort-wasm'], ...a.o }, onProgress);
          await s.deleteModel(p.model.id);
          await s.deleteDataset(ds.id);
          const info = (x) => ({ macs: x.macs, flops: x.flops, params: x.params, bytes: x.bytes });
          return { original: info(a.m), pruned: info(p.model), options: a.o, pair };
        }, { m, o: cfg.quick ? { warmup: 5, pairs: 20, minTimeMs: 1000 } : { warmup: 20, pairs: 100, minTimeMs: 4000 } }, log);
      },
    });
  }
  add({
    id: 'train-speed', section: 5, title: 'studio.chooseTrainingBackend()', estimateMs: 30_000,
    run: async () => {
      const r = await session.call((s) => s.chooseTrainingBackend());
      await wasm();
      return r;
    },
  });
  for (const arch of cfg.trainSpeedModels ?? ['resnet20']) add({
    id: arch === 'resnet20' ? 'train-wasm' : `train-wasm:${arch}`, section: 5, title: `timed studio.train on wasm: ${MODEL_LABEL[arch]}, 1 epoch on ${cfg.subset.train} real CIFAR-10 training images, batch 64 (steady state)`, estimateMs: arch === 'resnet20' ? 40_000 : 100_000,
    run: async (log) => {
      await wasm();
      const m = await akamaster(arch);
      const sub = await session.subset(cfg.subset.file, log);
      const opts = { epochs: 1, batchSize: 64, lr: 0.01, validateLimit: 0, evaluate: false, seed: cfg.seed, name: 'bench: timed train' };
      const r = await session.call(async (s, a, onProgress) => {
        const t = performance.now();
        const res = await s.train(a.m, a.d, a.o, onProgress);
        const ms = performance.now() - t;
        await s.deleteModel(res.model.id);
        return { history: res.history, wallMs: ms };
      }, { m: m.id, d: sub.summary.id, o: opts }, log);
      return { arch, backend: 'wasm', images: sub.summary.counts.train, options: opts, imagesPerSecond: r.history.at(-1)?.imagesPerSecond, history: r.history, wallMs: r.wallMs, wallImagesPerSecond: sub.summary.counts.train / (r.wallMs / 1000) };
    },
  });
  // a whole short studio.train call as a first visit makes it: fresh page, backend 'auto' (its probe runs inside the
  // call), validation on the default 1,000 test images after the epoch
  for (const arch of cfg.trainSpeedModels ?? ['resnet20']) add({
    id: `train-call:${arch}`, section: 5, title: `a whole short studio.train call in a fresh page: ${MODEL_LABEL[arch]}, 1 epoch on ${cfg.trainCallImages} images, batch 64, backend 'auto', validation on 1,000 test images`,
    estimateMs: arch === 'resnet20' ? 60_000 : 120_000,
    run: (log) => session.inFreshPage(({ call }) => call(async (s, a, onProgress) => {
      const m = await s.importModel(a.url);
      const ds = await s.importDataset(a.data, { name: 'CIFAR-10 subset (lossless)' });
      const o = { epochs: 1, batchSize: 64, lr: 0.01, images: a.images, seed: a.seed, evaluate: false, name: 'bench: whole train call' };
      const t = performance.now();
      const r = await s.train(m.id, ds.id, o, onProgress);
      const wallMs = performance.now() - t;
      const run = (await s.runs()).find((x) => x.runId === r.runId);
      return { options: o, wallMs, wallImagesPerSecond: a.images / (wallMs / 1000), imagesPerSecond: r.history.at(-1)?.imagesPerSecond, history: r.history, backend: run?.backend, backendReason: run?.backendReason };
    }, { url: modelUrl(arch), data: `/bench-data/${cfg.subset.file}`, images: cfg.trainCallImages, seed: cfg.seed }, log)).then((r) => ({ arch, ...r })),
  });
  if (cfg.guidedRun) add({
    id: 'guided-run', section: 5, title: 'the guided first run ("Try it: demo in ~3 minutes"), one click on an empty studio until Compare shows every version', estimateMs: 150_000,
    run: () => session.inFreshPage(async ({ page }) => {
      await page.getByTestId('guided-start').waitFor();
      const t0 = Date.now();
      await page.getByTestId('guided-start').click();
      const deadline = Date.now() + 20 * 60_000;
      while (Date.now() < deadline) {
        if (await page.getByTestId('guided-done').count()) break;
        if (await page.getByTestId('error-banner').count()) throw new Error(`guided run: ${await page.getByTestId('error-banner').first().textContent()}`);
        await page.waitForTimeout(250);
      }
      await page.getByTestId('guided-done').waitFor({ timeout: 1000 });
      const seconds = (Date.now() - t0) / 1000;
      const models = await page.evaluate(() => window.studio.models());
      // what each training run did (epochs, loss, accuracy; a time-budget stop), and each evaluated version's test loss
      // (after the timing): together they tell a fine-tune that changed nothing from one too small to move the top-1
      const runs = await page.evaluate(async () => (await window.studio.runs()).map((r) => ({ kind: r.kind, status: r.status, backend: r.backend, history: r.history })));
      const evaluated = models.filter((m) => Object.keys(m.measures?.evals ?? {}).length).map((m) => m.id);
      const losses = await page.evaluate(async (ids) => {
        const [ds] = await window.studio.datasets();
        const out = {};
        for (const id of ids) out[id] = (await window.studio.evaluate(id, ds.id, { split: 'test', start: 0, end: 1000 })).loss;
        return out;
      }, evaluated);
      return { seconds, runs, versions: models.map((m) => ({ name: m.name, params: m.params, macs: m.macs, testLoss: losses[m.id], evals: Object.fromEntries(Object.entries(m.measures?.evals ?? {}).map(([k, e]) => [k, e.top1])) })) };
    }, { viewport: { width: 1280, height: 900 } }),
  });

  // 6. base accuracy
  for (const arch of cfg.accuracyModels) {
    const splits = [{ key: 'test0-999', o: { split: 'test', start: 0, end: 1000 } }];
    if (cfg.fullTestSet) splits.push({ key: 'test-full', o: { split: 'test' } });
    for (const sp of splits) {
      add({
        id: `accuracy:${arch}:${sp.key}`, section: 6, title: `top-1 of ${MODEL_LABEL[arch]} on ${sp.key}`,
        estimateMs: (arch === 'resnet20' ? 15_000 : 45_000) * (sp.key === 'test-full' ? 10 : 1),
        run: async (log) => {
          await wasm();
          const m = await modelFor(arch);
          const { summary } = await session.cifar(log);
          const t = Date.now();
          const ev = await session.call((s, a, onProgress) => s.evaluate(a.m, a.d, a.o, onProgress), { m: m.id, d: summary.id, o: sp.o }, log);
          const reference = arch.startsWith('resnet') ? await referenceAccuracy(session, arch) : null;
          return { model: m.name, params: m.params, macs: m.macs, flops: m.flops, bytes: m.bytes, split: sp.o, top1: ev.top1, top5: ev.top5, count: ev.count, loss: ev.loss, perClass: ev.perClass, ms: Date.now() - t, reference };
        },
      });
    }
  }

  // 7a. analysis time per criterion (studio.analyze alone: capture + statistics, no planning or surgery)
  for (const criterion of cfg.analysisCriteria) {
    add({
      id: `analysis:${cfg.analysisArch}:${criterion}`, section: 7, title: `studio.analyze, ${cfg.analysisArch}, ${criterion}, ${cfg.analysisBatches} × ${cfg.analysisBatchSize} training images`,
      estimateMs: criterion === 'chip' ? 120_000 : 40_000,
      run: async (log) => {
        await wasm();
        const m = await akamaster(cfg.analysisArch);
        const { summary } = await session.cifar(log);
        const o = { criterion, batches: cfg.analysisBatches, batchSize: cfg.analysisBatchSize, seed: cfg.seed };
        // the slow, aimed-at criteria are timed several times (the machine is shared): the median is the figure
        const repeats = ['hrank', 'chip'].includes(criterion) ? cfg.analysisRepeats : 1;
        const runs = [];
        for (let i = 0; i < repeats; i++) {
          runs.push(await session.call(async (s, a, onProgress) => {
            const t = performance.now();
            const an = await s.analyze(a.m, a.d, a.o, onProgress);
            return { wallMs: performance.now() - t, ms: an.ms, images: an.images, groups: an.groups.length, warnings: an.warnings, workers: an.workers };
          }, { m: m.id, d: summary.id, o }, log));
        }
        const sorted = runs.map((r) => r.ms).sort((a, b) => a - b);
        return { arch: cfg.analysisArch, criterion, options: o, ...runs[0], ms: sorted[Math.floor(sorted.length / 2)], runsMs: runs.map((r) => r.ms) };
      },
    });
  }

  // 7. pruning table
  for (const criterion of cfg.criteria) {
    add({
      id: `prune:${cfg.pruneArch}:${criterion}`, section: 7, title: `${cfg.pruneArch}, ${criterion}, −${cfg.pruneTarget * 100}% MACs (${cfg.pruneScope}), fine-tune plain and distilled`,
      estimateMs: cfg.quick ? 100_000 : (cfg.trainData === 'full' ? 4 * 3600_000 : 240_000) * cfg.ftEpochs,
      timeoutMs: cfg.cellTimeoutMs,
      run: (log) => pruneCell(session, cfg, criterion, akamaster, lat, unwrap, wasm, log),
    });
  }

  // 7b. one-shot pruning of a second model, no fine-tune: accuracy right after pruning for every criterion
  if (cfg.pruneOnlyArch) {
    for (const criterion of cfg.criteria) {
      add({
        id: `prune-only:${cfg.pruneOnlyArch}:${criterion}`, section: 7, title: `${cfg.pruneOnlyArch}, ${criterion}, −${cfg.pruneTarget * 100}% MACs (${cfg.pruneScope}), no fine-tune`,
        estimateMs: 45_000,
        run: async (log) => {
          await wasm();
          const base = await akamaster(cfg.pruneOnlyArch);
          const { summary: cifar } = await session.cifar(log);
          const o = { criterion, target: { macs: cfg.pruneTarget }, scope: cfg.pruneScope, recover: 'none', batches: cfg.batches, batchSize: cfg.batchSize, seed: cfg.seed, evaluate: true, name: `${cfg.pruneOnlyArch} ${criterion} −${cfg.pruneTarget * 100}% MACs` };
          const p = await session.call((s, a, onProgress) => s.prune(a.m, a.d, a.o, onProgress), { m: base.id, d: cifar.id, o }, log);
          const baseLatency = unwrap(await lat(base.id, 'wasm'), 'wasm');
          const latency = unwrap(await lat(p.model.id, 'wasm'), 'wasm');
          await session.call((s, id) => s.deleteModel(id), p.model.id);
          return {
            arch: cfg.pruneOnlyArch, criterion, options: o, analysis: { ms: p.analysis?.ms, images: p.analysis?.images, workers: p.analysis?.workers },
            base: { params: base.params, macs: base.macs, flops: base.flops }, pruned: { params: p.model.params, macs: p.model.macs, flops: p.model.flops, top1Test0to999: p.top1AfterPrune },
            macsRatio: p.model.macs / base.macs, baseLatency, latency,
          };
        },
      });
    }
  }

  // 7c. recovery: the pruned model recovered from calibration images, before and after a short distilled fine-tune
  for (const spec of cfg.recoverCells ?? []) {
    const { arch, criterion, method, variant } = spec;
    add({
      id: `recover:${arch}:${criterion}:${method}${variant ? `@${variant}` : ''}`, section: 7,
      title: `${arch}, ${criterion}, −${cfg.pruneTarget * 100}% MACs (${spec.scope ?? 'auto'} scope), recover ${method}${spec.calibrationImages ? ` on ${spec.calibrationImages} images` : ''}, then 1 distilled epoch on ${spec.ftData === 'full' ? 'the full training split' : `${cfg.subset.train} lossless images`}`,
      estimateMs: cfg.quick ? 60_000 : spec.ftData === 'full' ? 1_500_000 : 180_000, timeoutMs: cfg.cellTimeoutMs,
      run: (log) => recoverCell(session, cfg, spec, akamaster, wasm, log),
    });
  }

  // 8. zoo training
  for (const z of cfg.zooTraining) {
    add({
      id: `zoo-train:${z.arch}`, section: 8, title: `${z.arch} trained from the zoo, ${z.epochs} epoch(s) on ${cfg.zooSubset ? `${cfg.zooSubset.train} lossless training images` : 'the full training split'}`,
      estimateMs: z.estimateMs, timeoutMs: cfg.cellTimeoutMs,
      run: async (log) => {
        const { summary: cifar } = await session.cifar(log);
        const summary = cfg.zooSubset ? (await session.subset(cfg.zooSubset.file, log)).summary : cifar;
        const backend = cfg.zooBackend ?? (await session.call((s) => s.chooseTrainingBackend())).backend;
        await session.setBackend(backend);
        const opts = { epochs: z.epochs, batchSize: cfg.zooSubset ? 32 : 128, lr: cfg.zooSubset ? 0.05 : 0.1, schedule: 'cosine', warmupEpochs: Math.min(1, z.epochs - 1) || undefined, validateLimit: cfg.zooSubset ? 0 : 1000, evaluate: false, seed: cfg.seed };
        const r = await session.call(async (s, a, onProgress) => {
          const m = await s.createModel(a.arch, { datasetId: a.d, seed: a.o.seed, name: `${a.arch} (bench)` });
          const t = performance.now();
          const res = await s.train(m.id, a.d, a.o, onProgress);
          return { model: res.model, history: res.history, ms: performance.now() - t };
        }, { arch: z.arch, d: summary.id, o: opts }, log);
        await wasm();
        const ev = await session.call((s, a, onProgress) => s.evaluate(a.m, a.d, { split: 'test', start: 0, end: 1000 }, onProgress), { m: r.model.id, d: cifar.id }, log);
        const latency = unwrap(await lat(r.model.id, 'wasm'), 'wasm');
        // the trained model, pruned to −50 % MACs by L1 norm (weights only: the seed's original-vs-pruned row)
        const po = { criterion: 'l1', target: { macs: cfg.pruneTarget }, scope: cfg.pruneScope, recover: 'none', evaluate: true, name: `${z.arch} l1 −${cfg.pruneTarget * 100}% MACs` };
        const p = await session.call((s, a, onProgress) => s.prune(a.m, a.d, a.o, onProgress), { m: r.model.id, d: cifar.id, o: po }, log);
        const prunedLatency = unwrap(await lat(p.model.id, 'wasm'), 'wasm');
        const pruned = { criterion: 'l1', params: p.model.params, macs: p.model.macs, flops: p.model.flops, top1Test0to999: p.top1AfterPrune, latencyWasm: prunedLatency };
        return { arch: z.arch, pruned, backend, options: opts, trainImages: summary.counts.train, data: cfg.zooSubset ? `real CIFAR-10 train images 0–${summary.counts.train - 1} (lossless)` : 'CIFAR-10 full training split', params: r.model.params, macs: r.model.macs, flops: r.model.flops, trainMs: r.ms, history: r.history, top1Test0to999: ev.top1, latencyWasm: latency };
      },
    });
  }
  // 9. speed-up: original vs optimised vs pruned vs pruned + optimised, and a latency-aware plan, timed in pairs
  for (const arch of cfg.speedupModels ?? []) {
    for (const b of cfg.speedupBackends ?? ['wasm']) {
      add({
        id: `speedup:${arch}:${b}`, section: 9, title: `speed-up, ${arch === 'vgg16' ? 'shared CIFAR-10 VGG-16-BN' : arch === 'mobilenetv2' ? 'zoo MobileNetV2 (untrained; latency only)' : MODEL_LABEL[arch] ?? arch}, ${b}, −${cfg.pruneTarget * 100} % MACs and a ×${cfg.latencySpeedup} latency target`,
        estimateMs: arch === 'vgg16' ? 180_000 : 90_000,
        run: () => speedupCell(session, cfg, arch, b, arch === 'vgg16' ? () => session.vgg16() : () => modelFor(arch)),
      });
    }
  }
  const rank = (c) => { const i = PRIORITY.indexOf(c.id.split(':')[0]); return i < 0 ? PRIORITY.length : i; };
  return cells.map((c, i) => ({ c, i })).sort((x, y) => rank(x.c) - rank(y.c) || x.i - y.i).map((x) => x.c);
}

/**
 * One speed-up row (section 9): on backend `b`, the model, its deploy version (studio.optimize), the L1 plan at
 * −pruneTarget MACs ('inner' scope, roundTo 'auto') and a latency-aware plan (target {speedup}), each pruned without
 * recovery (latency does not depend on the weights' values) and optimised; every version timed against the original
 * with studio.benchmarkPair (interleaved, bootstrap 95 % interval of the per-pair ratio, load probe).
 */
async function speedupCell(session, cfg, arch, b, load) {
  await session.setBackend(b);
  const m = await load();
  return session.call(async (s, a) => {
    const analysis = await s.analyze(a.m.id, null, { criterion: 'l1' });
    const table = await s.latencyTable(a.m.id, {});
    const opt = await s.optimize(a.m.id, {});
    const versions = { optimized: { id: opt.model.id, macs: opt.model.macs } };
    for (const [key, target] of [['pruned', { macs: a.macs }], ['latencyPlan', { speedup: a.speedup }]]) {
      const plan = await s.plan(a.m.id, analysis, { target, scope: 'inner', roundTo: 'auto' });
      const pm = await s.pruneModel(a.m.id, plan, { recover: 'none', roundTo: plan.rounding?.roundTo });
      const po = await s.optimize(pm.id, {});
      versions[key] = { id: pm.id, macs: pm.macs, params: pm.params, plan: { latency: plan.latency, warnings: plan.warnings, rounding: plan.rounding?.summary, scope: plan.scope } };
      versions[`${key}Optimized`] = { id: po.model.id, macs: po.model.macs, params: po.model.params, maxRelDiff: po.maxRelDiff };
    }
    const cut = (r) => ({ pairs: r.pairs, threads: r.threads, a: r.a, b: r.b, ratio: r.ratio, verdict: r.verdict, load: r.load });
    const pair = async (x, y, threads) => {
      const all = await s.benchmarkPair(x, y, { backends: [a.b], minTimeMs: a.minTimeMs, pairs: 60, warmup: 10, ...(threads ? { threads } : {}) });
      const r = all[a.b];
      if (!r || 'error' in r) throw new Error(`benchmarkPair on ${a.b}: ${r?.error ?? 'nothing returned'}`);
      return { ...cut(r), ...(all.wasmThreads ? { byThreads: Object.fromEntries(Object.entries(all.wasmThreads).map(([t, v]) => [t, 'error' in v ? v : cut(v)])) } : {}) };
    };
    const timings = {};
    for (const k of ['optimized', 'pruned', 'prunedOptimized', 'latencyPlanOptimized']) {
      // the headline pair also at 1 thread (a busy phone's threads spin against other work)
      timings[`original/${k}`] = await pair(a.m.id, versions[k].id, k === 'prunedOptimized' && a.b === 'wasm' ? [1] : undefined);
    }
    timings['optimized/prunedOptimized'] = await pair(versions.optimized.id, versions.prunedOptimized.id);
    const cleanup = Object.values(versions).map((v) => v.id);
    for (const id of cleanup) await s.deleteModel(id);
    return {
      arch: a.arch, backend: a.b, original: { name: a.m.name, macs: a.m.macs, params: a.m.params, flops: a.m.flops },
      table: { wholeMs: table.wholeMs, deployMs: table.deployMs, fixedMs: table.fixedMs, coverage: table.coverage, cases: table.cases, measureMs: table.measureMs, threads: table.threads },
      versions: Object.fromEntries(Object.entries(versions).map(([k, v]) => [k, { ...v, id: undefined }])), timings,
    };
  }, { m, b, arch, macs: cfg.pruneTarget, speedup: cfg.latencySpeedup, minTimeMs: cfg.quick ? 1500 : 5000 });
}

/**
 * One recovery row: prune with `recover` (calibration on N seeded-shuffled images of the lossless training subset, whose
 * import order is by class), top-1 on
 * test 0–999, then one distilled epoch on the subset at the recovery fine-tune lr and top-1 again.
 */
async function recoverCell(session, cfg, spec, akamaster, wasm, log) {
  const { arch, criterion, method } = spec;
  await wasm();
  const base = await akamaster(arch);
  const { summary: cifar } = await session.cifar(log);
  const sub = (await session.subset(cfg.subset.file, log)).summary;
  const ftData = spec.ftData === 'full' ? cifar : sub;
  const o = {
    criterion, target: { macs: cfg.pruneTarget }, scope: spec.scope ?? 'auto', recover: method, calibrationImages: spec.calibrationImages ?? cfg.calibrationImages, calibrationSampling: 'shuffled',
    batches: cfg.batches, batchSize: cfg.batchSize, seed: cfg.seed, evaluate: false, name: `${arch} ${criterion} −${cfg.pruneTarget * 100}% MACs, ${method}`,
  };
  const r = await session.call(async (s, a, onProgress) => {
    const t = performance.now();
    const p = await s.prune(a.m, a.d, a.o, onProgress);
    const pruneWallMs = performance.now() - t;
    const ev = await s.evaluate(p.model.id, a.eval, { split: 'test', start: 0, end: 1000 });
    return { p, pruneWallMs, top1: ev.top1 };
  }, { m: base.id, d: sub.id, eval: cifar.id, o }, log);
  const recover = r.p.model.recover;
  const out = {
    arch, criterion, method, options: o, scope: r.p.plan?.scope, scopeReason: r.p.plan?.scopeReason, pruneWallMs: r.pruneWallMs,
    analysisMs: r.p.analysis?.ms, recoverMs: recover?.ms, calibrationImages: recover?.images, positions: recover?.positions,
    layers: recover?.layers?.map((l) => ({ layer: l.layer, target: l.target, errorBefore: l.errorBefore, errorAfter: l.errorAfter, ridge: l.ridge })),
    base: { params: base.params, macs: base.macs, flops: base.flops, bytes: base.bytes },
    pruned: { params: r.p.model.params, macs: r.p.model.macs, flops: r.p.model.flops, bytes: r.p.model.bytes, top1Test0to999: r.top1 },
  };
  const ftLr = method === 'none' ? cfg.ftLr : cfg.recoverFtLr;
  const fo = { epochs: cfg.ftEpochs, batchSize: 64, lr: ftLr, validateLimit: 0, evaluate: false, seed: cfg.seed, teacherId: base.id, temperature: 4, alpha: 0.5, name: `${o.name} ft-distilled` };
  try {
    const ft = await session.call(async (s, a, onProgress) => {
      const t0 = performance.now();
      const f = await s.fineTune(a.m, a.d, a.o, onProgress);
      const ms = performance.now() - t0;
      const ev = await s.evaluate(f.model.id, a.eval, { split: 'test', start: 0, end: 1000 });
      const out = { ms, top1: ev.top1, imagesPerSecond: f.history.at(-1)?.imagesPerSecond, id: f.model.id };
      if (a.headline) {
        // the seed's measures for a model row: the JPEG-derived full test set, and b1 latency per runtime
        const full = await s.evaluate(f.model.id, a.eval, { split: 'test' }, onProgress);
        out.top1TestFull = full.top1;
        const pair = await s.benchmarkPair(a.base, f.model.id, { backends: ['wasm'], runtimes: ['litert-wasm', 'ort-wasm'], warmup: 20, pairs: 60, minTimeMs: 3000 }, onProgress);
        out.runtimes = pair;
      }
      return out;
    }, { m: r.p.model.id, d: ftData.id, eval: cifar.id, o: fo, base: base.id, headline: !!spec.headline }, log);
    out.fineTune = { budget: { epochs: cfg.ftEpochs, trainImages: ftData.counts.train, data: spec.ftData === 'full' ? 'CIFAR-10 full training split (4,000 lossless + 46,000 JPEG-derived)' : `${ftData.counts.train} lossless training images`, lr: ftLr, teacher: 'original', temperature: 4, alpha: 0.5 }, ...ft };
    await session.call((s, ids) => Promise.all(ids.map((id) => s.deleteModel(id))), [ft.id, r.p.model.id]).catch(() => undefined);
  } catch (e) {
    out.fineTune = { error: e.message };
    await session.recover();
    await wasm();
  }
  return out;
}

/** The reference accuracy stored in the akamaster model.json's userDefinedMetadata (read, not typed in). */
async function referenceAccuracy(session, arch) {
  return session.call(async (s, url) => (await (await fetch(url)).json()).userDefinedMetadata?.referenceAccuracy ?? null, `/shared/models/akamaster-tfjs/${arch}/model.json`);
}

async function pruneCell(session, cfg, criterion, akamaster, lat, unwrap, wasm, log) {
  await wasm();
  const base = await akamaster(cfg.pruneArch);
  const { summary: cifar } = await session.cifar(log);
  const ftData = cfg.trainData === 'full' ? cifar : (await session.subset(cfg.subset.file, log)).summary;
  const pruneOpts = { criterion, target: { macs: cfg.pruneTarget }, scope: cfg.pruneScope, recover: 'none', batches: cfg.batches, batchSize: cfg.batchSize, seed: cfg.seed, evaluate: true, name: `${cfg.pruneArch} ${criterion} −${cfg.pruneTarget * 100}% MACs` };
  log(`prune ${JSON.stringify(pruneOpts)}`);
  const t = Date.now();
  const p = await session.call((s, a, onProgress) => s.prune(a.m, a.d, a.o, onProgress), { m: base.id, d: cifar.id, o: pruneOpts }, log);
  const pruneWallMs = Date.now() - t;
  const out = {
    arch: cfg.pruneArch, criterion, options: pruneOpts,
    analysis: { ms: p.analysis?.ms, images: p.analysis?.images, warnings: p.analysis?.warnings },
    planWarnings: p.plan?.warnings, pruneWallMs,
    base: { params: base.params, macs: base.macs, flops: base.flops },
    pruned: { id: p.model.id, params: p.model.params, macs: p.model.macs, flops: p.model.flops, top1Test0to999: p.top1AfterPrune },
    macsRatio: p.model.macs / base.macs, paramsRatio: p.model.params / base.params,
    fineTune: {},
  };
  const ftBase = { epochs: cfg.ftEpochs, batchSize: 64, lr: cfg.ftLr, validateLimit: 0, evaluate: false, seed: cfg.seed };
  for (const variant of (cfg.plainFtCriteria ?? [criterion]).includes(criterion) ? ['plain', 'distilled'] : ['distilled']) {
    const o = { ...ftBase, ...(variant === 'distilled' ? { teacherId: base.id, temperature: 4, alpha: 0.5 } : {}), name: `${pruneOpts.name} ft-${variant}` };
    try {
      const ft = await session.call(async (s, a, onProgress) => {
        const t0 = performance.now();
        const r = await s.fineTune(a.m, a.d, a.o, onProgress);
        const ms = performance.now() - t0;
        const ev = await s.evaluate(r.model.id, a.eval, { split: 'test', start: 0, end: 1000 });
        return { id: r.model.id, history: r.history, ms, top1: ev.top1, top5: ev.top5 };
      }, { m: p.model.id, d: ftData.id, eval: cifar.id, o: { ...o, teacherId: o.teacherId } }, log);
      out.fineTune[variant] = {
        budget: { epochs: cfg.ftEpochs, trainImages: ftData.counts.train, dataset: cfg.trainData === 'full' ? 'CIFAR-10 full training split' : `real CIFAR-10 subset: train images 0–${ftData.counts.train - 1} (lossless)`, lr: cfg.ftLr, batchSize: 64, ...(variant === 'distilled' ? { teacher: 'original', temperature: 4, alpha: 0.5 } : {}) },
        ms: ft.ms, imagesPerSecond: ft.history.at(-1)?.imagesPerSecond, finalLoss: ft.history.at(-1)?.loss, top1Test0to999: ft.top1, top5Test0to999: ft.top5,
      };
    } catch (e) {
      out.fineTune[variant] = { error: e.message };
      await session.recover();
      await wasm();
    }
  }
  // Original and pruned back to back on each backend, so the speed-up is not skewed by load drifting between cells.
  out.latency = {};
  out.baseLatency = {};
  for (const b of cfg.prunedLatencyBackends) {
    try {
      out.baseLatency[b] = unwrap(await lat(base.id, b), b);
      out.latency[b] = unwrap(await lat(p.model.id, b), b);
    } catch (e) {
      out.latency[b] = { error: e.message };
    }
  }
  return out;
}
