/**
 * Report export for the Compare & Deploy step: JSON plus the engine's CSV/Markdown (src/engine/metrics/report.ts,
 * pure functions, so page and scripts export identical tables), and latency lookup helpers.
 */
import type { ReportRow } from '../../api/types';
import { reportBackends, reportToCsv, reportToMarkdown, type LatencyCell } from '../../api/formatting';

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

/** One imported device × backend latency column of the report table. */
export interface DeviceColumn { device: string; backend: string }

const BACKEND_ORDER = ['wasm', 'webgl', 'webgpu'];

/** Device columns present in any row (devices sorted by name; backends wasm, webgl, webgpu, then others). */
export function deviceColumns(rows: readonly ReportRow[]): DeviceColumn[] {
  const seen = new Map<string, Set<string>>();
  for (const r of rows) for (const [device, per] of Object.entries(r.devices ?? {})) {
    const set = seen.get(device) ?? new Set<string>();
    for (const [b, v] of Object.entries(per ?? {})) if (v && typeof v.medianMs === 'number') set.add(b);
    seen.set(device, set);
  }
  const rank = (b: string) => { const i = BACKEND_ORDER.indexOf(b); return i < 0 ? BACKEND_ORDER.length : i; };
  return [...seen.keys()].sort().flatMap((device) =>
    [...seen.get(device)!].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map((backend) => ({ device, backend })));
}

/** The median of a device column for a row, or undefined. */
export function deviceMedianOf(r: ReportRow, c: DeviceColumn): number | undefined {
  const v = r.devices?.[c.device]?.[c.backend]?.medianMs;
  return typeof v === 'number' ? v : undefined;
}
