/**
 * Building blocks shared by the zoo families: seeded He-normal initialisers, the fixed
 * `normalize` input layer (raw 0..255 RGB -> (x/255 - mean)/std per channel), and the
 * final step that attaches StudioModelMeta.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../errors';
import { mulberry32 } from '../../random';
import { setStudioMeta } from '../metadata';
import type { InputSpec } from '../types';

/** CIFAR-10 training-set channel statistics (RGB, on 0..1 pixels). */
export const CIFAR_MEAN: [number, number, number] = [0.4914, 0.4822, 0.4465];
export const CIFAR_STD: [number, number, number] = [0.247, 0.2435, 0.2616];

export interface ZooOptions {
  numClasses: number;
  inputSize: number;
  classes?: string[];
  seed?: number;
}

export type Sym = tf.SymbolicTensor;
type Init = ReturnType<typeof tf.initializers.heNormal>;

/** Hands out a fresh, reproducible seed per layer. */
export class Seeds {
  private readonly rnd: () => number;
  constructor(seed: number) {
    this.rnd = mulberry32(seed);
  }
  next(): number {
    return Math.floor(this.rnd() * 2 ** 31);
  }
  he(): Init {
    return tf.initializers.heNormal({ seed: this.next() });
  }
  glorot(): Init {
    return tf.initializers.glorotUniform({ seed: this.next() });
  }
}

export function checkOptions(arch: string, opts: ZooOptions, minSize: number): void {
  if (!Number.isInteger(opts.numClasses) || opts.numClasses < 2) {
    throw new StudioError('bad-input', `${arch}: numClasses must be an integer ≥ 2 (got ${opts.numClasses}).`);
  }
  if (!Number.isInteger(opts.inputSize) || opts.inputSize < minSize) {
    throw new StudioError('bad-input', `${arch}: inputSize must be an integer ≥ ${minSize} (got ${opts.inputSize}).`);
  }
  if (opts.classes && opts.classes.length !== opts.numClasses) {
    throw new StudioError(
      'classes-mismatch',
      `${arch}: ${opts.classes.length} class names given for numClasses = ${opts.numClasses}.`,
    );
  }
}

/** Input + fixed `normalize` layer. Returns the input and the normalised tensor; call `initNormalize` after building. */
export function inputWithNormalize(size: number): { input: Sym; x: Sym; layer: tf.layers.Layer } {
  const input = tf.input({ shape: [size, size, 3], name: 'input' });
  const layer = tf.layers.depthwiseConv2d({
    name: 'normalize',
    kernelSize: 1,
    depthMultiplier: 1,
    useBias: true,
    trainable: false,
    depthwiseInitializer: 'zeros',
  });
  const x = layer.apply(input) as Sym;
  initNormalize(layer, CIFAR_MEAN, CIFAR_STD);
  return { input, x, layer };
}

/** Sets a 1x1 depthwise layer to x * 1/(255·std) − mean/std. */
export function initNormalize(layer: tf.layers.Layer, mean: number[], std: number[]): void {
  tf.tidy(() => {
    const k = tf.tensor4d(std.map((s) => 1 / (255 * s)), [1, 1, 3, 1]);
    const b = tf.tensor1d(mean.map((m, c) => -m / std[c]!));
    layer.setWeights([k, b]);
  });
}

export const ZOO_INPUT: InputSpec = { range: [0, 255], mean: CIFAR_MEAN, std: CIFAR_STD, normalizeOutside: false };

export function conv(
  seeds: Seeds,
  name: string,
  filters: number,
  kernelSize: number,
  opts: { strides?: number; padding?: 'same' | 'valid'; useBias?: boolean } = {},
): tf.layers.Layer {
  return tf.layers.conv2d({
    name,
    filters,
    kernelSize,
    strides: opts.strides ?? 1,
    padding: opts.padding ?? 'same',
    useBias: opts.useBias ?? false,
    kernelInitializer: seeds.he(),
  });
}

/** BatchNormalization with PyTorch's epsilon and momentum (0.1 in PyTorch = 0.9 in Keras). */
export function bn(name: string): tf.layers.Layer {
  return tf.layers.batchNormalization({ name, axis: -1, epsilon: 1e-5, momentum: 0.9 });
}

export function act(name: string, activation: 'relu' | 'relu6' = 'relu'): tf.layers.Layer {
  return tf.layers.activation({ name, activation });
}

export function apply(layer: tf.layers.Layer, x: Sym | Sym[]): Sym {
  return layer.apply(x) as Sym;
}

/** Builds the functional model and attaches the studio metadata. */
export function finish(arch: string, input: Sym, output: Sym, opts: ZooOptions, seed: number): tf.LayersModel {
  const model = tf.model({ inputs: input, outputs: output, name: arch });
  const classes = opts.classes ? [...opts.classes] : Array.from({ length: opts.numClasses }, (_, i) => `class_${i}`);
  setStudioMeta(model, {
    arch,
    classes,
    input: { ...ZOO_INPUT, mean: [...ZOO_INPUT.mean], std: [...ZOO_INPUT.std] },
    lineage: [`created ${arch} from scratch (seed ${seed})`],
    seed,
  });
  return model;
}

export function resolveSeed(seed: number | undefined): number {
  return seed ?? Math.floor(Math.random() * 2 ** 31);
}
