#!/usr/bin/env node
/**
 * Regenerates docs/benchmarks.md and docs/benchmarks-pareto.svg FROM a results JSON of bench/run.mjs
 * (default: the newest full run in bench/results/, else the newest quick run). Nothing here is measured:
 * every number in the tables comes from the JSON, except the clearly labelled "published reference" table.
 * Usage: node bench/report.mjs [bench/results/<file>.json]
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { paretoSvg } from './lib/pareto-svg.mjs';

import { esc, K, M, MB, ms, n1, pct, table } from './lib/md.mjs';
import { provenance, renderLoadTable, renderModelRows, renderProvenance, renderReadme, renderSameBudget, renderTrainingSpeed } from './lib/report-summary.mjs';

/** Published numbers: THEIRS, as reported by the authors, never measured here. */
export const PUBLISHED = [
  { method: 'HRank (Lin et al., CVPR 2020)', model: 'ResNet-56, CIFAR-10', baseline: '93.26 %', pruned: '93.17 %', flopsCut: '50.0 %', paramsCut: '42.4 %', budget: 'pruned layer by layer, fine-tuning after each layer (group) — tens of epochs each (≈30), as reported by the authors' },
  { method: 'Torch-Pruning, L1 norm (Fang et al., DepGraph, CVPR 2023: repo benchmarks/readme.md)', model: 'ResNet-56, CIFAR-10', baseline: '93.53 %', pruned: '92.93 %', flopsCut: '52.8 % (MACs ×2.12)', paramsCut: '—', budget: 'global L1 pruning to ×2.11 MACs, then 100 epochs of fine-tuning (SGD, lr 0.01, ÷10 at epochs 60 and 80: the benchmark script\'s defaults)' },
  { method: 'Torch-Pruning, DepGraph group pruning (same source)', model: 'ResNet-56, CIFAR-10', baseline: '93.53 %', pruned: '93.91 %', flopsCut: '53.1 % (MACs ×2.13)', paramsCut: '—', budget: '100 epochs of group-sparsity training, global group-norm pruning, then 100 epochs of fine-tuning' },
  { method: 'CHIP (Sui et al., NeurIPS 2021)', model: 'ResNet-56, CIFAR-10', baseline: '93.26 %', pruned: '94.16 %', flopsCut: '47.4 %', paramsCut: '42.8 %', budget: 'one-shot pruning, then a long fine-tuning schedule (hundreds of epochs), as reported by the authors' },
];

export function pickResults(dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f));
  const runs = files.map((f) => ({ f, d: JSON.parse(readFileSync(f, 'utf8')) })).filter((r) => r.d.cells);
  const newest = (mode) => runs.filter((r) => r.d.mode === mode).sort((a, b) => String(b.d.updatedAt).localeCompare(String(a.d.updatedAt)))[0];
  const pick = newest('full') ?? newest('quick');
  if (!pick) throw new Error(`No results JSON in ${dir}; run npm run bench -- --quick first.`);
  return pick.f;
}

/** Section 7c (recovery rows) of a results file, as Markdown lines. */
export function renderRecovery(data) {
  const out = [];
  const c = data.cells ?? {};
  const cfg = data.config ?? {};
  const rc = Object.entries(c).filter(([id]) => id.startsWith('recover:'));
  if (rc.length) {
    out.push(`## 7c. Recovery after surgery, −${(cfg.pruneTarget ?? 0) * 100} % MACs, auto scope`, '');
    out.push(`Each row: \`studio.prune(model, subset, {criterion, target: {macs: ${cfg.pruneTarget}}, scope, recover, calibrationImages, calibrationSampling: 'shuffled'})\` on the lossless training subset (docs/pruning-engine.md, "Recovery"; scope 'auto' and ${cfg.calibrationImages} calibration images unless the row says otherwise), top-1 on CIFAR-10 test 0–999; then one distilled epoch (teacher = the original, T = 4, α = 0.5) on the same ${cfg.subset?.train ?? 4000} images (one row: the full training split), lr ${cfg.ftLr} without recovery and ${cfg.recoverFtLr} after it. With reconstruction, 'auto' allocates per-group ratios by measured reconstruction error (scope 'error').`, '');
    out.push(table(['model', 'criterion', 'recover', 'scope', 'MACs', 'calibration images', 'top-1, no fine-tune', 'recovery time', 'prune call (analysis + allocation + surgery + recovery)', 'top-1 after 1 distilled epoch', 'fine-tune data, lr', 'fine-tune time'], rc.map(([id, v]) => {
      const [, arch, cr, method] = id.split(':');
      const r = v.status === 'ok' ? v.result : null;
      if (!r) return [arch, cr, method, `failed: ${esc(v.error?.message)}`, '', '', '', '', '', '', '', ''];
      const ft = r.fineTune;
      return [arch, cr, method, r.scope ?? '—', M(r.pruned.macs), method === 'none' ? '—' : (r.calibrationImages ?? '—'), `**${pct(r.pruned.top1Test0to999)}**`, ms(r.recoverMs), ms(r.pruneWallMs), ft?.error ? `failed: ${esc(ft.error)}` : pct(ft?.top1), `${esc(ft?.budget?.data ?? `${ft?.budget?.trainImages ?? '—'} images`)}, ${ft?.budget?.lr ?? '—'}`, ms(ft?.ms)];
    })), '');
  }

  return out;
}

