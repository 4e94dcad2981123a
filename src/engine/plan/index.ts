/** Public API of pruning plans: makePlan (targets → removals) and sensitivity analysis. */
export { makePlan } from './planner';
export type { Plan, PlanOptions, PlanTarget } from './planner';
export { ratiosForTarget, sensitivity } from './sensitivity';
export type { Sensitivity, SensitivityOptions, SensitivityPoint } from './sensitivity';
export { top1 } from './top1';
