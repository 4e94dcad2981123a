/**
 * Live training curves from progress events: `progress.data` carries {epoch, loss, acc, valAcc?, lr?}.
 * A point with the same epoch as the last one replaces it (per-batch updates inside an epoch).
 */
import type { EpochPoint, Progress } from '../../api/types';

export interface CurvePoint { epoch: number; loss: number | null; acc: number | null; valAcc: number | null; valLoss: number | null; lr: number | null }

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Returns a new array with the progress point added (or undefined when the event carries no epoch metrics). */
export function addProgressPoint(points: readonly CurvePoint[], p: Progress): CurvePoint[] | undefined {
  const d = p.data;
  const epoch = num(d?.epoch);
  if (!d || epoch === null) return undefined;
  const point: CurvePoint = { epoch, loss: num(d.loss), acc: num(d.acc), valAcc: num(d.valAcc), valLoss: num(d.valLoss), lr: num(d.lr) };
  if (point.loss === null && point.acc === null && point.valAcc === null) return undefined;
  const last = points[points.length - 1];
  if (last && last.epoch === epoch) {
    // Keep validation numbers from earlier updates of the same epoch when this one has none.
    const merged = { ...point, valAcc: point.valAcc ?? last.valAcc, valLoss: point.valLoss ?? last.valLoss };
    return [...points.slice(0, -1), merged];
  }
  if (last && epoch < last.epoch) return [...points.filter((q) => q.epoch < epoch), point];
  return [...points, point];
}

export function fromHistory(history: readonly EpochPoint[]): CurvePoint[] {
  return history.map((h) => ({ epoch: h.epoch, loss: h.loss, acc: h.acc, valAcc: h.valAcc ?? null, valLoss: h.valLoss ?? null, lr: h.lr }));
}
