/** Seeded random scores (the control baseline): uniform in [0, 1), reproducible per seed and group. */
import { mulberry32 } from '../../random';

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function randomScores(channels: number, seed: number, groupId: string): Float64Array {
  const rnd = mulberry32((seed ^ hash(groupId)) >>> 0);
  const out = new Float64Array(channels);
  for (let j = 0; j < channels; j++) out[j] = rnd();
  return out;
}
