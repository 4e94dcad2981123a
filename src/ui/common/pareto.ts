/** Pareto front for "accuracy vs cost": points not dominated by another with lower-or-equal x and higher-or-equal y. */
export interface XY { x: number; y: number }

/** Returns the non-dominated points sorted by ascending x (cost), each strictly more accurate than the previous. */
export function paretoFront<T extends XY>(points: readonly T[]): T[] {
  const sorted = [...points].filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x || b.y - a.y);
  const front: T[] = [];
  let best = -Infinity;
  for (const p of sorted) {
    if (p.y > best) {
      front.push(p);
      best = p.y;
    }
  }
  return front;
}
