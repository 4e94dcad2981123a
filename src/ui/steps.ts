/** The studio's steps, in order (`short`: the label on a phone's step bar), and hash routing helpers (#/data, ...). */
export const STEPS = [
  { id: 'data', label: 'Data', short: 'Data' },
  { id: 'model', label: 'Model', short: 'Model' },
  { id: 'analyse', label: 'Analyse', short: 'Analyse' },
  { id: 'prune', label: 'Prune', short: 'Prune' },
  { id: 'finetune', label: 'Fine-tune', short: 'Fine-tune' },
  { id: 'deploy', label: 'Compare & Deploy', short: 'Compare' },
] as const;

export type StepId = (typeof STEPS)[number]['id'];

/** '#/prune' → 'prune'; anything unknown → 'data'. */
export function stepFromHash(hash: string): StepId {
  const id = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return (STEPS.find((s) => s.id === id)?.id ?? 'data') as StepId;
}
