/** The planner meets MACs targets within 1 % on every zoo architecture (uniform and global), counted by the engine. */
import { describe, expect, it } from 'vitest';
import { buildDependencyGraph } from '../../../src/engine/graph';
import { analyze } from '../../../src/engine/importance/analyze';
import { createZooModel, type ZooArch } from '../../../src/engine/models/zoo';
import { makePlan } from '../../../src/engine/plan/planner';
import { expectNoLeak } from '../../helpers/leak';

const ARCHS: ZooArch[] = ['vgg16', 'resnet20', 'resnet56', 'resnet110', 'densenet40', 'mobilenetv2'];

describe('planner on every zoo model', () => {
  for (const arch of ARCHS) {
    it(`${arch}: 30 % and 50 % MACs targets, uniform and global, within 1 %`, async () => {
      const model = createZooModel(arch, { numClasses: 10, inputSize: 32, seed: 1 });
      try {
        const graph = buildDependencyGraph(model);
        const analysis = await expectNoLeak(() => analyze(model, graph, null, 32, { criterion: 'l1' }));
        for (const scope of ['uniform', 'global'] as const) {
          for (const target of [0.3, 0.5]) {
            const plan = makePlan(model, graph, analysis, { target: { macs: target }, scope });
            const removed = 1 - plan.macs / plan.baseMacs;
            expect(Math.abs(removed - target), `${arch} ${scope} ${target}: removed ${removed}`).toBeLessThanOrEqual(0.01);
          }
        }
      } finally {
        model.dispose();
      }
    }, 120_000);
  }
});
