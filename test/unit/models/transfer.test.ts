import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { countModel } from '../../../src/engine/metrics/count';
import { getStudioMeta, setStudioMeta } from '../../../src/engine/models/metadata';
import { cutCandidates, headLayerNames, makeTransferModel, setBackboneTrainable } from '../../../src/engine/models/transfer';
import { createZooModel } from '../../../src/engine/models/zoo';
import { expectNoLeak } from '../../helpers/leak';

/** Small backbone: input -> normalize-like fixed layer -> conv/bn/relu -> residual block -> gap -> logits(3). */
function smallBackbone(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3], name: 'input' });
  const init = (s: number) => tf.initializers.heNormal({ seed: s });
  let x = tf.layers.conv2d({ name: 'c1', filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'b1' }).apply(x) as tf.SymbolicTensor;
  const r1 = tf.layers.activation({ name: 'r1', activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  let y = tf.layers.conv2d({ name: 'c2', filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: init(2) }).apply(r1) as tf.SymbolicTensor;
  y = tf.layers.add({ name: 'add' }).apply([y, r1]) as tf.SymbolicTensor;
  const r2 = tf.layers.activation({ name: 'r2', activation: 'relu' }).apply(y) as tf.SymbolicTensor;
  const g = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(r2) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'logits', units: 3, kernelInitializer: init(3) }).apply(g) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: out, name: 'small' });
  setStudioMeta(m, { arch: 'small', classes: ['a', 'b', 'c'], input: { range: [0, 255], mean: [0, 0, 0], std: [1, 1, 1], normalizeOutside: false } });
  return m;
}

const snapshot = (m: tf.LayersModel) => m.weights.map((w) => Array.from(w.read().dataSync()));

describe('transfer learning', () => {
  it('cutCandidates picks block outputs, not layers inside a residual block', () => {
    const m = smallBackbone();
    expect(cutCandidates(m)).toEqual(['r1', 'r2', 'gap']);
    m.dispose();
    const r = createZooModel('resnet20', { numClasses: 10, inputSize: 32, seed: 1 });
    const c = cutCandidates(r);
    expect(c[0]).toBe('stem_relu');
    expect(c).toContain('stage2_block0_relu2');
    expect(c).toContain('avgpool');
    expect(c).not.toContain('stage1_block0_relu1');
    expect(c).not.toContain('normalize');
    expect(c).not.toContain('logits');
    expect(c).toHaveLength(1 + 9 + 1);
    r.dispose();
  });

  it('makeTransferModel copies weights into new variables and never touches the backbone', async () => {
    const bb = smallBackbone();
    const before = snapshot(bb);
    // creating the model allocates exactly its own weights (the cut-off tail is freed)
    const start = tf.memory().numTensors;
    const t = makeTransferModel(bb, { cutLayer: 'r2', numClasses: 5, classes: ['v', 'w', 'x', 'y', 'z'], hidden: 6, dropout: 0.2, seed: 1 });
    expect(tf.memory().numTensors - start).toBe(t.weights.length);
    expect(t.layers.map((l) => l.name)).toEqual(['input', 'c1', 'b1', 'r1', 'c2', 'add', 'r2', 'head_gap', 'head_hidden', 'head_dropout', 'logits']);
    expect(t.outputs[0].shape).toEqual([null, 5]);
    expect(headLayerNames(t)).toEqual(['head_gap', 'head_hidden', 'head_dropout', 'logits']);
    for (const name of ['c1', 'b1', 'c2']) {
      const a = bb.getLayer(name).getWeights();
      const b = t.getLayer(name).getWeights();
      a.forEach((w, i) => {
        expect(Array.from(b[i].dataSync())).toEqual(Array.from(w.dataSync()));
        expect(b[i]).not.toBe(w);
      });
    }
    const meta = getStudioMeta(t);
    expect(meta.classes).toEqual(['v', 'w', 'x', 'y', 'z']);
    expect(meta.lineage?.at(-1)).toMatch(/cut 'small' at 'r2'/);

    // train the transfer model a step: backbone weights stay as they were
    t.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy' });
    const xs = tf.randomUniform([4, 8, 8, 3], 0, 1, 'float32', 1);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 5);
    await t.fit(xs, ys, { epochs: 1, batchSize: 4, verbose: 0 });
    tf.dispose([xs, ys]);
    expect(Array.from(t.getLayer('c1').getWeights()[0].dataSync())).not.toEqual(before[0]);
    expect(snapshot(bb)).toEqual(before);
    t.dispose();
    // the backbone still works after the transfer model is gone
    await expectNoLeak(() => tf.tidy(() => (bb.predict(tf.ones([1, 8, 8, 3])) as tf.Tensor).dataSync()));
    bb.dispose();
  });

  it('cut at a flat layer: no pooling added; bad cut names are rejected', () => {
    const bb = smallBackbone();
    const t = makeTransferModel(bb, { cutLayer: 'gap', numClasses: 2, classes: ['p', 'q'], seed: 2 });
    expect(t.layers.map((l) => l.name).slice(-2)).toEqual(['gap', 'logits']);
    expect(() => makeTransferModel(bb, { cutLayer: 'nope', numClasses: 2, classes: ['p', 'q'] })).toThrow(/no layer named 'nope'/);
    expect(() => makeTransferModel(bb, { cutLayer: 'gap', numClasses: 2, classes: ['p'] })).toThrow(/class names/);
    t.dispose();
    bb.dispose();
  });

  it('setBackboneTrainable freezes/unfreezes the backbone but keeps fixed layers fixed', () => {
    const r = createZooModel('resnet20', { numClasses: 10, inputSize: 32, seed: 1 });
    const t = makeTransferModel(r, { cutLayer: 'stage3_block2_relu2', numClasses: 4, classes: ['a', 'b', 'c', 'd'], seed: 1 });
    const head = headLayerNames(t);
    expect(head).toEqual(['head_gap', 'logits']);
    setBackboneTrainable(t, false, head);
    expect(countModel(t).trainableParams).toBe(64 * 4 + 4);
    setBackboneTrainable(t, true, head);
    expect(t.getLayer('normalize').trainable).toBe(false);
    expect(t.getLayer('stage2_block0_shortcut').trainable).toBe(false);
    expect(countModel(t).trainableParams).toBe(269_722 - 650 + 260);
    expect(() => setBackboneTrainable(t, false, ['nope'])).toThrow(/no head layer named 'nope'/);
    t.dispose();
    r.dispose();
  });
});