/** The exported files' runtimes (section 5 cells `runtimes:<arch>`), as Markdown lines. */
export function renderRuntimes(data) {
  const out = [];
  const c = data.cells ?? {};
  const ok = (id) => (c[id]?.status === 'ok' ? c[id].result : undefined);
  const rtRows = [];
  for (const arch of ['resnet20', 'resnet56', 'vgg16']) {
    const id = `runtimes:${arch}`;
    if (!c[id]) continue;
    const r = ok(id);
    if (!r) { rtRows.push([arch, '', `failed: ${esc(c[id]?.error?.message ?? 'not run')}`, '', '', '', '']); continue; }
    for (const rt of ['wasm', 'litert-wasm', 'ort-wasm']) {
      const v = r.pair?.[rt];
      if (!v || v.error) { rtRows.push([arch, rt === 'wasm' ? 'tfjs-wasm' : rt, `failed: ${esc(v?.error ?? 'not run')}`, '', '', '', '']); continue; }
      rtRows.push([arch, rt === 'wasm' ? 'tfjs-wasm' : rt, v.threads ?? '—', ms(v.a.medianMs), ms(v.b.medianMs), `**${v.ratio.median.toFixed(2)}×** [${v.ratio.low.toFixed(2)}, ${v.ratio.high.toFixed(2)}]`, `${v.pairs} (load ${v.load.before.contention.toFixed(1)} → ${v.load.after.contention.toFixed(1)})`]);
    }
  }
  if (rtRows.length) {
    out.push('### Runtimes of the exported files: original vs pruned, batch 1 (`studio.benchmarkPair(orig, pruned, {backends: [\'wasm\'], runtimes: [\'litert-wasm\', \'ort-wasm\']})`)', '');
    out.push('Akamaster ResNets and their L1 −50 % MACs pruned versions (demo-set calibration; latency does not depend on the weights), timed interleaved per runtime; speed-up = median of per-pair original/pruned time ratios with its bootstrap 95 % interval. tfjs-wasm runs the LayersModel; LiteRT.js the float32 .tflite (one thread); onnxruntime-web the NHWC .onnx (wasm EP, tfjs\'s thread count). Load = CPU-probe contention before → after (1 = idle).', '');
    out.push(table(['model', 'runtime', 'threads', 'original median', 'pruned median', 'pruned speed-up [95 %]', 'pairs'], rtRows), '');
  }
  return out;
}

/** Section 9 (speed-up rows) of a results file, as Markdown lines. */
export function renderSpeedup(data) {
  const out = [];
  const c = data.cells ?? {};
  const cfg = data.config ?? {};
  const rows = Object.entries(c).filter(([id]) => id.startsWith('speedup:'));
  if (!rows.length) return out;
  const x = (r) => (r ? `×${r.ratio.median.toFixed(2)} (${r.ratio.low.toFixed(2)}–${r.ratio.high.toFixed(2)})` : '—');
  const load = (r) => (r ? `${r.load.before.contention.toFixed(2)} / ${r.load.after.contention.toFixed(2)}` : '—');
  out.push(`## 9. Speed-up: fewer MACs turned into lower latency`, '');
  out.push(`Each row: the model, its deploy version (\`studio.optimize\`: BatchNorm folded, bias + ReLU fused), an L1 plan at −${(cfg.pruneTarget ?? 0.5) * 100} % MACs (scope 'inner', roundTo 'auto') and a latency-aware plan (\`target: {speedup: ${cfg.latencySpeedup}}\`, scope 'inner', from the per-layer latency table \`studio.latencyTable\` measured in the same page), each pruned without recovery (latency does not depend on the weights' values) and optimised. Every speed-up is \`studio.benchmarkPair(original, version)\`: batch 1, interleaved A B / B A pairs after warm-up, the median of per-pair time ratios with its bootstrap 95 % interval. "vs MACs" divides the measured speed-up by the MACs ratio (1.0 = time fell as much as MACs). Load: the CPU probe's contention before / after the pruned + optimised pair (1.0 = idle).`, '');
  out.push(table(['model', 'backend', 'threads', 'MACs ratio', 'original → optimised', 'original → pruned', '**original → pruned + optimised**', 'vs MACs', 'same at 1 thread', 'optimised → pruned + optimised', 'medians, original → pruned + optimised', 'latency plan: MACs ratio, estimated → measured', 'load'], rows.map(([id, v]) => {
    const [, arch, b] = id.split(':');
    const r = v.status === 'ok' ? v.result : null;
    if (!r) return [arch, b, `failed: ${esc(v.error?.message)}`, '', '', '', '', '', '', '', '', '', ''];
    const t = r.timings;
    const macsRatio = r.original.macs / r.versions.prunedOptimized.macs;
    const po = t['original/prunedOptimized'];
    const lp = r.versions.latencyPlan;
    const lpm = t['original/latencyPlanOptimized'];
    return [arch, b, po?.threads ?? '—', `×${macsRatio.toFixed(2)}`, x(t['original/optimized']), x(t['original/pruned']), `**${x(po)}**`, po ? (po.ratio.median / macsRatio).toFixed(2) : '—', po?.byThreads?.[1] ? ('error' in po.byThreads[1] ? `failed: ${esc(po.byThreads[1].error)}` : `${x(po.byThreads[1])}, ${ms(po.byThreads[1].a.medianMs)} → ${ms(po.byThreads[1].b.medianMs)}`) : '—', x(t['optimized/prunedOptimized']),
      po ? `${ms(po.a.medianMs)} → ${ms(po.b.medianMs)}` : '—',
      `×${(r.original.macs / r.versions.latencyPlanOptimized.macs).toFixed(2)}, ×${lp?.plan?.latency?.estimatedSpeedup?.toFixed(2) ?? '—'} → ${x(lpm)}${lp?.plan?.warnings?.length ? ' (target not reachable)' : ''}`, load(po)];
  })), '');
  return out;
}

