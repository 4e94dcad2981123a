/** Small odd-shaped models for the pruning tests (8x8x3 inputs). */
import * as tf from '@tensorflow/tfjs';

type Sym = tf.SymbolicTensor;
const ap = (l: tf.layers.Layer, x: Sym | Sym[]): Sym => l.apply(x) as Sym;
let seed = 100;
const init = () => tf.initializers.randomNormal({ mean: 0, stddev: 0.5, seed: seed++ });
export const conv = (name: string, filters: number, k = 3, extra: Partial<Parameters<typeof tf.layers.conv2d>[0]> = {}) =>
  tf.layers.conv2d({ name, filters, kernelSize: k, padding: 'same', kernelInitializer: init(), biasInitializer: init(), ...extra });
/** BN with non-trivial statistics so removed channels would show. */
export const bn = (name: string) =>
  tf.layers.batchNormalization({
    name,
    gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: seed++ }),
    betaInitializer: init(),
    movingMeanInitializer: init(),
    movingVarianceInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 2, seed: seed++ }),
  });
export const relu = (name: string) => tf.layers.activation({ name, activation: 'relu' });
export const dense = (name: string, units: number) => tf.layers.dense({ name, units, kernelInitializer: init(), biasInitializer: init() });
const head = (x: Sym, classes = 5, prefix = ''): Sym => ap(dense(`${prefix}logits`, classes), ap(tf.layers.globalAveragePooling2d({ name: `${prefix}gap` }), x));
const input = (name = 'input') => tf.input({ shape: [8, 8, 3], name });

export function selfConcat(): tf.LayersModel {
  const x = input();
  const a = ap(relu('a_relu'), ap(bn('a_bn'), ap(conv('a', 4), x)));
  const c = ap(tf.layers.concatenate({ name: 'cat' }), [a, a]);
  const b = ap(conv('b', 6), c);
  return tf.model({ inputs: x, outputs: head(b), name: 'self_concat' });
}

export function concatIntoAdd(): tf.LayersModel {
  const x = input();
  const a = ap(conv('a', 4), x);
  const b = ap(conv('b', 3), x);
  const cat = ap(tf.layers.concatenate({ name: 'cat' }), [a, b]);
  const c = ap(conv('c', 7), x);
  const s = ap(relu('s_relu'), ap(tf.layers.add({ name: 'add' }), [cat, c]));
  const d = ap(conv('d', 5), s);
  return tf.model({ inputs: x, outputs: head(d), name: 'concat_add' });
}

export function depthwiseAfterConcat(): tf.LayersModel {
  const x = input();
  const a = ap(conv('a', 4), x);
  const b = ap(conv('b', 3), x);
  const cat = ap(tf.layers.concatenate({ name: 'cat' }), [a, b]);
  const dw = ap(
    tf.layers.depthwiseConv2d({ name: 'dw', kernelSize: 3, depthMultiplier: 2, padding: 'same', depthwiseInitializer: init(), biasInitializer: init() }),
    cat,
  );
  const y = ap(relu('dw_relu'), ap(bn('dw_bn'), dw));
  const sep = ap(
    tf.layers.separableConv2d({ name: 'sep', filters: 6, kernelSize: 3, depthMultiplier: 2, padding: 'same', depthwiseInitializer: init(), pointwiseInitializer: init(), biasInitializer: init() }),
    y,
  );
  const p = ap(tf.layers.prelu({ name: 'prelu', alphaInitializer: init() }), sep);
  const d = ap(conv('d', 5, 1), p);
  return tf.model({ inputs: x, outputs: head(d), name: 'dw_concat' });
}

export function nestedResiduals(): tf.LayersModel {
  const x = input();
  const s = ap(relu('stem_relu'), ap(bn('stem_bn'), ap(conv('stem', 8), x)));
  const block = (p: string, t: Sym): Sym => {
    const h = ap(relu(`${p}_relu1`), ap(bn(`${p}_bn1`), ap(conv(`${p}_conv1`, 6), t)));
    const o = ap(bn(`${p}_bn2`), ap(conv(`${p}_conv2`, 8), h));
    return ap(relu(`${p}_relu2`), ap(tf.layers.add({ name: `${p}_add` }), [o, t]));
  };
  const r1 = block('b1', s);
  const r2 = block('b2', r1);
  const outer = ap(tf.layers.add({ name: 'outer_add' }), [s, r2]);
  return tf.model({ inputs: x, outputs: head(outer), name: 'nested_res' });
}

export function flattenDense(): tf.LayersModel {
  const x = input();
  const a = ap(tf.layers.maxPooling2d({ name: 'pool', poolSize: 2 }), ap(relu('a_relu'), ap(conv('a', 5), x)));
  const f = ap(tf.layers.flatten({ name: 'flat' }), a);
  const h = ap(relu('h_relu'), ap(dense('hidden', 7), f));
  const y = ap(dense('logits', 3), ap(tf.layers.dropout({ name: 'drop', rate: 0.5 }), h));
  return tf.model({ inputs: x, outputs: y, name: 'flatten_dense' });
}

