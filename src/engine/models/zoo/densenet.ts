/**
 * DenseNet-40 (growth 12) as in HRank's densenet_cifar.py: stem conv3x3 3->24, three dense
 * blocks of 12 BN-ReLU-Conv3x3(growth) layers whose outputs are concatenated on the channel
 * axis, transitions BN-ReLU-Conv1x1-AvgPool2 without compression, then BN-ReLU, global
 * average pool and `logits`. Channels: 24 -> 168 -> 312 -> 456.
 */
import * as tf from '@tensorflow/tfjs';
import { act, apply, bn, checkOptions, conv, finish, inputWithNormalize, resolveSeed, Seeds } from './common';
import type { ZooOptions } from './common';

export function createDenseNet40(opts: ZooOptions): tf.LayersModel {
  checkOptions('densenet40', opts, 8);
  const growth = 12;
  const layersPerBlock = 12;
  const seed = resolveSeed(opts.seed);
  const seeds = new Seeds(seed);
  const { input, x: x0 } = inputWithNormalize(opts.inputSize);
  let x = apply(conv(seeds, 'stem_conv', 2 * growth, 3), x0);
  let channels = 2 * growth;
  for (let b = 1; b <= 3; b++) {
    for (let l = 0; l < layersPerBlock; l++) {
      const p = `dense${b}_layer${l}_`;
      let y = apply(bn(`${p}bn`), x);
      y = apply(act(`${p}relu`), y);
      y = apply(conv(seeds, `${p}conv`, growth, 3), y);
      x = apply(tf.layers.concatenate({ name: `${p}concat`, axis: -1 }), [x, y]);
      channels += growth;
    }
    if (b < 3) {
      const p = `trans${b}_`;
      x = apply(bn(`${p}bn`), x);
      x = apply(act(`${p}relu`), x);
      x = apply(conv(seeds, `${p}conv`, channels, 1), x);
      x = apply(tf.layers.averagePooling2d({ name: `${p}pool`, poolSize: 2, strides: 2 }), x);
    }
  }
  x = apply(bn('final_bn'), x);
  x = apply(act('final_relu'), x);
  x = apply(tf.layers.globalAveragePooling2d({ name: 'avgpool' }), x);
  x = apply(tf.layers.dense({ name: 'logits', units: opts.numClasses, kernelInitializer: seeds.glorot() }), x);
  return finish('densenet40', input, x, opts, seed);
}