export function renderReport(data, file) {
  const c = data.cells ?? {};
  const ok = (id) => (c[id]?.status === 'ok' ? c[id].result : undefined);
  const failed = Object.entries(c).filter(([, v]) => v.status !== 'ok');
  const env = ok('env');
  const cfg = data.config ?? env?.config ?? {};
  const out = [];
  out.push('# Benchmarks: the seed\'s experiment table, reproduced by the studio on real CIFAR-10', '');
  out.push(`> Generated by \`bench/report.mjs\` from [\`${file}\`](../${file}) (**${data.mode} mode**, run started ${data.startedAt}). Do not edit by hand: run the bench again.`, '');
  out.push('Every number below was measured in that run by driving the built app in headless Chromium **only through `window.studio`** (`bench/run.mjs`); the only numbers not measured here are in the "published reference" table, which are THEIRS.', '');
  const prov = provenance(data);
  const took = Date.parse(prov.end) - Date.parse(prov.start);
  out.push(...renderProvenance(data));
  out.push('```sh', 'npm run bench -- --quick          # a few minutes: ResNet-20, 3 criteria, demo-size fine-tunes', `npm run bench                     # full mode, CPU-sized${data.mode === 'full' && Number.isFinite(took) ? `: ${Math.floor(took / 3600_000)} h ${Math.round((took % 3600_000) / 60_000)} min in this run` : ''} on 2 cores (ResNet-56, 8 criteria, recovery, fine-tunes and zoo training on the lossless subset, one fine-tune on the full training split)`,
    'npm run bench -- --full-train-split --vgg-epochs 30 --densenet-epochs 30   # GPU-sized budgets on all 50000 training images', 'npm run bench -- --resume         # continue an interrupted run (finished cells are skipped)', 'node bench/report.mjs [results.json]   # regenerate this page', '```', '');
  if (data.mode === 'quick') out.push('**Quick mode caveats:** ResNet-20 only; pruning analysis on ' + `${cfg.batches} × ${cfg.batchSize}` + ' training images; fine-tuning is a **demo-size budget** (' + `${cfg.ftEpochs} epoch on ${cfg.subset?.train} real CIFAR-10 training images` + '), so the "after fine-tune" columns show the direction, not converged accuracy. The machine is shared (2 cores, other jobs running), so latencies are noisy: compare medians within one run, not across runs.', '');


  // 1
  out.push('## 1. Environment', '');
  if (env) {
    const be = (env.backends ?? []).map((b) => `${b.name}: ${b.available ? 'available' : 'unavailable'}${b.details ? ` (${Object.entries(b.details).filter(([, v]) => v !== '').map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}${b.reason ? ` — ${b.reason}` : ''}`);
    out.push(table(['what', 'value'], [
      ['date', env.date], ['host', `${esc(env.host)} (${esc(env.platform)})`], ['CPU', `${esc(env.cpu?.model)}, ${env.cpu?.cores} cores (navigator.hardwareConcurrency ${env.hardwareConcurrency}); ${env.memoryGB} GB RAM`],
      ['browser', `Chromium ${env.browser} (headless, playwright-core ${''}driving /usr/bin/chromium)`], ['studio', `${env.version}, git ${env.git?.commit?.slice(0, 10)}${env.git?.dirty ? ' (with uncommitted changes in the tree)' : ''}`],
      ['cross-origin isolated', String(env.crossOriginIsolated)], ['backends (studio.backends())', be.map(esc).join('<br>')],
      ['data', esc(env.dataFidelity)],
      ['latency settings', `warmup ${cfg.latency?.warmup}, runs ≥ ${cfg.latency?.runs}, min time ${cfg.latency?.minTimeMs} ms${cfg.latency?.maxTimeMs ? `, capped at ${cfg.latency.maxTimeMs / 1000} s per measurement (slow software backends)` : ''}, batch 1 (throughput at batch 32)`],
      ['latency backends skipped', (cfg.skippedBackends ?? []).map((s) => `${s.backend}: ${esc(s.why)}`).join('<br>') || 'none'],
      ['seeds', `analysis sampling / random criterion / training seed ${cfg.seed}`],
      ['pruning', `${cfg.pruneArch}, target −${(cfg.pruneTarget ?? 0) * 100} % MACs, scope ${cfg.pruneScope}, analysis ${cfg.batches} × ${cfg.batchSize} training images`],
      ['fine-tune budget', (cfg.trainData ?? (data.mode === 'quick' ? 'subset' : 'full')) === 'subset' ? `${cfg.ftEpochs} epoch on ${cfg.subset?.train} real CIFAR-10 training images (lossless train 0–${(cfg.subset?.train ?? 1) - 1}), batch 64, lr ${cfg.ftLr} (warm-up + cosine)` : `${cfg.ftEpochs} epoch(s) on the full CIFAR-10 training split, batch 64, lr ${cfg.ftLr} (warm-up + cosine)`],
      ...(cfg.zooTraining?.length ? [['zoo training budget', `${cfg.zooTraining.map((z) => `${z.arch} ${z.epochs} epoch(s)`).join(', ')} on ${cfg.zooSubset ? `${cfg.zooSubset.train} lossless training images (train 0–${cfg.zooSubset.train - 1})` : 'the full training split'}`]] : []),
    ]), '');
  } else out.push('_environment cell missing_', '');
  out.push(...renderModelRows(data));
  out.push(...renderSameBudget(data));

  // 2
  out.push('## 2. Dataset import', '');
  const imp = ok('import');
  if (imp) {
    out.push(table(['source', 'time', 'train', 'test', 'stored bytes'], [
      ['`studio.importDataset(\'/shared/data/cifar-10-binary.tar.gz\')` (173 MB, fetch + gunzip + untar + decode + store)', ms(imp.ms), imp.counts?.train, imp.counts?.test, K(imp.bytes)],
      ['the same URL, fetch only (for reference)', ms(imp.fetchOnlyMs), '', '', ''],
      [`demo-size subset zip (${imp.subset?.file}, PNGs)`, ms(imp.subset?.ms), imp.subset?.counts?.train, imp.subset?.counts?.test, ''],
    ]), '');
    if (imp.classCounts) out.push(`Per class: train ${imp.classCounts.train.join(', ')}; test ${imp.classCounts.test.join(', ')}.`, '');
  } else out.push(cellError(c.import), '');

  // 3
  out.push('## 3. Input pipeline throughput', '');
  const pl = ok('pipeline');
  if (pl?.augmented) {
    out.push('`studio.pipelineThroughput` on the CIFAR-10 training split, batch ' + pl.batchSize + ' (shuffle, uint8 → float32, tensor creation; no model):', '',
      '| augmentation | images/s | images | time |', '| --- | --- | --- | --- |',
      `| random crop + flip | ${n1(pl.augmented.imagesPerSecond)} | ${pl.augmented.images} | ${ms(pl.augmented.ms)} |`,
      `| none | ${n1(pl.plain.imagesPerSecond)} | ${pl.plain.images} | ${ms(pl.plain.ms)} |`, '');
  } else out.push(pl?.note ? `Not measured separately: ${pl.note}` : cellError(c.pipeline), '');
  const surg = Object.keys(c).filter((k) => k.startsWith('surgery:'));
  if (surg.length) {
    out.push('### Surgery time (zoo models, −50 % MACs, uniform, random scores)', '',
      '| model | params before → after | MACs before → after | surgery | whole pruneModel call (incl. storing) | wasm b1 median before → after | min before → after |',
      '| --- | --- | --- | --- | --- | --- | --- |');
    for (const k of surg) {
      const r = ok(k);
      if (!r) { out.push(`| ${k.slice(8)} | ${cellError(c[k])} | | | | | |`); continue; }
      out.push(`| ${r.arch} | ${(r.original.params / 1e6).toFixed(2)}M → ${(r.pruned.params / 1e6).toFixed(2)}M | ${(r.original.macs / 1e6).toFixed(1)}M → ${(r.pruned.macs / 1e6).toFixed(1)}M | ${ms(r.surgeryMs)} | ${ms(r.pruneCallMs)} | ${ms(r.latency.before.medianMs)} → ${ms(r.latency.after.medianMs)} | ${ms(r.latency.before.minMs)} → ${ms(r.latency.after.minMs)} |`);
    }
    out.push('');
  }

  // 4
  out.push('## 4. WASM threads', '');
  const wt = ok('wasm-threads');
  if (wt) out.push(`\`studio.backends()\` wasm details: ${Object.entries(wt.wasm?.details ?? {}).map(([k, v]) => `${k} = ${v}`).join(', ')}. ResNet-20 b1 latency on wasm with the default thread count: median ${ms(wt.latency.medianMs)} (p90 ${ms(wt.latency.p90Ms)}, min ${ms(wt.latency.minMs)}, ${wt.latency.runs} runs), ${n1(wt.latency.throughput)} img/s at batch 32.`, '');
  else out.push(cellError(c['wasm-threads']), '');

  // 5
  out.push('## 5. Backends', '', '### Inference latency, batch 1 (`studio.benchmark`)', '');
  const latRows = [];
  for (const arch of cfg.latencyModels ?? []) {
    for (const b of cfg.latencyBackends ?? []) {
      const id = `latency:${arch}:${b}`;
      const r = ok(id);
      latRows.push(r ? [arch, M(r.model.macs), b, ms(r.stats.medianMs), ms(r.stats.p90Ms), ms(r.stats.minMs), r.stats.runs, n1(r.stats.throughput)] : [arch, '', b, `failed: ${esc(c[id]?.error?.message ?? 'not run')}`, '', '', '', '']);
    }
  }
  out.push(table(['model', 'MACs', 'backend', 'median', 'p90', 'min', 'runs', 'img/s at batch 32'], latRows), '');
  out.push('ResNet models are the akamaster pretrained ones; VGG-16 is the shared trained CIFAR-10 VGG-16-BN. GPU backends on this machine are software (SwiftShader) and are not timed unless `--webgpu` / `--webgl` asks (section 1 lists what was skipped).', '');
  out.push(...renderRuntimes(data));
  const ts = ok('train-speed');
  out.push('### Training speed', '');
  if (ts) out.push(`\`studio.chooseTrainingBackend()\` (a few steps of a small probe network per backend): ${Object.entries(ts.imagesPerSecond ?? {}).map(([b, v]) => `${b} ${n1(v)} img/s`).join(', ')} → picks **${ts.backend}** (${esc(ts.reason)}).`, '');
  else out.push(cellError(c['train-speed']), '');
  out.push(...renderTrainingSpeed(data));

  // 6
  out.push('## 6. Base accuracy (`studio.evaluate`)', '');
  const accRows = [];
  for (const arch of cfg.accuracyModels ?? []) {
    for (const key of ['test0-999', 'test-full']) {
      const id = `accuracy:${arch}:${key}`;
      if (!c[id]) continue;
      const r = ok(id);
      const ref = r?.reference?.pytorchTop1?.[key === 'test0-999' ? 'testLossless1000' : 'testFull10000'];
      accRows.push(r ? [arch, key === 'test0-999' ? 'test 0–999 (lossless)' : 'full test set (9000 JPEG-derived)', r.count, `**${pct(r.top1, 2)}**`, typeof ref === 'number' ? `${ref.toFixed(2)} %` : '—', pct(r.top5, 2), ms(r.ms)] : [arch, key, '', `failed: ${esc(c[id].error?.message)}`, '', '', '']);
    }
  }
  out.push(table(['model', 'images', 'n', 'top-1 (ours, in the studio)', 'top-1 reference (PyTorch, akamaster README)', 'top-5', 'time (wasm)'], accRows), '');

  // 7a
  const an = Object.entries(c).filter(([id]) => id.startsWith('analysis:'));
  if (an.length) {
    out.push(`## 7a. Importance analysis time (\`studio.analyze\`, ${cfg.analysisArch}, ${cfg.analysisBatches} × ${cfg.analysisBatchSize} training images)`, '');
    out.push('Capture of every group\'s feature maps plus the criterion\'s statistics (weight criteria read kernels only). HRank and CHIP statistics run on the engine worker\'s statistics workers while the next chunk is captured (docs/importance.md). Aims on this 2-core machine: HRank under 15 s, CHIP under 60 s for ResNet-56 on 640 images.', '');
    out.push(table(['criterion', 'images', 'time (median of the runs)', 'runs', 'per image', 'statistics workers', 'warnings'], an.map(([id, v]) => {
      const r = v.status === 'ok' ? v.result : null;
      const runs = r?.runsMs?.length > 1 ? r.runsMs.map(ms).join(', ') : '1';
      return r ? [r.criterion, r.images, ms(r.ms), runs, r.images ? ms(r.ms / r.images) : '—', r.workers ?? 1, esc((r.warnings ?? []).join(' ')) || '—'] : [id.split(':').pop(), '', `failed: ${esc(v.error?.message)}`, '', '', '', ''];
    })), '');
  }

  // 7
  out.push(`## 7. Pruning: ${cfg.pruneArch}, −${(cfg.pruneTarget ?? 0) * 100} % MACs, ${cfg.pruneScope} scope`, '');
  const prunes = (cfg.criteria ?? []).map((cr) => ({ cr, id: `prune:${cfg.pruneArch}:${cr}` })).map((x) => ({ ...x, r: ok(x.id) }));
  const baseLat = ok(`latency:${cfg.pruneArch}:wasm`)?.stats;
  const baseAcc = ok(`accuracy:${cfg.pruneArch}:test0-999`)?.top1;
  const first = prunes.find((p) => p.r)?.r;
  if (first) out.push(`Original: ${K(first.base.params)} params, ${M(first.base.macs)} MACs (= ${M(first.base.flops)} FLOPs, FLOPs = 2 × MACs), top-1 on test 0–999 ${pct(baseAcc, 2)}, wasm b1 median ${ms(baseLat?.medianMs)}. ` + `Each row: \`studio.prune(model, cifar, {criterion, target: {macs: ${cfg.pruneTarget}}, scope: '${cfg.pruneScope}', batches: ${cfg.batches}, batchSize: ${cfg.batchSize}, evaluate: true})\`, then \`studio.fineTune\` without and with distillation (teacher = the original), then \`studio.evaluate\` on test 0–999 and \`studio.benchmark\`.`, '');
  const fb = first && (first.fineTune.plain?.budget ?? first.fineTune.distilled?.budget);
  if (fb) out.push(`Fine-tune budget (ours): ${fb.epochs} epoch on ${fb.trainImages} images (${esc(fb.dataset)}), batch ${fb.batchSize}, lr ${fb.lr}; distillation T = 4, α = 0.5.`, '');
  const lb = cfg.prunedLatencyBackends ?? ['wasm'];
  const rows = prunes.map(({ cr, id, r }) => {
    if (!r) return [cr, c[id] ? `failed: ${esc(c[id].error?.message)}` : 'not run', '', '', '', '', '', '', '', '', ''];
    const ftp = r.fineTune.plain, ftd = r.fineTune.distilled;
    const lats = lb.map((b) => {
      const l = r.latency?.[b];
      if (!l || l.error) return `${b}: ${esc(l?.error ?? '—')}`;
      const base = r.baseLatency?.[b];
      const sp = (a, z) => (a && z ? ` (×${(a / z).toFixed(2)})` : '');
      return `${b}: ${ms(base?.medianMs)} → ${ms(l.medianMs)}${sp(base?.medianMs, l.medianMs)}; min ${ms(base?.minMs)} → ${ms(l.minMs)}${sp(base?.minMs, l.minMs)}`;
    }).join('<br>');
    return [cr, `${ms(r.analysis.ms)} (${r.analysis.images} img)`, pct(r.pruned.top1Test0to999), ftp?.error ? `failed: ${esc(ftp.error)}` : pct(ftp?.top1Test0to999), ftd?.error ? `failed: ${esc(ftd.error)}` : pct(ftd?.top1Test0to999), K(r.pruned.params), M(r.pruned.macs), M(r.pruned.flops), `${(r.macsRatio * 100).toFixed(1)} %`, `×${(1 / r.macsRatio).toFixed(2)}`, lats];
  });
  out.push(table(['criterion', 'analysis time', 'top-1 right after pruning', 'after fine-tune', 'after fine-tune + distillation', 'params', 'MACs', 'FLOPs (2×MACs)', 'MACs kept', 'MACs speed-up (ideal)', 'b1 latency, original → pruned (measured speed-up)'], rows), '');
  out.push('Top-1 on CIFAR-10 test 0–999 (lossless). "MACs speed-up (ideal)" is original MACs / pruned MACs; the measured speed-up divides the original\'s median b1 latency by the pruned model\'s, both measured back to back inside the same cell (the machine is shared, so latencies drift between cells). The min of the timed runs is shown too: under contention from other jobs it is the steadier of the two.', '');
  out.push('![Pareto: top-1 vs MACs](benchmarks-pareto.svg)', '');

  out.push(...renderRecovery(data));
  out.push(...renderSpeedup(data));

  // 7b
  const po = Object.entries(c).filter(([id]) => id.startsWith('prune-only:'));
  if (po.length) {
    const arch = po.find(([, v]) => v.status === 'ok')?.[1].result.arch ?? cfg.pruneOnlyArch;
    const base0 = po.find(([, v]) => v.status === 'ok')?.[1].result.base;
    out.push(`## 7b. One-shot pruning, no fine-tune: ${arch}, −${(cfg.pruneTarget ?? 0) * 100} % MACs, ${cfg.pruneScope} scope`, '');
    out.push(`Original: ${K(base0?.params)} params, ${M(base0?.macs)} MACs (= ${M(base0?.flops)} FLOPs), top-1 on test 0–999 ${pct(ok(`accuracy:${arch}:test0-999`)?.top1, 2)}. Same analysis budget as section 7 (${cfg.batches} × ${cfg.batchSize} training images); no fine-tuning, so this isolates what each criterion keeps.`, '');
    out.push(table(['criterion', 'analysis time', 'top-1 right after pruning', 'params', 'MACs', 'FLOPs (2×MACs)', 'MACs kept', 'wasm b1 median, original → pruned', 'min, original → pruned'], po.map(([id, v]) => {
      const r = v.status === 'ok' ? v.result : null;
      if (!r) return [id.split(':').pop(), `failed: ${esc(v.error?.message)}`, '', '', '', '', '', '', ''];
      return [r.criterion, r.analysis.images ? `${ms(r.analysis.ms)} (${r.analysis.images} img)` : ms(r.analysis.ms), `**${pct(r.pruned.top1Test0to999)}**`, K(r.pruned.params), M(r.pruned.macs), M(r.pruned.flops), `${(r.macsRatio * 100).toFixed(1)} %`, `${ms(r.baseLatency?.medianMs)} → ${ms(r.latency?.medianMs)}`, `${ms(r.baseLatency?.minMs)} → ${ms(r.latency?.minMs)}`];
    })), '');
  }

  // 8
  out.push('## 8. Zoo training', '');
  const zoo = Object.entries(c).filter(([id]) => id.startsWith('zoo-train:'));
  if (zoo.length === 0) out.push(data.mode === 'quick' ? 'Skipped in quick mode (full mode: `--vgg-epochs N --densenet-epochs N`).' : 'Not run.', '');
  else out.push(table(['model', 'budget', 'training data', 'backend', 'params', 'MACs', 'train time', 'img/s', 'top-1 test 0–999', 'wasm b1 median'], zoo.map(([id, v]) => {
    const r = v.status === 'ok' ? v.result : null;
    return r ? [r.arch, `${r.options.epochs} epoch(s), batch ${r.options.batchSize}, lr ${r.options.lr} ${r.options.schedule}`, esc(r.data ?? 'CIFAR-10 full training split'), r.backend, K(r.params), M(r.macs), ms(r.trainMs), n1(r.history.at(-1)?.imagesPerSecond), pct(r.top1Test0to999), ms(r.latencyWasm?.medianMs)] : [id, `failed: ${esc(v.error?.message)}`, '', '', '', '', '', '', '', ''];
  })), '');
  const zp = zoo.filter(([, v]) => v.status === 'ok' && v.result.pruned);
  if (zp.length) {
    out.push('The same trained models pruned to −50 % MACs by L1 filter norm (`studio.prune`, uniform), no fine-tune: the seed\'s original-vs-pruned row.', '');
    out.push(table(['model', 'params original → pruned', 'MACs original → pruned (FLOPs = 2 × MACs)', 'top-1 test 0–999 original → pruned', 'wasm b1 median original → pruned', 'measured speed-up'], zp.map(([, v]) => {
      const r = v.result;
      const a = r.latencyWasm?.medianMs;
      const b = r.pruned.latencyWasm?.medianMs;
      return [r.arch, `${K(r.params)} → ${K(r.pruned.params)}`, `${M(r.macs)} → ${M(r.pruned.macs)}`, `${pct(r.top1Test0to999)} → ${pct(r.pruned.top1Test0to999)}`, `${ms(a)} → ${ms(b)}`, a && b ? `×${(a / b).toFixed(2)} (MACs ×${(r.macs / r.pruned.macs).toFixed(2)})` : '—'];
    })), '');
  }

  // published
  out.push('## Published reference (THEIRS, not measured here)', '');
  out.push('These are the numbers **as reported by the authors** in their papers, on the original CIFAR-10 test set (10000 lossless images) with their own baselines and far larger fine-tuning budgets. They are here to place our measurements, not to compare like with like.', '');
  out.push(table(['method', 'model', 'their baseline top-1', 'their pruned top-1', 'FLOPs removed', 'params removed', 'their fine-tune budget'], PUBLISHED.map((p) => [p.method, p.model, p.baseline, p.pruned, p.flopsCut, p.paramsCut, p.budget])), '');

  out.push('## How the bench works', '');
  out.push([
    '* `bench/run.mjs` serves the built `dist/` (test/e2e/serve.mjs, with cross-origin isolation) plus `../shared` under `/shared/`, starts Debian\'s Chromium through playwright-core (test/e2e/browser.mjs; never downloads a browser, WebGPU on SwiftShader) and calls only `window.studio` methods (`bench/lib/session.mjs`).',
    '* The work is split into cells (`bench/lib/sections.mjs`); after each one the results JSON is rewritten atomically with its result or its error, and the next cell runs anyway. `--resume` skips the cells already recorded as ok; datasets and models are re-imported on demand, so any cell can run alone (`--only REGEX`).',
    '* Fine-tunes, zoo training and the timed training run use a subset of REAL CIFAR-10 (unless `--full-train-split`): the first N training images (lossless) written as PNGs in a zip of `train|test/<class>/` folders (built once in the OS temp folder by `bench/lib/subset.mjs`) and imported with `studio.importDataset(url)`; the class folders sort into CIFAR-10\'s label order. Accuracy is always measured on the imported CIFAR-10 tarball\'s test 0–999.',
    '* Latency = `studio.benchmark(model, {backends: [b], warmup, runs, minTimeMs, maxTimeMs})`, batch 1, median of the timed runs, then a batch-32 throughput pass; each backend times its own copy of the model loaded from storage. WebGPU on a software adapter (≈ 0.5–2 s per image) is skipped in quick mode. On SwiftShader the GPU device can be lost after a heavy run, after which every WebGPU/WebGL call in that browser fails: such cells are re-run one per browser (`--only`), and the ones that still fail are listed below.',
    '* Limits: one machine, shared with other jobs (latency medians drift between cells); fine-tunes of 1 epoch on 4000 images (quick mode: 256) recover part of the accuracy, not all of it — the published methods fine-tune for 100+ epochs on 50000 images; the full test set is mostly JPEG-derived (see the data row in section 1).',
  ].join('\n'), '');

  if (failed.length) {
    out.push('## Cells that failed', '');
    out.push(table(['cell', 'error'], failed.map(([id, v]) => [id, esc(v.error?.message)])), '');
  }
  return out.join('\n');
}

