import * as tf from '@tensorflow/tfjs';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { countModel } from '../../../src/engine/metrics/count';
import {
  exportModelFiles,
  exportModelZip,
  importModelFromFiles,
  modelFromArtifacts,
  modelToArtifacts,
} from '../../../src/engine/models/io';
import { getStudioMeta } from '../../../src/engine/models/metadata';
import { createZooModel } from '../../../src/engine/models/zoo';
import { expectNoLeak } from '../../helpers/leak';
import { withBackend } from '../../helpers/wasm';
import { akamasterFiles, loadCifarRecords } from './akamaster';

function weightsOf(m: tf.LayersModel): Map<string, Float32Array> {
  return new Map(m.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
}

function expectSameWeights(a: tf.LayersModel, b: tf.LayersModel): void {
  const wa = weightsOf(a);
  const wb = weightsOf(b);
  expect([...wb.keys()]).toEqual([...wa.keys()]);
  for (const [k, v] of wa) expect(Buffer.from(wb.get(k)!.buffer).equals(Buffer.from(v.buffer)), k).toBe(true);
}

async function expectStudioError(p: Promise<unknown>, code: string, msg: RegExp): Promise<void> {
  await expect(p).rejects.toMatchObject({ name: 'StudioError', code });
  await expect(p).rejects.toThrow(msg);
}

describe('model IO', () => {
  it('akamaster resnet20: import, 915/1000 top-1 on wasm, export -> re-import identical', async () => {
    const { x, labels, n } = loadCifarRecords();
    expect(n).toBe(1000);
    await withBackend('wasm', async () => {
      const model = await importModelFromFiles(akamasterFiles(20));
      const correct = await expectNoLeak(() => {
        let ok = 0;
        for (let s = 0; s < n; s += 250) {
          const pred = tf.tidy(() => {
            const xb = tf.tensor4d(x.subarray(s * 3072, (s + 250) * 3072), [250, 32, 32, 3]);
            return (model.predict(xb) as tf.Tensor).argMax(-1);
          });
          const p = pred.dataSync();
          pred.dispose();
          for (let i = 0; i < 250; i++) if (p[i] === labels[s + i]) ok++;
        }
        return ok;
      });
      expect(correct).toBe(915);

      const meta = getStudioMeta(model);
      expect(meta.arch).toBe('resnet20');
      expect(meta.classes[0]).toBe('airplane');
      expect(meta.classes).toHaveLength(10);
      expect(meta.input).toEqual({ range: [0, 255], mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], normalizeOutside: false });

      const files = await expectNoLeak(() => exportModelFiles(model));
      expect(files.map((f) => f.name)).toEqual(['model.json', 'group1-shard1of1.bin']);
      expect(files[1].bytes.byteLength).toBe(273_664 * 4);
      const again = await importModelFromFiles(files);
      expectSameWeights(model, again);
      expect(again.getLayer('normalize').trainable).toBe(false);
      expect(again.getLayer('stage2_block0_shortcut').trainable).toBe(false);
      expect(countModel(again).trainableParams).toBe(269_722);
      expect((again.getUserDefinedMetadata() as { labels: string[] }).labels[9]).toBe('truck');
      model.dispose();
      again.dispose();
    });
  });

  it('modelToArtifacts / modelFromArtifacts round trip is bit-exact and keeps metadata', async () => {
    const m = createZooModel('resnet20', { numClasses: 4, inputSize: 32, classes: ['a', 'b', 'c', 'd'], seed: 5 });
    const a = await expectNoLeak(() => modelToArtifacts(m));
    const back = await modelFromArtifacts(a);
    expectSameWeights(m, back);
    expect(getStudioMeta(back)).toEqual(getStudioMeta(m));
    // independent variables: changing the copy leaves the original alone
    const before = m.getLayer('logits').getWeights()[1].dataSync()[0];
    tf.tidy(() => back.getLayer('logits').setWeights([back.getLayer('logits').getWeights()[0], tf.fill([4], 9)]));
    expect(m.getLayer('logits').getWeights()[1].dataSync()[0]).toBe(before);
    m.dispose();
    back.dispose();
  });

  it('zip export re-imports, also from a folder inside the zip', async () => {
    const m = createZooModel('resnet20', { numClasses: 10, inputSize: 32, seed: 9 });
    const zip = await exportModelZip(m, 'my model');
    expect(Object.keys(unzipSync(zip)).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    const back = await importModelFromFiles([{ name: 'my model.zip', bytes: zip }]);
    expectSameWeights(m, back);
    back.dispose();
    const nested = zipSync(
      Object.fromEntries(Object.entries(unzipSync(zip)).map(([k, v]) => [`folder/${k}`, v])),
    );
    const back2 = await importModelFromFiles([{ name: 'x.zip', bytes: nested }]);
    expect(back2.weights.length).toBe(m.weights.length);
    back2.dispose();
    m.dispose();
  });

  it('rejects bad uploads with specific errors', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const [json, bin] = akamasterFiles(20);
    const mj = JSON.parse(new TextDecoder().decode(json.bytes));
    const enc = (o: unknown) => ({ name: 'model.json', bytes: strToU8(JSON.stringify(o)) });

    await expectStudioError(importModelFromFiles([json]), 'missing-file', /group1-shard1of1\.bin/);
    await expectStudioError(importModelFromFiles([bin]), 'missing-file', /model\.json/);
    await expectStudioError(
      importModelFromFiles([json, { name: bin.name, bytes: bin.bytes.subarray(0, 1000) }]),
      'bad-input',
      /1000 bytes .* 1094656 bytes/,
    );
    const bad = structuredClone(mj);
    bad.modelTopology.config.layers[3].class_name = 'FancyNorm';
    await expectStudioError(importModelFromFiles([enc(bad), bin]), 'unsupported-layer', /'stem_bn'.*'FancyNorm'/);
    await expectStudioError(
      importModelFromFiles([enc({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }), bin]),
      'bad-input',
      /graph model/,
    );
    await expectStudioError(
      importModelFromFiles([{ name: 'model.json', bytes: strToU8('{nope') }]),
      'bad-input',
      /not valid JSON/,
    );
    await expectStudioError(
      importModelFromFiles([{ name: 'a.zip', bytes: strToU8('not a zip') }]),
      'corrupt-archive',
      /a\.zip/,
    );
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});
