/**
 * Activation capture: a sub-model of `model` whose outputs are the named layers' outputs,
 * run in inference mode; each output comes back read into a caller-owned Float32Array with its shape
 * (./readback.ts),
 * and every tensor is disposed before returning. Only top-level layers can be captured.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../errors';
import { readFloat32Owned } from './readback';

export interface CapturedMap {
  /** Owned by the caller (never tfjs's own storage): it may be transferred. */
  data: Float32Array;
  /** [n, h, w, c] (dense outputs: [n, 1, 1, c]). */
  shape: [number, number, number, number];
}

export interface Capture {
  layers: string[];
  /** Floats one image produces over all captured outputs. */
  floatsPerImage: number;
  run(xs: tf.Tensor4D): Map<string, CapturedMap>;
  dispose(): void;
}

function layerOutput(model: tf.LayersModel, name: string): tf.SymbolicTensor {
  let layer: tf.layers.Layer;
  try {
    layer = model.getLayer(name);
  } catch {
    throw new StudioError('not-found', `Cannot capture layer "${name}": it is not a top-level layer of the model.`);
  }
  const out = layer.output;
  if (Array.isArray(out)) throw new StudioError('unsupported-layer', `Cannot capture layer "${name}": it has several outputs.`);
  if (out.shape.length !== 4 && out.shape.length !== 2)
    throw new StudioError('unsupported-layer', `Cannot capture layer "${name}": output rank ${out.shape.length} (need NHWC or N×C).`);
  return out;
}

export function createCapture(model: tf.LayersModel, layers: string[]): Capture {
  const outputs = layers.map((l) => layerOutput(model, l));
  const sub = tf.model({ inputs: model.inputs, outputs });
  let floatsPerImage = 0;
  for (const o of outputs) floatsPerImage += o.shape.slice(1).reduce<number>((p, d) => p * (d ?? 1), 1);
  return {
    layers,
    floatsPerImage,
    run(xs) {
      const res = tf.tidy(() => {
        const r = sub.predict(xs);
        return Array.isArray(r) ? r : [r];
      });
      const out = new Map<string, CapturedMap>();
      try {
        res.forEach((t, i) => {
          const s = t.shape;
          const shape: [number, number, number, number] = s.length === 4 ? [s[0]!, s[1]!, s[2]!, s[3]!] : [s[0]!, 1, 1, s[1]!];
          out.set(layers[i]!, { data: readFloat32Owned(t), shape });
        });
      } finally {
        tf.dispose(res);
      }
      return out;
    },
    dispose() {
      // the sub-model shares the layers (and weights) of `model`: nothing of its own to free
    },
  };
}
