/**
 * Per-image, per-channel Σ_positions a·∂L/∂a at chosen layer outputs, in one forward+backward pass.
 * The model is executed layer by layer (eagerly, inference mode); each captured output is
 * multiplied by a gate tensor of ones shaped [N, 1, 1, C] (or [N, C]); the gradient of the summed
 * cross-entropy with respect to that gate is exactly Σ_positions a·∂L/∂a for every image and
 * channel (Molchanov et al. 2017/2019). Sparse labels; logits are the model's only output.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../errors';

export interface GateGrads {
  /** [n, c] row-major. */
  data: Float32Array;
  n: number;
  c: number;
  /** positions (H·W) each gate sums over. */
  positions: number;
}

function runWithGates(model: tf.LayersModel, xs: tf.Tensor, gates: Map<string, tf.Tensor>): tf.Tensor {
  if (model.inputs.length !== 1 || model.outputs.length !== 1)
    throw new StudioError('unsupported-layer', 'Taylor importance needs a model with one input and one output.');
  const values = new Map<number, tf.Tensor>();
  values.set(model.inputs[0]!.id, xs);
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    if (layer instanceof tf.LayersModel)
      throw new StudioError('unsupported-layer', `Taylor importance does not support nested models ("${layer.name}").`);
    const node = layer.inboundNodes[0];
    if (!node) continue;
    const ins = node.inputTensors.map((s) => {
      const v = values.get(s.id);
      if (!v) throw new StudioError('internal', `Layer "${layer.name}" reads a tensor that was not computed.`);
      return v;
    });
    let out = layer.apply(ins.length === 1 ? ins[0]! : ins, { training: false }) as tf.Tensor;
    const gate = gates.get(layer.name);
    if (gate) out = tf.mul(out, gate);
    values.set(node.outputTensors[0]!.id, out);
  }
  const logits = values.get(model.outputs[0]!.id);
  if (!logits) throw new StudioError('internal', 'The model output was not computed.');
  return logits;
}

/** Gate gradients for each named layer output on one labelled batch (no tensors left behind). */
export function gateGradients(model: tf.LayersModel, layers: string[], xs: tf.Tensor4D, labels: tf.Tensor1D): Map<string, GateGrads> {
  const n = xs.shape[0];
  const shapes = layers.map((l) => model.getLayer(l).outputShape as (number | null)[]);
  const grads = tf.tidy(() => {
    const gates = shapes.map((s) => (s.length === 4 ? tf.ones([n, 1, 1, s[3]!]) : tf.ones([n, s[s.length - 1]!])));
    const f = (...gs: tf.Tensor[]): tf.Scalar => {
      const m = new Map<string, tf.Tensor>();
      layers.forEach((l, i) => m.set(l, gs[i]!));
      const logits = runWithGates(model, xs, m);
      const classes = logits.shape[logits.shape.length - 1]!;
      return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, classes), logits, undefined, undefined, tf.Reduction.SUM) as tf.Scalar;
    };
    return tf.grads(f)(gates);
  });
  const out = new Map<string, GateGrads>();
  try {
    layers.forEach((l, i) => {
      const s = shapes[i]!;
      const c = s[s.length - 1]!;
      const positions = s.length === 4 ? s[1]! * s[2]! : 1;
      out.set(l, { data: grads[i]!.dataSync() as Float32Array, n, c, positions });
    });
  } finally {
    tf.dispose(grads);
  }
  return out;
}
