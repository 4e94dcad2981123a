/**
 * How model versions are named (pure, unit-tested). A version is its source's name plus ` · what happened`:
 * "ResNet-20 (untrained)" trained → "ResNet-20 · trained" (a trained version is no longer untrained), trained again
 * → "ResNet-20 · trained (2)" (the same step twice gets a count, not a repeated suffix). Imports are named after
 * what was picked, never "imported imported model".
 */

const UNTRAINED = /\s*\(untrained\)\s*$/;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The name of a version made from `base` by `step` (e.g. 'trained', 'fine-tuned', 'pruned (l1)'). */
export function versionName(base: string, step: string): string {
  const clean = base.replace(UNTRAINED, '').trim() || base.trim();
  const again = new RegExp(` · ${escapeRe(step)}(?: \\((\\d+)\\))?$`).exec(clean);
  if (again) return `${clean.slice(0, again.index)} · ${step} (${Number(again[1] ?? 1) + 1})`;
  return `${clean} · ${step}`;
}

/** What an import is called and the lineage step it records, from where it came (a folder, file or URL name). */
export function importNames(archLabel: string | undefined, from: string | undefined): { name: string; step: string } {
  const src = from?.trim() || undefined;
  const name = archLabel ? (src ? `${archLabel} (${src})` : archLabel) : src ?? 'Imported model';
  return { name, step: src ? `imported from ${src}` : 'imported' };
}