function cellError(cell) {
  return cell ? `_failed: ${esc(cell.error?.message)}_` : '_not run_';
}

/** Points for the Pareto chart: original + each criterion after pruning / after fine-tune(s). */
export function paretoPoints(data) {
  const c = data.cells ?? {};
  const cfg = data.config ?? {};
  const pts = [];
  const baseAcc = c[`accuracy:${cfg.pruneArch}:test0-999`]?.result?.top1;
  for (const cr of cfg.criteria ?? []) {
    const r = c[`prune:${cfg.pruneArch}:${cr}`]?.status === 'ok' ? c[`prune:${cfg.pruneArch}:${cr}`].result : null;
    if (!r) continue;
    if (typeof baseAcc === 'number' && !pts.some((p) => p.series === 'original')) pts.push({ series: 'original', label: cfg.pruneArch, macs: r.base.macs, top1: baseAcc });
    if (typeof r.pruned.top1Test0to999 === 'number') pts.push({ series: 'pruned', label: cr, macs: r.pruned.macs, top1: r.pruned.top1Test0to999 });
    if (typeof r.fineTune.plain?.top1Test0to999 === 'number') pts.push({ series: 'fine-tuned', label: cr, macs: r.pruned.macs, top1: r.fineTune.plain.top1Test0to999 });
    if (typeof r.fineTune.distilled?.top1Test0to999 === 'number') pts.push({ series: 'fine-tuned + distilled', label: cr, macs: r.pruned.macs, top1: r.fineTune.distilled.top1Test0to999 });
  }
  return pts;
}

