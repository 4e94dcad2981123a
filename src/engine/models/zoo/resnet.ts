/**
 * CIFAR ResNets (He et al. 2016, depth 6n+2: 20/32/44/56/110), basic blocks with 16/32/64
 * channels, built exactly like the akamaster TF.js conversion: option-A shortcut as a fixed,
 * non-trainable 1x1 stride-2 'valid' conv with a 0/1 kernel that shifts channel c to c + planes/4,
 * stride-2 block conv as ZeroPadding2D(1) + 'valid' conv, and the same layer names
 * (stem_conv, stageS_blockJ_conv1 …, stageS_block0_pad, stageS_block0_shortcut, avgpool, logits).
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../errors';
import { act, apply, bn, checkOptions, conv, finish, inputWithNormalize, resolveSeed, Seeds } from './common';
import type { Sym, ZooOptions } from './common';

export type ResNetDepth = 20 | 32 | 44 | 56 | 110;

/** Sets a fixed option-A shortcut kernel: input channel c -> output channel c + offset. */
export function initShortcut(layer: tf.layers.Layer, cin: number, cout: number): void {
  const offset = Math.floor((cout - cin) / 2);
  tf.tidy(() => {
    const k = new Float32Array(cin * cout);
    for (let c = 0; c < cin; c++) k[c * cout + c + offset] = 1;
    layer.setWeights([tf.tensor4d(k, [1, 1, cin, cout])]);
  });
}

export function createCifarResNet(depth: ResNetDepth, opts: ZooOptions): tf.LayersModel {
  const arch = `resnet${depth}`;
  if ((depth - 2) % 6 !== 0) throw new StudioError('bad-input', `${arch}: depth must be 6n+2.`);
  checkOptions(arch, opts, 8);
  const n = (depth - 2) / 6;
  const seed = resolveSeed(opts.seed);
  const seeds = new Seeds(seed);
  const { input, x: x0 } = inputWithNormalize(opts.inputSize);
  let x = apply(conv(seeds, 'stem_conv', 16, 3), x0);
  x = apply(bn('stem_bn'), x);
  x = apply(act('stem_relu'), x);
  const shortcuts: { layer: tf.layers.Layer; cin: number; cout: number }[] = [];
  let cin = 16;
  [16, 32, 64].forEach((planes, s) => {
    const stage = s + 1;
    for (let j = 0; j < n; j++) {
      const p = `stage${stage}_block${j}_`;
      const down = stage > 1 && j === 0;
      const blockIn: Sym = x;
      let y: Sym;
      if (down) {
        y = apply(tf.layers.zeroPadding2d({ name: `${p}pad`, padding: 1 }), blockIn);
        y = apply(conv(seeds, `${p}conv1`, planes, 3, { strides: 2, padding: 'valid' }), y);
      } else {
        y = apply(conv(seeds, `${p}conv1`, planes, 3), blockIn);
      }
      y = apply(bn(`${p}bn1`), y);
      y = apply(act(`${p}relu1`), y);
      y = apply(conv(seeds, `${p}conv2`, planes, 3), y);
      y = apply(bn(`${p}bn2`), y);
      let short: Sym = blockIn;
      if (down) {
        const sc = tf.layers.conv2d({
          name: `${p}shortcut`,
          filters: planes,
          kernelSize: 1,
          strides: 2,
          padding: 'valid',
          useBias: false,
          trainable: false,
          kernelInitializer: 'zeros',
        });
        short = apply(sc, blockIn);
        shortcuts.push({ layer: sc, cin, cout: planes });
      }
      y = apply(tf.layers.add({ name: `${p}add` }), [y, short]);
      x = apply(act(`${p}relu2`), y);
      cin = planes;
    }
  });
  for (const s of shortcuts) initShortcut(s.layer, s.cin, s.cout);
  x = apply(tf.layers.globalAveragePooling2d({ name: 'avgpool' }), x);
  x = apply(tf.layers.dense({ name: 'logits', units: opts.numClasses, kernelInitializer: seeds.glorot() }), x);
  return finish(arch, input, x, opts, seed);
}
