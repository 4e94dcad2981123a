import { describe, expect, it } from 'vitest';
import { buildDependencyGraph } from '../../../src/engine/graph';
import { createZooModel, type ZooArch } from '../../../src/engine/models/zoo';
import { withBackend } from '../../helpers/wasm';
import { checkExact } from './helpers';

const CASES: [ZooArch, number][] = [
  ['resnet20', 8],
  ['resnet32', 8],
  ['resnet44', 8],
  ['resnet56', 8],
  ['resnet110', 8],
  ['densenet40', 8],
  ['mobilenetv2', 8],
  ['vgg16', 32],
];

describe('every zoo model prunes exactly (wasm)', () => {
  for (const [arch, inputSize] of CASES) {
    it(arch, async () => {
      await withBackend('wasm', async () => {
        const model = createZooModel(arch, { numClasses: 10, inputSize, seed: 1 });
        const graph = buildDependencyGraph(model);
        expect(graph.groups.filter((g) => g.prunable).length).toBeGreaterThan(0);
        expect(graph.groups.find((g) => g.reason?.startsWith('unsupported'))).toBeUndefined();
        for (const g of graph.groups.filter((x) => x.prunable)) {
          expect(g.producers.length, g.id).toBeGreaterThan(0);
          expect(g.capture.length, g.id).toBeGreaterThan(0);
        }
        await checkExact(model, { seed: 5, batch: 1, range: [0, 255] });
        model.dispose();
      });
    });
  }
});
