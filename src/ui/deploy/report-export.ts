/**
 * Report export for the Compare & Deploy step: JSON plus the engine's CSV/Markdown (src/engine/metrics/report.ts,
 * pure functions, so page and scripts export identical tables), and latency lookup helpers.
 */
import type { ReportRow } from '../../api/types';
import { reportBackends, reportToCsv, reportToMarkdown, type LatencyCell } from '../../engine/metrics/report';

export { reportBackends };

export function latencyOf(r: ReportRow, backend: string): LatencyCell | undefined {
  const v = r.latency?.[backend];
  return v && typeof v.medianMs === 'number' ? v : undefined;
}

export function toJson(rows: readonly ReportRow[]): string {
  return JSON.stringify(rows, null, 2);
}

export function toCsv(rows: readonly ReportRow[]): string {
  return reportToCsv([...rows]);
}

export function toMarkdown(rows: readonly ReportRow[]): string {
  return reportToMarkdown([...rows]);
}
