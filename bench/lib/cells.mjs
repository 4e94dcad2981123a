/**
 * The benchmark's unit of work: a "cell" (one measurement). Cells run in order; each one's result or error is
 * written to the results JSON right after it finishes (atomic rename), so a crash loses at most one cell and
 * `--resume` skips every cell already recorded as ok. Progress lines carry the elapsed time and an ETA computed
 * from the cells' rough cost estimates, rescaled by how long the finished cells actually took.
 */
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';

/** Clock ticks per second of /proc (USER_HZ; 100 on every Linux the bench runs on). */
const HZ = 100;

/** CPU ticks of the whole machine (busy, total) from /proc/stat, or null off Linux. */
function machineTicks() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch { return null; }
}

/** CPU ticks (user + system) used by this process and every descendant (Chromium and its helpers). */
function treeTicks(root = process.pid) {
  try {
    const procs = [];
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const st = readFileSync(`/proc/${d}/stat`, 'utf8');
        const rest = st.slice(st.lastIndexOf(')') + 2).split(' ');
        procs.push({ pid: Number(d), ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]) });
      } catch { /* exited meanwhile */ }
    }
    const mine = new Set([root]);
    for (let grew = true; grew;) {
      grew = false;
      for (const p of procs) if (!mine.has(p.pid) && mine.has(p.ppid)) { mine.add(p.pid); grew = true; }
    }
    return procs.filter((p) => mine.has(p.pid)).reduce((a, p) => a + p.ticks, 0);
  } catch { return null; }
}

/** A snapshot for `loadBetween`: load averages, machine ticks, the bench's own ticks. */
export function loadSnapshot() {
  return { at: Date.now(), loadavg: loadavg().map((x) => +x.toFixed(2)), machine: machineTicks(), own: treeTicks() };
}

/**
 * The load a cell ran under: load averages before and after (they include the bench itself, which keeps up to
 * 2 cores busy), and `foreignCores`, the CPU other processes used meanwhile, in cores (machine busy time minus
 * the bench's own process tree, per second of wall time). A cell is flagged `underLoad` when other processes took
 * more than a quarter of a core on average (cells shorter than 5 s are not judged: null).
 */
export function loadBetween(a, b) {
  const out = { before: a.loadavg, after: b.loadavg };
  if (a.machine && b.machine && a.own != null && b.own != null) {
    const wallS = Math.max(1e-3, (b.at - a.at) / 1000);
    const foreign = Math.max(0, (b.machine.busy - a.machine.busy) - (b.own - a.own));
    out.foreignCores = +(foreign / HZ / wallS).toFixed(3);
    out.ownCores = +((b.own - a.own) / HZ / wallS).toFixed(3);
    // (tick counts are 10 ms grains: a cell of a few seconds cannot be judged)
    out.underLoad = wallS >= 5 ? out.foreignCores > 0.25 : null;
  }
  return out;
}

export const fmtDuration = (ms) => {
  if (!Number.isFinite(ms)) return '?';
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
};

export function loadResults(path) {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
}

export function saveResults(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(data, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** Rejects after `ms` with a timeout error (the cell then records it). */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: timed out after ${fmtDuration(ms)}`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Runs `cells` ([{id, section, title, estimateMs, timeoutMs?, run: async (log) => result}]) into `data.cells`.
 * `onError(cell, e)` lets the caller cancel the studio job and recover the page; `afterCell(cell)` runs after each cell
 * (outside its time and load window) and its answer is recorded as the cell's `storage`.
 */
export async function runCells(cells, { data, path, resume, onError, afterCell, log = console.log }) {
  const t0 = Date.now();
  // every cell records the commit it ran on: a results file can mix runs (--resume, --only)
  let commit;
  try { commit = execSync('git rev-parse HEAD', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { commit = undefined; }
  data.cells ??= {};
  const todo = cells.filter((c) => !(resume && data.cells[c.id]?.status === 'ok'));
  const skipped = cells.length - todo.length;
  if (skipped) log(`resume: ${skipped} finished cell(s) skipped`);
  let estLeft = todo.reduce((a, c) => a + c.estimateMs, 0);
  let estDone = 0;
  let actualDone = 0;
  const eta = () => fmtDuration(estLeft * (estDone > 0 ? actualDone / estDone : 1));
  let i = 0;
  for (const cell of todo) {
    i++;
    const start = Date.now();
    const snap = loadSnapshot();
    const stamp = () => `[${fmtDuration(Date.now() - t0)}]`;
    log(`${stamp()} (${i}/${todo.length}) ${cell.id}: ${cell.title} … (ETA for the rest ${eta()})`);
    const cellLog = (msg) => log(`${stamp()}     ${cell.id}: ${msg}`);
    let record;
    try {
      const result = await withTimeout(cell.run(cellLog), cell.timeoutMs ?? 30 * 60_000, cell.id);
      const load = loadBetween(snap, loadSnapshot());
      record = { status: 'ok', section: cell.section, title: cell.title, ms: Date.now() - start, at: new Date().toISOString(), commit, load, result };
      log(`${stamp()}     ${cell.id}: ok in ${fmtDuration(record.ms)} (load ${load.before.join(' ')} → ${load.after.join(' ')}; other processes ${load.foreignCores ?? '?'} cores${load.underLoad ? ': UNDER LOAD' : ''})`);
    } catch (e) {
      const err = e instanceof Error ? { message: e.message, code: e.code, stack: e.stack?.split('\n').slice(0, 6).join('\n') } : { message: String(e) };
      record = { status: 'error', section: cell.section, title: cell.title, ms: Date.now() - start, at: new Date().toISOString(), commit, load: loadBetween(snap, loadSnapshot()), error: err };
      log(`${stamp()}     ${cell.id}: FAILED after ${fmtDuration(record.ms)}: ${err.message}`);
      await onError?.(cell, e);
    }
    if (afterCell) {
      try { record.storage = await afterCell(cell); } catch (e) { record.storage = { error: e instanceof Error ? e.message : String(e) }; }
    }
    data.cells[cell.id] = record;
    data.order = [...new Set([...(data.order ?? []), ...cells.map((c) => c.id)])];
    data.updatedAt = new Date().toISOString();
    saveResults(path, data);
    estLeft -= cell.estimateMs;
    estDone += cell.estimateMs;
    actualDone += Date.now() - start;
  }
  return { ms: Date.now() - t0 };
}
