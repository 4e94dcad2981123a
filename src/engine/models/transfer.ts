/**
 * Transfer-learning model surgery: cut a backbone at a layer, copy its weights into a new
 * model (new variables; the backbone is never modified), and put a fresh classifier head on it
 * (GlobalAveragePooling2D when the cut output is 4D, optional hidden Dense + dropout, `logits`).
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../errors';
import { isFixedLayer } from '../metrics/count';
import { mulberry32 } from '../random';
import { getStudioMeta, setStudioMeta } from './metadata';

export interface TransferOptions {
  cutLayer: string;
  numClasses: number;
  classes: string[];
  /** Units of an optional hidden ReLU Dense layer before `logits`. */
  hidden?: number;
  /** Dropout rate before `logits` (0..1). */
  dropout?: number;
  /** Seed of the new head's initial weights. */
  seed?: number;
}

type Sym = tf.SymbolicTensor;

/** A fresh copy of the model's graph (new layers, new variables, weights not yet copied). */
function cloneGraph(model: tf.LayersModel): tf.LayersModel {
  const config = model.getConfig();
  return model instanceof tf.Sequential
    ? (tf.Sequential.fromConfig(tf.Sequential, config, {}, true) as tf.Sequential)
    : (tf.LayersModel.fromConfig(tf.LayersModel, config, {}, true) as tf.LayersModel);
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

function singleOutput(layer: tf.layers.Layer): Sym {
  const out = layer.output;
  if (Array.isArray(out)) {
    throw new StudioError('bad-input', `Layer '${layer.name}' has ${out.length} outputs; pick a layer with one output to cut at.`);
  }
  return out;
}

export function makeTransferModel(backbone: tf.LayersModel, opts: TransferOptions): tf.LayersModel {
  const { cutLayer, numClasses, classes } = opts;
  if (!backbone.layers.some((l) => l.name === cutLayer)) {
    throw new StudioError('not-found', `Model '${backbone.name}' has no layer named '${cutLayer}'.`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new StudioError('bad-input', `numClasses must be an integer ≥ 2 (got ${numClasses}).`);
  }
  if (classes.length !== numClasses) {
    throw new StudioError('classes-mismatch', `${classes.length} class names given for numClasses = ${numClasses}.`);
  }
  if (opts.hidden !== undefined && (!Number.isInteger(opts.hidden) || opts.hidden < 1)) {
    throw new StudioError('bad-input', `hidden must be a positive integer (got ${opts.hidden}).`);
  }
  if (opts.dropout !== undefined && !(opts.dropout >= 0 && opts.dropout < 1)) {
    throw new StudioError('bad-input', `dropout must be in [0, 1) (got ${opts.dropout}).`);
  }

  const copy = cloneGraph(backbone);
  const rnd = mulberry32(opts.seed ?? Math.floor(Math.random() * 2 ** 31));
  const seed = () => Math.floor(rnd() * 2 ** 31);
  let x = singleOutput(copy.getLayer(cutLayer));
  const taken = new Set<string>();
  const keptNames = new Set<string>();
  let model: tf.LayersModel;
  try {
    // names of the kept part, so head names cannot clash
    const kept = tf.model({ inputs: copy.inputs, outputs: x });
    kept.layers.forEach((l) => {
      taken.add(l.name);
      keptNames.add(l.name);
    });
    if (x.shape.length === 4) {
      x = tf.layers.globalAveragePooling2d({ name: uniqueName('head_gap', taken) }).apply(x) as Sym;
    } else if (x.shape.length !== 2) {
      x = tf.layers.flatten({ name: uniqueName('head_flatten', taken) }).apply(x) as Sym;
    }
    if (opts.hidden) {
      x = tf.layers
        .dense({
          name: uniqueName('head_hidden', taken),
          units: opts.hidden,
          activation: 'relu',
          kernelInitializer: tf.initializers.heNormal({ seed: seed() }),
        })
        .apply(x) as Sym;
    }
    if (opts.dropout) {
      x = tf.layers.dropout({ name: uniqueName('head_dropout', taken), rate: opts.dropout, seed: seed() }).apply(x) as Sym;
    }
    x = tf.layers
      .dense({
        name: uniqueName('logits', taken),
        units: numClasses,
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed() }),
      })
      .apply(x) as Sym;
    model = tf.model({ inputs: copy.inputs, outputs: x, name: `${backbone.name}_transfer` });
  } catch (e) {
    copy.dispose();
    throw e;
  }
  // Free the variables of the cloned layers that were cut off.
  const used = new Set(model.layers);
  for (const l of copy.layers) if (!used.has(l)) l.dispose();
  // Copy the backbone weights into the kept layers (new variables; the backbone is untouched).
  for (const l of model.layers) {
    if (!keptNames.has(l.name) || l.weights.length === 0) continue;
    const src = backbone.layers.find((b) => b.name === l.name);
    if (src) l.setWeights(src.getWeights());
  }
  const meta = getStudioMeta(backbone);
  setStudioMeta(model, {
    ...meta,
    classes: [...classes],
    lineage: [...(meta.lineage ?? []), `transfer: cut '${backbone.name}' at '${cutLayer}', new ${numClasses}-class head`],
  });
  return model;
}

