/**
 * VGG-16-BN, CIFAR variant as in HRank/CHIP (vgg_cifar.py): 13 conv3x3 (+bias) + BN + ReLU,
 * max pools after conv2/4/7/10, a 2x2 average pool (pool5) after conv13, flatten,
 * fc1 512->512, BatchNorm1d, ReLU, logits. At 32x32 the flatten is 512 wide; larger
 * inputs give a wider fc1 (flatten of (size/32)² × 512).
 */
import * as tf from '@tensorflow/tfjs';
import { act, apply, bn, checkOptions, conv, finish, inputWithNormalize, resolveSeed, Seeds } from './common';
import type { ZooOptions } from './common';

const CFG: (number | 'M')[] = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512];

export function createVgg16(opts: ZooOptions): tf.LayersModel {
  checkOptions('vgg16', opts, 32);
  const seed = resolveSeed(opts.seed);
  const seeds = new Seeds(seed);
  const { input, x: x0 } = inputWithNormalize(opts.inputSize);
  let x = x0;
  let i = 0;
  let pool = 0;
  for (const c of CFG) {
    if (c === 'M') {
      pool++;
      x = apply(tf.layers.maxPooling2d({ name: `pool${pool}`, poolSize: 2, strides: 2 }), x);
      continue;
    }
    i++;
    x = apply(conv(seeds, `conv${i}`, c, 3, { useBias: true }), x);
    x = apply(bn(`bn${i}`), x);
    x = apply(act(`relu${i}`), x);
  }
  x = apply(tf.layers.averagePooling2d({ name: 'pool5', poolSize: 2, strides: 2 }), x);
  x = apply(tf.layers.flatten({ name: 'flatten' }), x);
  x = apply(tf.layers.dense({ name: 'fc1', units: 512, kernelInitializer: seeds.he() }), x);
  x = apply(bn('fc_bn'), x);
  x = apply(act('fc_relu'), x);
  x = apply(tf.layers.dense({ name: 'logits', units: opts.numClasses, kernelInitializer: seeds.glorot() }), x);
  return finish('vgg16', input, x, opts, seed);
}
