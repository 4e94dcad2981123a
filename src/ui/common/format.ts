/** Number formatting for counts (params, MACs), bytes, percentages and durations. Pure, unit-tested. */

/** 1234 → '1.23 K', 2.5e6 → '2.50 M', 3e9 → '3.00 G'. */
export function fmtCount(n: number | undefined | null): string {
  if (n == null || !Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(2)} K`;
  return String(Math.round(n));
}

/** Bytes as MB with two decimals (1 MB = 2^20 bytes), small values as KB. */
export function fmtBytes(n: number | undefined | null): string {
  if (n == null || !Number.isFinite(n)) return '–';
  if (n < 1024 * 100) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(2)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/** 0.9123 → '91.23 %'. */
export function fmtPct(x: number | undefined | null, digits = 2): string {
  if (x == null || !Number.isFinite(x)) return '–';
  return `${(x * 100).toFixed(digits)} %`;
}

/** Milliseconds as '850 ms', '12 s', '3 min 05 s', '1 h 02 min'. */
export function fmtDuration(ms: number | undefined | null): string {
  if (ms == null || !Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Latency in ms with sensible precision. */
export function fmtMs(ms: number | undefined | null): string {
  if (ms == null || !Number.isFinite(ms)) return '–';
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`;
}

/** Relative change 'before → after (−42.0 %)'. */
export function fmtReduction(before: number, after: number): string {
  if (!(before > 0)) return '–';
  const r = (after - before) / before;
  const sign = r < 0 ? '−' : '+';
  return `${sign}${Math.abs(r * 100).toFixed(1)} %`;
}

/** A layer output shape without the batch dimension (Keras reports it as null/-1 first). */
export function withoutBatch(shape: readonly (number | null)[]): number[] {
  const s = shape.length > 0 && (shape[0] == null || shape[0] < 0) ? shape.slice(1) : shape;
  return s.map((v) => v ?? -1);
}

/**
 * An axis range that fits the data with a little padding, clamped to [lo, hi] (accuracy: 0–100 % or 0–1), so a
 * top-1 axis never runs past 100 % or below 0. Empty or non-finite data gives the whole [lo, hi].
 */
export function axisRange(min: number | null | undefined, max: number | null | undefined, lo: number, hi: number): [number, number] {
  if (min == null || max == null || !Number.isFinite(min) || !Number.isFinite(max)) return [lo, hi];
  const span = Math.max(max - min, (hi - lo) * 0.05);
  const a = Math.max(lo, min - span * 0.15);
  const b = Math.min(hi, max + span * 0.15);
  return a < b ? [a, b] : [lo, hi];
}
