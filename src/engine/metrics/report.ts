/**
 * Comparison tables of model versions (original, pruned, fine-tuned) as CSV and Markdown, and
 * the accuracy-vs-cost Pareto front. MACs are multiply-accumulates per image; FLOPs = 2 × MACs.
 */

export interface LatencyCell {
  medianMs: number;
  p90Ms: number;
  minMs: number;
  runs: number;
  /** Images per second at the throughput batch size. */
  throughput: number;
}

export interface ReportRow {
  id: string;
  name: string;
  parentId?: string;
  arch?: string;
  /** Pruning criterion that produced this version (e.g. 'hrank'). */
  criterion?: string;
  /** Fraction 0..1 of MACs removed relative to the parent, when pruned. */
  pruneRatio?: number;
  /** Accuracies are fractions 0..1. */
  top1?: number;
  top5?: number;
  /** Top-1 right after pruning, before fine-tuning. */
  top1AfterPrune?: number;
  params: number;
  macs: number;
  /** Defaults to 2 × macs. */
  flops?: number;
  /** Weight bytes (float32 unless quantised). */
  bytes: number;
  /** Per backend name ('cpu', 'wasm', 'webgl', 'webgpu'). */
  latency?: Record<string, LatencyCell>;
  fineTuneEpochs?: number;
  notes?: string;
}

const LAT_FIELDS: { key: keyof LatencyCell; label: string }[] = [
  { key: 'medianMs', label: 'median_ms' },
  { key: 'p90Ms', label: 'p90_ms' },
  { key: 'minMs', label: 'min_ms' },
  { key: 'runs', label: 'runs' },
  { key: 'throughput', label: 'throughput_img_s' },
];

/** Backends present in any row, in a stable order (known ones first). */
export function reportBackends(rows: ReportRow[]): string[] {
  const order = ['webgpu', 'webgl', 'wasm', 'cpu'];
  const set = new Set<string>();
  for (const r of rows) for (const b of Object.keys(r.latency ?? {})) set.add(b);
  return [...set].sort((a, b) => {
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
  });
}

const flopsOf = (r: ReportRow): number => r.flops ?? 2 * r.macs;

function csvCell(v: string | number | undefined): string {
  if (v === undefined || (typeof v === 'number' && Number.isNaN(v))) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV with one row per model version; numbers at full precision, accuracies as fractions. */
export function reportToCsv(rows: ReportRow[]): string {
  const backends = reportBackends(rows);
  const header = [
    'id', 'name', 'parent_id', 'arch', 'criterion', 'prune_ratio', 'top1', 'top5', 'top1_after_prune',
    'params', 'macs', 'flops', 'bytes', 'fine_tune_epochs',
    ...backends.flatMap((b) => LAT_FIELDS.map((f) => `latency_${b}_${f.label}`)),
    'notes',
  ];
  const lines = [header.join(',')];
  for (const r of rows) {
    const cells: (string | number | undefined)[] = [
      r.id, r.name, r.parentId, r.arch, r.criterion, r.pruneRatio, r.top1, r.top5, r.top1AfterPrune,
      r.params, r.macs, flopsOf(r), r.bytes, r.fineTuneEpochs,
      ...backends.flatMap((b) => LAT_FIELDS.map((f) => r.latency?.[b]?.[f.key])),
      r.notes,
    ];
    lines.push(cells.map(csvCell).join(','));
  }
  return lines.join('\n') + '\n';
}

/** 1234567 → '1.23 M'; small numbers as they are. */
export function formatCount(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

export function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

const pct = (v?: number): string => (v === undefined || Number.isNaN(v) ? '–' : `${(v * 100).toFixed(2)} %`);
/** The Markdown "Criterion" cell: 'hrank, −50 % MACs', '−50 % MACs' (no criterion recorded), 'hrank' or '–'. */
export function criterionCell(r: Pick<ReportRow, 'criterion' | 'pruneRatio'>): string {
  const ratio = r.pruneRatio !== undefined && Number.isFinite(r.pruneRatio) && r.pruneRatio > 0 ? `−${(r.pruneRatio * 100).toFixed(0)} % MACs` : undefined;
  const parts = [r.criterion || undefined, ratio].filter((x): x is string => !!x);
  return parts.length ? parts.join(', ') : '–';
}

const md = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * Markdown table: accuracy, params, MACs, FLOPs (= 2 × MACs), size, and per backend
 * "median ms (p90, min; runs) · throughput img/s". Cost columns of a row whose parent is in the
 * table also show the ratio to the parent.
 */
export function reportToMarkdown(rows: ReportRow[]): string {
  const backends = reportBackends(rows);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const header = [
    'Model', 'Parent', 'Criterion', 'Top-1', 'Top-5', 'Top-1 after prune', 'Params', 'MACs', 'FLOPs (2×MACs)', 'Size',
    ...backends.map((b) => `Latency ${b}: median ms (p90, min; runs) · img/s`),
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const p = r.parentId ? byId.get(r.parentId) : undefined;
    const rel = (v: number, pv?: number): string => (pv ? ` (${((v / pv) * 100).toFixed(1)} %)` : '');
    const cells = [
      md(r.name),
      md(p ? p.name : (r.parentId ?? '–')),
      md(criterionCell(r)),
      pct(r.top1),
      pct(r.top5),
      pct(r.top1AfterPrune),
      formatCount(r.params) + rel(r.params, p?.params),
      formatCount(r.macs) + rel(r.macs, p?.macs),
      formatCount(flopsOf(r)) + rel(flopsOf(r), p ? flopsOf(p) : undefined),
      formatBytes(r.bytes),
      ...backends.map((b) => {
        const l = r.latency?.[b];
        if (!l) return '–';
        return `${l.medianMs.toFixed(2)} (${l.p90Ms.toFixed(2)}, ${l.minMs.toFixed(2)}; ${l.runs}) · ${l.throughput.toFixed(1)}`;
      }),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Indices of the points on the Pareto front (lower x = cost, higher y = accuracy), sorted by
 * ascending x. A point is on the front when no other point has x ≤ and y ≥ with one strict.
 * Points with a non-finite coordinate are ignored; identical points are all kept.
 */
export function paretoFront(points: { x: number; y: number }[]): number[] {
  const idx = points.map((_, i) => i).filter((i) => Number.isFinite(points[i]!.x) && Number.isFinite(points[i]!.y));
  idx.sort((a, b) => points[a]!.x - points[b]!.x || points[b]!.y - points[a]!.y);
  const front: number[] = [];
  let bestY = -Infinity;
  let bestX = NaN;
  for (const i of idx) {
    const { x, y } = points[i]!;
    if (y > bestY) {
      front.push(i);
      bestY = y;
      bestX = x;
    } else if (y === bestY && x === bestX) {
      front.push(i); // exact duplicate of a front point
    }
  }
  return front;
}
