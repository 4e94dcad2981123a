/**
 * Node benchmark of a training step on tfjs 'wasm' (with the project's training
 * kernels) vs 'cpu': per-kernel profile of one step and img/s of a ResNet-20-like
 * CIFAR model. Run (esbuild bundle, since vite-node trips over the app's vite config):
 *   npx esbuild bench/wasm-training.ts --bundle --platform=node --format=esm --packages=external --outfile=/tmp/wt.mjs
 *   cp /tmp/wt.mjs bench/.wt.tmp.mjs && node bench/.wt.tmp.mjs [batch] [steps] [--cpu-batch=N] [--no-cpu] [--orig-input] [--orig-tile]
 * (the bundle must sit inside the repo so node resolves node_modules; --orig-* keep
 * tfjs-backend-wasm's own Conv2DBackpropInput / Tile for comparison; the cpu backend is
 * so slow that --cpu-batch defaults to 8: its ms/image barely depends on the batch).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { registerWasmTrainingKernels } from '../src/engine/kernels/wasm/register';

const args = process.argv.slice(2);
const batch = Number(args[0] ?? 64);
const steps = Number(args[1] ?? 5);
const withCpu = !args.includes('--no-cpu');
const origInput = args.includes('--orig-input');
const origTile = args.includes('--orig-tile');
const ab = args.includes('--ab');
const cpuBatch = Number(args.find((a) => a.startsWith('--cpu-batch='))?.split('=')[1] ?? 8);

function block(x: tf.SymbolicTensor, filters: number, stride: number, name: string): tf.SymbolicTensor {
  let y = tf.layers.conv2d({ filters, kernelSize: 3, strides: stride, padding: 'same', useBias: false, name: `${name}_conv1` }).apply(x) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({ name: `${name}_bn1` }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.reLU().apply(y) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, name: `${name}_conv2` }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({ name: `${name}_bn2` }).apply(y) as tf.SymbolicTensor;
  let s = x;
  if (stride !== 1 || x.shape[3] !== filters) {
    s = tf.layers.conv2d({ filters, kernelSize: 1, strides: stride, useBias: false, name: `${name}_short` }).apply(x) as tf.SymbolicTensor;
    s = tf.layers.batchNormalization({ name: `${name}_bns` }).apply(s) as tf.SymbolicTensor;
  }
  return tf.layers.reLU().apply(tf.layers.add().apply([y, s]) as tf.SymbolicTensor) as tf.SymbolicTensor;
}

/** ResNet-20 layout (3 stages x 3 blocks, 16/32/64 filters) with 1x1-conv shortcuts. */
function resnet20(): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3] });
  let x = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', useBias: false }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization().apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  [16, 32, 64].forEach((f, stage) => {
    for (let b = 0; b < 3; b++) x = block(x, f, stage > 0 && b === 0 ? 2 : 1, `s${stage}b${b}`);
  });
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10 }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

async function run(backend: string, batch: number): Promise<void> {
  await tf.setBackend(backend);
  await tf.ready();
  const model = resnet20();
  const opt = tf.train.momentum(0.01, 0.9);
  const xs = tf.randomUniform([batch, 32, 32, 3]);
  const ys = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32') as tf.Tensor1D, 10);
  const step = (): void => {
    const cost = opt.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor), true);
    cost?.dataSync();
    cost?.dispose();
  };
  step(); // warm-up (operator creation, heap growth)
  if (backend === 'wasm' && ab) {
    // Interleaved A/B on the same model: project kernels vs the backend's own
    // Conv2DBackpropInput + Tile (robust against load from other processes).
    const ours = ['Conv2DBackpropInput', 'Tile'].map((k) => tf.getKernel(k, 'wasm')!);
    const use = (configs: tf.KernelConfig[]): void => {
      for (const c of configs) {
        tf.unregisterKernel(c.kernelName, 'wasm');
        tf.registerKernel(c);
      }
    };
    const times: Record<string, number[]> = { ours: [], orig: [] };
    for (let r = 0; r < steps; r++) {
      for (const variant of ['ours', 'orig'] as const) {
        use(variant === 'ours' ? ours : [...originals.values()].filter((c): c is tf.KernelConfig => c != null));
        const t = performance.now();
        step();
        times[variant]!.push(performance.now() - t);
      }
    }
    use(ours);
    for (const [k, v] of Object.entries(times)) {
      const sorted = [...v].sort((a, b) => a - b);
      console.log(`A/B ${k}: min ${sorted[0]!.toFixed(0)} ms, median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms/step -> ${((batch * 1000) / sorted[0]!).toFixed(1)} img/s best`);
    }
  }
  if (backend === 'wasm') {
    const prof = await tf.profile(step);
    const byKernel = new Map<string, { ms: number; n: number }>();
    let total = 0;
    for (const k of prof.kernels) {
      const ms = Number(k.kernelTimeMs);
      const e = byKernel.get(k.name) ?? { ms: 0, n: 0 };
      e.ms += ms;
      e.n++;
      byKernel.set(k.name, e);
      total += ms;
    }
    console.log(`profile (wasm, batch ${batch}): total kernel ms ${total.toFixed(1)}`);
    [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14).forEach(([name, e]) =>
      console.log(`  ${name.padEnd(36)} ${e.ms.toFixed(1).padStart(8)} ms  ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  x${e.n}`));
  }
  const n = backend === 'cpu' ? 1 : steps;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) step();
  const dt = (performance.now() - t0) / n;
  console.log(`${backend}: ${dt.toFixed(0)} ms/step, ${((batch * 1000) / dt).toFixed(1)} img/s (batch ${batch}, ${n} steps)`);
  tf.dispose([xs, ys]);
  model.dispose();
  opt.dispose();
}

const require = createRequire(import.meta.url);
setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/');
await import('@tensorflow/tfjs-backend-wasm');
// Initialise wasm before replacing kernels, so the backend's own Tile/Conv2DBackpropInput
// get their setupFunc run (needed when --ab / --orig-* put them back later).
await tf.setBackend('wasm');
await tf.ready();
const originals = new Map(['Conv2DBackpropInput', 'Tile'].map((k) => [k, tf.getKernel(k, 'wasm')]));
console.log('registered:', registerWasmTrainingKernels().join(', '));
for (const [name, keep] of [['Conv2DBackpropInput', origInput], ['Tile', origTile]] as const) {
  const orig = originals.get(name);
  if (keep && orig) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(orig);
    console.log(`using tfjs-backend-wasm ${name}`);
  }
}
await run('wasm', batch);
if (withCpu) await run('cpu', cpuBatch);
