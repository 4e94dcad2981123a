/**
 * The benchmark's unit of work: a "cell" (one measurement). Cells run in order; each one's result or error is
 * written to the results JSON right after it finishes (atomic rename), so a crash loses at most one cell and
 * `--resume` skips every cell already recorded as ok. Progress lines carry the elapsed time and an ETA computed
 * from the cells' rough cost estimates, rescaled by how long the finished cells actually took.
 */
import { execSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

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
 * `onTimeout(cell)` lets the caller cancel the studio job and recover the page.
 */
export async function runCells(cells, { data, path, resume, onError, log = console.log }) {
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
    const stamp = () => `[${fmtDuration(Date.now() - t0)}]`;
    log(`${stamp()} (${i}/${todo.length}) ${cell.id}: ${cell.title} … (ETA for the rest ${eta()})`);
    const cellLog = (msg) => log(`${stamp()}     ${cell.id}: ${msg}`);
    let record;
    try {
      const result = await withTimeout(cell.run(cellLog), cell.timeoutMs ?? 30 * 60_000, cell.id);
      record = { status: 'ok', section: cell.section, title: cell.title, ms: Date.now() - start, at: new Date().toISOString(), commit, result };
      log(`${stamp()}     ${cell.id}: ok in ${fmtDuration(record.ms)}`);
    } catch (e) {
      const err = e instanceof Error ? { message: e.message, code: e.code, stack: e.stack?.split('\n').slice(0, 6).join('\n') } : { message: String(e) };
      record = { status: 'error', section: cell.section, title: cell.title, ms: Date.now() - start, at: new Date().toISOString(), commit, error: err };
      log(`${stamp()}     ${cell.id}: FAILED after ${fmtDuration(record.ms)}: ${err.message}`);
      await onError?.(cell, e);
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