export function writeReport({ root, file } = {}) {
  root ??= resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const path = file ? resolve(file) : pickResults(join(root, 'bench/results'));
  const data = JSON.parse(readFileSync(path, 'utf8'));
  const rel = relative(root, path);
  const md = renderReport(data, rel);
  const mdPath = join(root, 'docs/benchmarks.md');
  const svgPath = join(root, 'docs/benchmarks-pareto.svg');
  // earlier results files (bench/results/history/) are listed, never mixed into the tables
  const history = existsSync(join(root, 'bench/results/history')) ? readdirSync(join(root, 'bench/results/history')).filter((f) => f.endsWith('.json')).sort() : [];
  const extra = [...(history.length ? ['## Earlier runs (history)', '', 'Kept as dated history, not quoted here or in the README: superseded runs (mixed commits, cells measured while other jobs loaded the machine, or failed cells).', '', ...history.map((f) => `- [\`bench/results/history/${f}\`](../bench/results/history/${f})`), ''] : []), ...renderLoadTable(data)];
  writeFileSync(mdPath, `${[md, ...extra].join('\n')}\n`);
  // the README's benchmark block is generated from the same run
  const readmePath = join(root, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const START = '<!-- bench:start (generated by bench/report.mjs from the results file; do not edit) -->';
  const END = '<!-- bench:end -->';
  if (readme.includes(START) && readme.includes(END) && data.mode === 'full') {
    writeFileSync(readmePath, `${readme.slice(0, readme.indexOf(START) + START.length)}\n${renderReadme(data, rel)}\n${readme.slice(readme.indexOf(END))}`);
  }
  writeFileSync(svgPath, paretoSvg(paretoPoints(data), { title: `${data.config?.pruneArch ?? ''}, CIFAR-10 test 0–999: top-1 vs MACs (${data.mode} run ${String(data.startedAt ?? '').slice(0, 10)})` }));
  return [relative(root, mdPath), relative(root, svgPath)];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`wrote ${writeReport({ file: process.argv[2] }).join(', ')}`);
}
