/**
 * The guided first run's steps and budgets (pure, unit-tested). The budgets are sized so the whole run takes about
 * 3 minutes on a 2-core CPU-only machine with WASM: demo data (5,000 training images), a ResNet-20 trained for two
 * short epochs on half of them (with a time cap), L1 analysis, −50 % MACs with reconstruction, one short distilled
 * fine-tune, and an evaluation of each version on the same 1,000 test images.
 */
import type { StepId } from '../steps';

export type GuidedStepId = 'data' | 'model' | 'train' | 'analyse' | 'prune' | 'finetune' | 'compare';

export interface GuidedStep {
  id: GuidedStepId;
  label: string;
  /** The one line shown while the step runs. */
  explain: string;
  /** The studio step (page) shown while it runs. */
  page: StepId;
  /** Expected share of the whole run (seconds on the reference machine), for the overall progress bar. */
  weight: number;
}

export const GUIDED_STEPS: readonly GuidedStep[] = [
  { id: 'data', label: 'Data', page: 'data', weight: 3, explain: 'Making a small demo dataset: 10 classes of 32×32 shapes and textures, generated in this tab.' },
  { id: 'model', label: 'Model', page: 'model', weight: 2, explain: 'Creating a ResNet-20 (270 K parameters) from the model zoo, sized for the demo classes.' },
  { id: 'train', label: 'Train', page: 'model', weight: 75, explain: 'Training it briefly on part of the data, then measuring top-1 on 1,000 test images.' },
  { id: 'analyse', label: 'Analyse', page: 'analyse', weight: 2, explain: 'Scoring every filter by the size of its weights (L1): small filters matter least.' },
  { id: 'prune', label: 'Prune', page: 'prune', weight: 35, explain: 'Removing the weakest filters (−50 % MACs), then reconstructing the layers so the smaller model computes nearly the same.' },
  { id: 'finetune', label: 'Fine-tune', page: 'finetune', weight: 45, explain: 'Fine-tuning the pruned model a little, with the original as its teacher.' },
  { id: 'compare', label: 'Compare', page: 'deploy', weight: 1, explain: 'Side by side: accuracy, size and speed of each version, and the phone bundle.' },
];

/** What each step spends (see docs/ui.md, "Guided first run"). */
export const GUIDED_BUDGET = {
  demo: { seed: 1 },
  arch: 'resnet20',
  train: { epochs: 2, images: 2500, timeBudgetMs: 75_000, batchSize: 64, lr: 0.05, schedule: 'cosine' as const, validateLimit: 0, backend: 'current' as const },
  analyse: { criterion: 'l1' as const },
  prune: { macs: 0.5, calibrationImages: 256 },
  finetune: { epochs: 1, images: 2000, timeBudgetMs: 40_000, batchSize: 64, lr: 0.003, validateLimit: 0, backend: 'current' as const },
  /** Test images every version is evaluated on (the Compare table's top-1). */
  evalEnd: 1000,
};

/** Overall progress 0..1: the finished steps' weights plus the current step's share. */
export function overallFraction(current: number, stepFraction: number, steps: readonly GuidedStep[] = GUIDED_STEPS): number {
  const total = steps.reduce((s, x) => s + x.weight, 0);
  if (!(total > 0) || current < 0) return 0;
  if (current >= steps.length) return 1;
  const done = steps.slice(0, current).reduce((s, x) => s + x.weight, 0);
  const f = Math.min(1, Math.max(0, Number.isFinite(stepFraction) ? stepFraction : 0));
  return (done + steps[current]!.weight * f) / total;
}
