/**
 * MobileNetV2 (Sandler et al. 2018), CIFAR variant as in the common CIFAR port
 * (kuangliu/pytorch-cifar): stem conv3x3 stride 1 (32 ch), the 24-channel stage at stride 1,
 * so 32x32 inputs end at 4x4. Inverted residual blocks: 1x1 expand (skipped when t = 1) -> BN ->
 * ReLU6 -> 3x3 depthwise -> BN -> ReLU6 -> 1x1 project -> BN, plus an Add when stride 1 and
 * in == out. Stride-2 depthwise convs use ZeroPadding2D(1) + 'valid' (PyTorch padding).
 * Head: 1x1 conv 320->1280, BN, ReLU6, global average pool, `logits`.
 */
import * as tf from '@tensorflow/tfjs';
import { act, apply, bn, checkOptions, conv, finish, inputWithNormalize, resolveSeed, Seeds } from './common';
import type { Sym, ZooOptions } from './common';

/** (expansion t, output channels c, repeats n, first stride s) */
const CFG: [number, number, number, number][] = [
  [1, 16, 1, 1],
  [6, 24, 2, 1],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

export function createMobileNetV2(opts: ZooOptions): tf.LayersModel {
  checkOptions('mobilenetv2', opts, 8);
  const seed = resolveSeed(opts.seed);
  const seeds = new Seeds(seed);
  const { input, x: x0 } = inputWithNormalize(opts.inputSize);
  let x = apply(conv(seeds, 'stem_conv', 32, 3), x0);
  x = apply(bn('stem_bn'), x);
  x = apply(act('stem_relu', 'relu6'), x);
  let cin = 32;
  let block = 0;
  for (const [t, c, n, s] of CFG) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const p = `block${block}_`;
      const hidden = cin * t;
      let y: Sym = x;
      if (t !== 1) {
        y = apply(conv(seeds, `${p}expand`, hidden, 1), y);
        y = apply(bn(`${p}expand_bn`), y);
        y = apply(act(`${p}expand_relu`, 'relu6'), y);
      }
      if (stride === 2) y = apply(tf.layers.zeroPadding2d({ name: `${p}pad`, padding: 1 }), y);
      y = apply(
        tf.layers.depthwiseConv2d({
          name: `${p}dw`,
          kernelSize: 3,
          strides: stride,
          padding: stride === 2 ? 'valid' : 'same',
          depthMultiplier: 1,
          useBias: false,
          depthwiseInitializer: seeds.he(),
        }),
        y,
      );
      y = apply(bn(`${p}dw_bn`), y);
      y = apply(act(`${p}dw_relu`, 'relu6'), y);
      y = apply(conv(seeds, `${p}project`, c, 1), y);
      y = apply(bn(`${p}project_bn`), y);
      if (stride === 1 && cin === c) y = apply(tf.layers.add({ name: `${p}add` }), [y, x]);
      x = y;
      cin = c;
      block++;
    }
  }
  x = apply(conv(seeds, 'head_conv', 1280, 1), x);
  x = apply(bn('head_bn'), x);
  x = apply(act('head_relu', 'relu6'), x);
  x = apply(tf.layers.globalAveragePooling2d({ name: 'avgpool' }), x);
  x = apply(tf.layers.dense({ name: 'logits', units: opts.numClasses, kernelInitializer: seeds.glorot() }), x);
  return finish('mobilenetv2', input, x, opts, seed);
}
