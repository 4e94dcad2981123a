/** A small conv → BN → ReLU → max-pool CNN on 32×32 raw-RGB images, with studio metadata, for worker-level tests. */
import * as tf from '@tensorflow/tfjs';
import { setStudioMeta } from '../../src/engine/models/metadata';
import { RAW_INPUT } from '../../src/engine/models/types';

export function smallCnn(classes: string[], o: { widths?: number[]; seed?: number; arch?: string } = {}): tf.LayersModel {
  const init = tf.initializers.heNormal({ seed: o.seed ?? 7 });
  const inp = tf.input({ shape: [32, 32, 3], name: 'input' });
  let x = tf.layers.rescaling({ scale: 1 / 255, name: 'scale' }).apply(inp) as tf.SymbolicTensor;
  (o.widths ?? [16, 32, 64]).forEach((f, i) => {
    x = tf.layers.conv2d({ filters: f, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init, name: `conv${i + 1}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: `bn${i + 1}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ name: `relu${i + 1}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ poolSize: 2, name: `pool${i + 1}` }).apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: classes.length, kernelInitializer: init, name: 'logits' }).apply(x) as tf.SymbolicTensor;
  const m = tf.model({ inputs: inp, outputs: out });
  setStudioMeta(m, { arch: o.arch ?? 'small-cnn', classes, input: { ...RAW_INPUT }, lineage: ['test cnn'] });
  return m;
}