/**
 * Freezes (trainable=false) or unfreezes every layer except the head layers. Fixed plumbing layers
 * (input `normalize`, option-A shortcuts) are never made trainable. Re-compile the model afterwards:
 * tfjs collects the trainable weights at compile time.
 */
export function setBackboneTrainable(model: tf.LayersModel, trainable: boolean, headLayerNames: string[]): void {
  const head = new Set(headLayerNames);
  for (const name of head) {
    if (!model.layers.some((l) => l.name === name)) {
      throw new StudioError('not-found', `Model '${model.name}' has no head layer named '${name}'.`);
    }
  }
  for (const l of model.layers) {
    if (head.has(l.name)) continue;
    if (trainable && isFixedLayer(l)) continue;
    l.trainable = trainable;
  }
}

/** Names of the head layers makeTransferModel adds (for setBackboneTrainable). */
export function headLayerNames(model: tf.LayersModel): string[] {
  return model.layers.filter((l) => /^(head_(gap|flatten|hidden|dropout)|logits)(_\d+)?$/.test(l.name)).map((l) => l.name);
}

const PASS_THROUGH = new Set([
  'BatchNormalization',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'ELU',
  'PReLU',
  'Softmax',
  'ThresholdedReLU',
  'Dropout',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'ZeroPadding2D',
]);

/**
 * Layers that make sensible cut points, input to output order: single-output layers the whole
 * graph flows through (no skip connection bypasses them), that are not the input, the `normalize`
 * layer or the final output, and whose only consumer is not a BN/activation/dropout/padding
 * layer (so a conv-BN-ReLU chain is cut after the ReLU, a residual block after its last ReLU).
 */
export function cutCandidates(model: tf.LayersModel): string[] {
  const layers = model.layers;
  const index = new Map(layers.map((l, i) => [l, i]));
  // For each layer, the furthest layer index that consumes its output.
  const lastUse = layers.map(() => -1);
  const consumers: tf.layers.Layer[][] = layers.map(() => []);
  layers.forEach((l, i) => {
    for (const node of l.inboundNodes) {
      for (const src of node.inboundLayers) {
        const j = index.get(src);
        if (j === undefined) continue;
        lastUse[j] = Math.max(lastUse[j]!, i);
        consumers[j]!.push(l);
      }
    }
  });
  const outputs = new Set(model.outputLayers);
  const out: string[] = [];
  // Layer i's output is a cut point when no layer before i feeds a layer after i
  // (`reach` = furthest consumer of any earlier layer).
  let reach = -1;
  layers.forEach((l, i) => {
    const bypassed = reach > i;
    reach = Math.max(reach, lastUse[i]!);
    if (bypassed || outputs.has(l) || l.getClassName() === 'InputLayer' || isFixedLayer(l)) return;
    if (l.inboundNodes.length !== 1 || Array.isArray(l.output)) return;
    const cons = consumers[i]!;
    if (cons.length === 1 && PASS_THROUGH.has(cons[0]!.getClassName())) return;
    if (l.getClassName() === 'Dropout') return;
    out.push(l.name);
  });
  return out;
}
