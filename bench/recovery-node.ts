/**
 * Node experiment for recovery (not part of `npm run bench`, which measures in the browser): akamaster ResNet on
 * tfjs-wasm, L1 plan, surgery, recovery, top-1 on CIFAR-10 test 0–999. Bundle and run as bench/wasm-training.ts:
 *   npx esbuild bench/recovery-node.ts --bundle --platform=node --format=esm --packages=external --outfile=bench/.rec.tmp.mjs
 *   node bench/.rec.tmp.mjs <resnet56> <train.bin (CIFAR records)> key=value ...
 * keys: method=none|bn|reconstruct scope=inner|uniform|auto|error macs=0.5 images=512 positions=32 ridge=1e-3 criterion=l1
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type { SplitData } from '../src/engine/data/types';
import { buildDependencyGraph } from '../src/engine/graph';
import { analyze } from '../src/engine/importance/analyze';
import { evaluate } from '../src/engine/metrics/evaluate';
import { getStudioMeta } from '../src/engine/models/metadata';
import { makePlan, type PlanScope } from '../src/engine/plan/planner';
import { pruneModelDetailed } from '../src/engine/prune';
import { allocateByReconstruction } from '../src/engine/recover/allocate';
import { recoverPruned } from '../src/engine/recover/recover';

const require = createRequire(import.meta.url);
const [arch = 'resnet56', trainPath = '/tmp/train4000.bin', ...rest] = process.argv.slice(2);
const opt = Object.fromEntries(rest.map((kv) => kv.split('=') as [string, string]));

function records(path: string, n?: number): SplitData {
  const buf = readFileSync(path);
  const count = Math.min(n ?? Infinity, Math.floor(buf.length / 3073));
  const images = new Uint8Array(count * 3072);
  const labels = new Uint16Array(count);
  for (let r = 0; r < count; r++) {
    labels[r] = buf[r * 3073]!;
    for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) images[(r * 1024 + p) * 3 + c] = buf[r * 3073 + 1 + c * 1024 + p]!;
  }
  return { count, images, labels };
}

async function load(dir: string): Promise<tf.LayersModel> {
  const mj = JSON.parse(readFileSync(resolve(dir, 'model.json'), 'utf8'));
  const bin = readFileSync(resolve(dir, 'group1-shard1of1.bin'));
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: mj.modelTopology, weightSpecs: mj.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), userDefinedMetadata: mj.userDefinedMetadata }));
}

async function main(): Promise<void> {
  setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/');
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  const root = resolve(process.cwd(), '../shared');
  const dir = arch.startsWith('vgg') ? resolve(root, 'models/vgg16-tfjs') : resolve(root, 'models/akamaster-tfjs', arch);
  const model = await load(dir);
  const input = getStudioMeta(model).input;
  const test = records(resolve(root, 'data/cifar-10-test-lossless-1000.bin'));
  const train = records(trainPath);
  const top1 = async (m: tf.LayersModel) => (await evaluate(m, test, 32, input, { end: 1000 })).top1;
  const graph = buildDependencyGraph(model);
  const criterion = (opt.criterion ?? 'l1') as 'l1';
  const analysis = await analyze(model, graph, train, 32, { criterion, input, batches: 8, batchSize: 64 });
  const macs = Number(opt.macs ?? 0.5);
  let plan;
  if (opt.scope === 'error') {
    const a = await allocateByReconstruction(model, graph, analysis, train, { input, imageSize: 32, target: { macs }, images: Number(opt.allocImages ?? 256) });
    console.log(JSON.stringify({ allocationMs: Math.round(a.ms), ratios: Object.values(a.ratios).map((r) => +r.toFixed(2)) }));
    plan = makePlan(model, graph, analysis, { target: { ratios: a.ratios }, scope: 'uniform' });
  } else {
    plan = makePlan(model, graph, analysis, { target: { macs }, scope: (opt.scope ?? 'inner') as PlanScope, roundTo: Number(opt.roundTo ?? 1) });
  }
  const { model: pruned, applied } = pruneModelDetailed(model, plan.remove, { roundTo: Number(opt.roundTo ?? 1) });
  console.log(JSON.stringify({ arch, scope: plan.scope, reason: plan.scopeReason, macs: [plan.baseMacs, plan.macs], base: await top1(model), pruned: await top1(pruned) }));
  for (const method of (opt.method ?? 'bn,reconstruct').split(',')) {
    const copy = pruneModelDetailed(model, plan.remove, { roundTo: Number(opt.roundTo ?? 1) }).model;
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    const r = await recoverPruned(model, copy, applied, train, {
      method: method as 'bn', input, imageSize: 32, images: Number(opt.images ?? 512), positions: Number(opt.positions ?? 32), ridge: Number(opt.ridge ?? 1e-3),
      sampling: 'first', layers: (opt.layers ?? 'reduced') as 'reduced',
    });
    const ms = performance.now() - t0;
    const worst = [...r.layers].sort((a, b) => b.errorAfter - a.errorAfter).slice(0, 3).map((l) => `${l.layer} ${l.errorBefore.toFixed(3)}→${l.errorAfter.toFixed(3)}`);
    console.log(JSON.stringify({ method, top1: await top1(copy), ms: Math.round(ms), layers: r.layers.length, bn: r.batchNorms, leaked: tf.memory().numTensors - before, worst }));
    copy.dispose();
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
