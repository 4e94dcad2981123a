/**
 * Pure, tensor-free helpers the page shares with the engine: report tables (CSV / Markdown, the backends a report
 * has, the Pareto front) and device labels. The UI imports them from here, never from src/engine (eslint enforces
 * it), so this file is the whole list of engine code the page runs.
 */
export { criterionCell, paretoFront, reportBackends, reportToCsv, reportToMarkdown, type LatencyCell } from '../engine/metrics/report';
export { deviceLabelOf } from '../engine/deploy/device-label';