export function multiOutput(): tf.LayersModel {
  const x = input();
  const a = ap(relu('a_relu'), ap(conv('a', 6), x));
  const b = ap(conv('b', 4), a);
  const out1 = head(b, 3, 'h1_');
  const c = ap(conv('c', 5), ap(tf.layers.maxPooling2d({ name: 'pool', poolSize: 2 }), a));
  const out2 = head(c, 2, 'h2_');
  return tf.model({ inputs: x, outputs: [out1, out2], name: 'multi_out' });
}

/** A layer class the rule table does not know (doubles its input). */
export class TimesTwo extends tf.layers.Layer {
  static className = 'TimesTwo';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.mul(x, 2);
  }
}
tf.serialization.registerClass(TimesTwo);

export function unsupportedMiddle(): tf.LayersModel {
  const x = input();
  const a = ap(relu('a_relu'), ap(conv('a', 6), x));
  const t = ap(new TimesTwo({ name: 'times_two' }), a);
  const b = ap(relu('b_relu'), ap(conv('b', 5), t));
  // permute that moves channels: b's channels cannot be pruned
  const pm = ap(tf.layers.permute({ name: 'perm', dims: [3, 1, 2] }), b);
  const c = ap(conv('c', 4), pm);
  const d = ap(conv('d', 6), c);
  return tf.model({ inputs: x, outputs: head(d), name: 'unsupported_mid' });
}

export function sequentialModel(): tf.Sequential {
  return tf.sequential({
    name: 'seq',
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 3], name: 'c1', filters: 6, kernelSize: 3, kernelInitializer: init(), biasInitializer: init() }),
      bn('bn1'),
      tf.layers.leakyReLU({ name: 'lrelu', alpha: 0.1 }),
      tf.layers.zeroPadding2d({ name: 'pad', padding: 1 }),
      tf.layers.conv2d({ name: 'c2', filters: 5, kernelSize: 3, strides: 2, kernelInitializer: init(), biasInitializer: init() }),
      tf.layers.elu({ name: 'elu' }),
      tf.layers.flatten({ name: 'flat' }),
      dense('fc', 4),
    ],
  });
}

export function nestedModel(): tf.LayersModel {
  // inner functional block
  const ix = tf.input({ shape: [8, 8, 6], name: 'inner_in' });
  const iy = ap(relu('inner_relu'), ap(bn('inner_bn'), ap(conv('inner_conv', 7), ix)));
  const inner = tf.model({ inputs: ix, outputs: iy, name: 'inner_block' });
  // inner Sequential head
  const seq = tf.sequential({
    name: 'inner_seq',
    layers: [
      tf.layers.conv2d({ inputShape: [4, 4, 7], name: 'seq_conv', filters: 5, kernelSize: 1, kernelInitializer: init(), biasInitializer: init() }),
      tf.layers.globalAveragePooling2d({ name: 'seq_gap' }),
    ],
  });
  const x = input();
  const a = ap(conv('a', 6), x);
  const b = ap(inner, a);
  const p = ap(tf.layers.averagePooling2d({ name: 'pool', poolSize: 2 }), b);
  const s = ap(seq, p);
  return tf.model({ inputs: x, outputs: ap(dense('logits', 3), s), name: 'nested' });
}

/** Many per-channel layer classes and merges in one graph. */
export function layerZoo(): tf.LayersModel {
  const x = input();
  const a = ap(conv('a', 6), x);
  const b = ap(conv('b', 6), x);
  const sub = ap(tf.layers.add({ name: 'sub' }), [a, b]);
  const mul = ap(tf.layers.multiply({ name: 'mul' }), [sub, ap(tf.layers.activation({ name: 'sig', activation: 'sigmoid' }), a)]);
  const mx = ap(tf.layers.maximum({ name: 'max' }), [mul, b]);
  const mn = ap(tf.layers.minimum({ name: 'min' }), [mx, a]);
  const av = ap(tf.layers.average({ name: 'avg' }), [mn, sub]);
  const ln = ap(tf.layers.reLU({ name: 'relu_layer', maxValue: 6 }), av);
  const sd = ap(tf.layers.dropout({ name: 'sdrop', rate: 0.3 }), ln);
  const crop = ap(tf.layers.cropping2D({ name: 'crop', cropping: [[1, 1], [1, 1]] }), sd);
  const up = ap(tf.layers.upSampling2d({ name: 'up', size: [2, 2] }), crop);
  const ap2 = ap(tf.layers.averagePooling2d({ name: 'apool', poolSize: 2 }), up);
  const tc = ap(tf.layers.conv2dTranspose({ name: 'tconv', filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: init(), biasInitializer: init() }), ap2);
  const c = ap(conv('c', 5, 3, { activation: 'relu' }), tc);
  const r = ap(tf.layers.reshape({ name: 'reshape', targetShape: [36, 5] }), c);
  const c1 = ap(tf.layers.conv1d({ name: 'conv1d', filters: 4, kernelSize: 3, kernelInitializer: init(), biasInitializer: init() }), r);
  const g = ap(tf.layers.globalMaxPooling1d({ name: 'gmp' }), c1);
  const d = ap(dense('fc', 4), g);
  return tf.model({ inputs: x, outputs: ap(dense('logits', 3), d), name: 'layer_zoo' });
}
