/** Public API of filter importance: analyze() over a dependency graph, criteria ids, rank helpers. */
export { analyze, CRITERIA, DATA_CRITERIA } from './analyze';
export type { Analysis, AnalyzeOptions, Criterion, GroupScores, GroupsView } from './analyze';
export { matrixRank, matrixRankReference, nuclearNorm, singularValues, EPS_FLOAT32 } from './rank';
