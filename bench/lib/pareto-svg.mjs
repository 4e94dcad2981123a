/**
 * A plain, dependency-free SVG scatter of top-1 (%) against MACs (millions) with one colour per series and the
 * Pareto front (no other point has both fewer MACs and higher top-1) drawn as a step line.
 */
const COLORS = { original: '#111827', pruned: '#dc2626', 'fine-tuned': '#2563eb', 'fine-tuned + distilled': '#16a34a' };
const escXml = (s) => String(s).replace(/[<>&"]/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[ch]);

function niceTicks(lo, hi, n = 5) {
  const span = hi - lo || 1;
  const step0 = span / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) ticks.push(+v.toFixed(10));
  return ticks;
}

/** @param {{series: string, label: string, macs: number, top1: number}[]} points top1 as a fraction */
export function paretoSvg(points, { title = 'top-1 vs MACs', width = 720, height = 440 } = {}) {
  const pad = { l: 60, r: 190, t: 40, b: 50 };
  const W = width - pad.l - pad.r, H = height - pad.t - pad.b;
  const xs = points.map((p) => p.macs / 1e6), ys = points.map((p) => p.top1 * 100);
  const xlo = 0, xhi = Math.max(1, ...xs) * 1.25;
  const ylo = points.length ? Math.max(0, Math.floor((Math.min(...ys) - 5) / 5) * 5) : 0;
  const yhi = points.length ? Math.min(100, Math.ceil((Math.max(...ys) + 2) / 5) * 5) : 100;
  const X = (v) => pad.l + ((v - xlo) / (xhi - xlo)) * W;
  const Y = (v) => pad.t + H - ((v - ylo) / (yhi - ylo || 1)) * H;
  const o = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`);
  o.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  o.push(`<text x="${pad.l}" y="22" font-size="14" font-weight="600">${escXml(title)}</text>`);
  for (const t of niceTicks(xlo, xhi)) o.push(`<line x1="${X(t)}" y1="${pad.t}" x2="${X(t)}" y2="${pad.t + H}" stroke="#e5e7eb"/><text x="${X(t)}" y="${pad.t + H + 16}" text-anchor="middle">${t}</text>`);
  for (const t of niceTicks(ylo, yhi)) o.push(`<line x1="${pad.l}" y1="${Y(t)}" x2="${pad.l + W}" y2="${Y(t)}" stroke="#e5e7eb"/><text x="${pad.l - 6}" y="${Y(t) + 4}" text-anchor="end">${t}</text>`);
  o.push(`<rect x="${pad.l}" y="${pad.t}" width="${W}" height="${H}" fill="none" stroke="#9ca3af"/>`);
  o.push(`<text x="${pad.l + W / 2}" y="${height - 12}" text-anchor="middle">MACs per image (millions; FLOPs = 2 × MACs)</text>`);
  o.push(`<text transform="translate(16 ${pad.t + H / 2}) rotate(-90)" text-anchor="middle">top-1 on test 0–999 (%)</text>`);
  if (points.length === 0) o.push(`<text x="${pad.l + W / 2}" y="${pad.t + H / 2}" text-anchor="middle" fill="#6b7280">no pruning results in this run</text>`);
  // Pareto front over all points.
  const sorted = [...points].sort((a, b) => a.macs - b.macs || b.top1 - a.top1);
  const front = [];
  for (const p of sorted) if (!front.length || p.top1 > front[front.length - 1].top1) front.push(p);
  if (front.length > 1) {
    // Best top-1 reachable with at most x MACs: flat until the next front point, then up.
    const d = front.map((p, i) => (i ? `H${X(p.macs / 1e6).toFixed(1)} V${Y(p.top1 * 100).toFixed(1)}` : `M${X(p.macs / 1e6).toFixed(1)},${Y(p.top1 * 100).toFixed(1)}`)).join(' ');
    o.push(`<path d="${d}" fill="none" stroke="#f59e0b" stroke-width="1.5" stroke-dasharray="5 3"/>`);
  }
  // Labels: points at the same MACs share a column; their labels are spread to at least 11 px apart.
  const labelY = new Map();
  const columns = new Map();
  points.forEach((p, i) => { const k = Math.round(X(p.macs / 1e6) / 6); columns.set(k, [...(columns.get(k) ?? []), i]); });
  for (const idx of columns.values()) {
    idx.sort((a, b) => Y(points[a].top1 * 100) - Y(points[b].top1 * 100));
    let last = -Infinity;
    for (const i of idx) { const y = Math.max(Y(points[i].top1 * 100) + 4, last + 11); labelY.set(i, y); last = y; }
  }
  points.forEach((p, i) => {
    const x = X(p.macs / 1e6), y = Y(p.top1 * 100);
    const col = COLORS[p.series] ?? '#6b7280';
    o.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4.5" fill="${col}" fill-opacity="0.85"><title>${escXml(`${p.series} ${p.label}: ${(p.top1 * 100).toFixed(1)} %, ${(p.macs / 1e6).toFixed(2)}M MACs`)}</title></circle>`);
    o.push(`<text x="${(x + 7).toFixed(1)}" y="${labelY.get(i).toFixed(1)}" fill="${col}" font-size="10">${escXml(p.label)} ${(p.top1 * 100).toFixed(1)}</text>`);
  });
  const series = [...new Set(points.map((p) => p.series))];
  series.forEach((s, i) => {
    const y = pad.t + 10 + i * 18;
    o.push(`<circle cx="${pad.l + W + 20}" cy="${y}" r="5" fill="${COLORS[s] ?? '#6b7280'}"/><text x="${pad.l + W + 30}" y="${y + 4}">${escXml(s)}</text>`);
  });
  if (front.length > 1) o.push(`<line x1="${pad.l + W + 14}" y1="${pad.t + 10 + series.length * 18}" x2="${pad.l + W + 26}" y2="${pad.t + 10 + series.length * 18}" stroke="#f59e0b" stroke-dasharray="5 3" stroke-width="1.5"/><text x="${pad.l + W + 30}" y="${pad.t + 14 + series.length * 18}">Pareto front</text>`);
  o.push('</svg>');
  return `${o.join('\n')}\n`;
}
