/** The studio's steps, in order, and hash routing helpers (#/data, #/model, ...). */
export const STEPS = [
  { id: 'data', label: 'Data' },
  { id: 'model', label: 'Model' },
  { id: 'analyse', label: 'Analyse' },
  { id: 'prune', label: 'Prune' },
  { id: 'finetune', label: 'Fine-tune' },
  { id: 'deploy', label: 'Compare & Deploy' },
] as const;

export type StepId = (typeof STEPS)[number]['id'];

/** '#/prune' → 'prune'; anything unknown → 'data'. */
export function stepFromHash(hash: string): StepId {
  const id = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return (STEPS.find((s) => s.id === id)?.id ?? 'data') as StepId;
}
