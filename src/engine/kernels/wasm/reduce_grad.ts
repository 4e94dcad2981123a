/**
 * Leaner gradients for Mean and Sum on the wasm backend. tfjs-core 4.22 builds
 * dx = reshape(dy, keptDims) · ones(x.shape) [/ n], and `ones` fills a fresh
 * full-size Float32Array in JS and uploads it to the wasm heap on every call. In a
 * ResNet training step (two Means per BatchNorm for the batch moments) that alone
 * took about a fifth of the step, outside any kernel. Ours tiles the small tensor
 * instead: dx = broadcastTo(reshape(dy, keptDims) [/ n], x.shape), which runs the
 * project's memcpy-speed Tile. Every element gets the same single float operation
 * as before, so the values are identical.
 *
 * Gradients are global in tfjs; these dispatch on the active backend and call
 * tfjs' own gradient unchanged anywhere but 'wasm' (and for non-float32 dy).
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs';

const KINDS = ['Mean', 'Sum'] as const;
type Kind = (typeof KINDS)[number];

const ours = new WeakSet<GradConfig['gradFunc']>();

/** True if `config` is one of the gradients installed here. */
export function isLeanReduceGrad(config: GradConfig | undefined): boolean {
  return config != null && ours.has(config.gradFunc);
}

/** dx for Mean/Sum over `attrs.axis` of x, tiled from the small dy. */
export function tiledReduceGrad(kind: Kind, dy: Tensor, x: Tensor, attrs: NamedAttrMap): Tensor {
  const axes = tf.util.parseAxisParam(attrs['axis'] as number | number[], x.shape);
  const kept = x.shape.slice();
  let n = 1;
  for (const a of axes) {
    n *= kept[a]!;
    kept[a] = 1;
  }
  const small = tf.reshape(dy, kept);
  return tf.broadcastTo(kind === 'Mean' ? tf.div(small, n) : small, x.shape);
}

function lean(kind: Kind, original: GradConfig): GradConfig {
  const gradFunc = (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap): ReturnType<GradConfig['gradFunc']> => {
    const g = dy as Tensor;
    const x = saved[0]!;
    if (tf.getBackend() !== 'wasm' || g.dtype !== 'float32') return original.gradFunc(dy, saved, attrs);
    return { x: () => tiledReduceGrad(kind, g, x, attrs) };
  };
  ours.add(gradFunc);
  return { ...original, gradFunc };
}

/** Installs the lean Mean and Sum gradients (idempotent); returns the kernel names covered. */
export function installLeanReduceGrads(): string[] {
  const done: string[] = [];
  for (const kind of KINDS) {
    const existing = tf.getGradient(kind);
    if (existing == null) continue;
    if (!isLeanReduceGrad(existing)) tf.registerGradient(lean(kind, existing));
    done.push(kind);
  }
  return done;
}
