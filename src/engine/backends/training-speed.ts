/**
 * A quick training-speed probe: a few SGD steps of a small residual CNN per backend, so the studio can pick the
 * fastest training backend on this device (e.g. WASM with our training kernels beats SwiftShader-class WebGPU/WebGL).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from './types';

function probeModel(): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3] });
  const init = tf.initializers.heNormal({ seed: 1 });
  let x = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization().apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  for (let i = 0; i < 2; i++) {
    let y = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init }).apply(x) as tf.SymbolicTensor;
    y = tf.layers.batchNormalization().apply(y) as tf.SymbolicTensor;
    y = tf.layers.reLU().apply(y) as tf.SymbolicTensor;
    x = tf.layers.add().apply([x, y]) as tf.SymbolicTensor;
  }
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, kernelInitializer: init }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** Images per second of training on the ACTIVE backend (1 warm-up step, then `steps` timed steps at `batch`). */
export async function trainingImagesPerSecond(batch = 8, steps = 2): Promise<number> {
  const model = probeModel();
  const opt = tf.train.momentum(0.01, 0.9);
  const xs = tf.randomUniform([batch, 32, 32, 3], 0, 255, 'float32', 7);
  const ys = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), 'int32'), 10);
  const step = async () => {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor), true) as tf.Scalar;
    await loss.data();
    loss.dispose();
  };
  try {
    await step();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await step();
    return (batch * steps) / ((performance.now() - t0) / 1000);
  } finally {
    tf.dispose([xs, ys]);
    opt.dispose();
    model.dispose();
  }
}

export type SpeedTable = Partial<Record<BackendName, number>>;

/** Picks the fastest backend from a speed table and explains the choice; without any measurement, keeps `current`. */
export function pickTrainingBackend(speeds: SpeedTable, current: BackendName): { backend: BackendName; reason: string } {
  const entries = Object.entries(speeds).filter(([, v]) => typeof v === 'number' && v > 0) as [BackendName, number][];
  if (entries.length === 0) return { backend: current, reason: `no other backend could be measured; staying on ${current}` };
  entries.sort((a, b) => b[1] - a[1]);
  const [best, speed] = entries[0]!;
  const rest = entries.slice(1).map(([n, v]) => `${n} ${v.toFixed(1)}`).join(', ');
  return { backend: best, reason: `${best} trains fastest here: ${speed.toFixed(1)} img/s${rest ? ` (vs ${rest} img/s)` : ''} on a small residual CNN` };
}
