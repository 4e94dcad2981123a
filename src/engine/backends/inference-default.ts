/**
 * The default inference backend, chosen by measurement: software GPU adapters (SwiftShader, llvmpipe, lavapipe) are
 * never candidates while a real one (or WASM) is available; with more than one candidate, a short batch-1 forward of a
 * small CNN on each picks the fastest. The user's explicit choice (setBackend, remembered by the page) still wins.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName, BackendStatus } from './types';

/** True when the adapter is a software rasteriser (SwiftShader / llvmpipe / lavapipe): slow for inference and training. */
export function isSoftwareAdapter(details?: Record<string, string | number | boolean>): boolean {
  const text = Object.values(details ?? {}).join(' ').toLowerCase();
  return /swiftshader|llvmpipe|software|lavapipe/.test(text);
}

export interface InferenceChoice {
  backend: BackendName;
  reason: string;
  /** Median ms per batch-1 forward of the probe CNN, per measured backend (empty when nothing had to be measured). */
  probeMs: Partial<Record<BackendName, number>>;
}

function probeModel(): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3] });
  const init = tf.initializers.heNormal({ seed: 2 });
  let x = input as tf.SymbolicTensor;
  for (const [filters, strides] of [[16, 1], [32, 2], [32, 1], [64, 2]] as const)
    x = tf.layers.conv2d({ filters, kernelSize: 3, strides, padding: 'same', activation: 'relu', kernelInitializer: init }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, kernelInitializer: init }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** Median ms of a batch-1 forward (predict + read back) of a small CNN on the ACTIVE backend, after warm-up. */
export async function inferenceProbeMs(warmup = 3, runs = 7): Promise<number> {
  const model = probeModel();
  const x = tf.randomUniform([1, 32, 32, 3], 0, 255, 'float32', 3);
  try {
    const times: number[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      const t0 = performance.now();
      const y = model.predict(x) as tf.Tensor;
      await y.data();
      y.dispose();
      if (i >= warmup) times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]!;
  } finally {
    x.dispose();
    model.dispose();
  }
}

/**
 * Picks the inference default from probed statuses. Candidates: available backends that are not software GPU
 * adapters and not the reference `cpu` backend; if there are none, every available backend. One candidate is taken
 * as it is; several are timed with `measure` (which must leave no state behind) and the fastest wins.
 */
export async function chooseInferenceDefault(statuses: BackendStatus[], measure: (b: BackendName) => Promise<number>): Promise<InferenceChoice | null> {
  const available = statuses.filter((s) => s.available);
  if (available.length === 0) return null;
  const software = available.filter((s) => s.name !== 'wasm' && s.name !== 'cpu' && isSoftwareAdapter(s.details)).map((s) => s.name);
  let candidates = available.filter((s) => s.name !== 'cpu' && !software.includes(s.name)).map((s) => s.name);
  if (candidates.length === 0) candidates = available.map((s) => s.name);
  const skipped = software.length ? `; ${software.join(' and ')} skipped (software adapter)` : '';
  if (candidates.length === 1) {
    const only = candidates[0]!;
    return { backend: only, reason: `${only}: the only ${software.length ? 'non-software ' : ''}backend here${skipped}`, probeMs: {} };
  }
  const probeMs: Partial<Record<BackendName, number>> = {};
  for (const b of candidates) {
    try {
      probeMs[b] = await measure(b);
    } catch {
      /* a backend that fails the probe is not a candidate */
    }
  }
  const timed = (Object.entries(probeMs) as [BackendName, number][]).filter(([, v]) => Number.isFinite(v)).sort((a, b) => a[1] - b[1]);
  if (timed.length === 0) return { backend: candidates[0]!, reason: `${candidates[0]}: no candidate could be timed, first in order${skipped}`, probeMs };
  const [best, ms] = timed[0]!;
  const rest = timed.slice(1).map(([n, v]) => `${n} ${v.toFixed(1)} ms`).join(', ');
  return { backend: best, reason: `${best}: fastest measured batch-1 forward of a small CNN (${ms.toFixed(1)} ms${rest ? ` vs ${rest}` : ''})${skipped}`, probeMs };
}
