/** Markdown formatting shared by the bench's report pages (numbers in, table cells out; "—" for missing values). */
export const pct = (x, d = 1) => (typeof x === 'number' ? `${(x * 100).toFixed(d)} %` : '—');
export const ms = (x) => (typeof x === 'number' ? (x >= 1000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(x < 10 ? 2 : 1)} ms`) : '—');
export const M = (x) => (typeof x === 'number' ? `${(x / 1e6).toFixed(2)}M` : '—');
export const K = (x) => (typeof x === 'number' ? (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(1)}k`) : '—');
export const n1 = (x) => (typeof x === 'number' ? x.toFixed(1) : '—');
/** Bytes as kB / MB (decimal). */
export const MB = (x) => (typeof x === 'number' ? (x >= 1e6 ? `${(x / 1e6).toFixed(2)} MB` : `${(x / 1e3).toFixed(0)} kB`) : '—');
export const table = (head, rows) => [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
export const esc = (s) => String(s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
/** A benchmarkPair ratio as "×1.23 (1.10–1.40)". */
export const ratio = (r) => (r?.ratio ? `×${r.ratio.median.toFixed(2)} (${r.ratio.low.toFixed(2)}–${r.ratio.high.toFixed(2)})` : '—');
