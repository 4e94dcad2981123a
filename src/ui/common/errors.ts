/**
 * Turns anything thrown across the worker bridge into a {code, message} pair, and the words the UI shows for it: a
 * short human title per StudioError code (the code itself is tucked away in the banner's details), the message
 * without a leading raw code ("missing-file: …"), and whether it is a cancel (a neutral notice, not an error).
 */
export interface UiError { code: string; message: string }

/** One human line per error code (docs/api.md lists the codes). */
const TITLES: Record<string, string> = {
  'bad-input': 'That input cannot be used',
  'corrupt-archive': 'The archive is damaged or not what it claims to be',
  'missing-file': 'A file is missing',
  'bad-record': 'A record in the data is malformed',
  'label-out-of-range': 'A label is outside the class list',
  'empty-class': 'A class has no images',
  'undecodable-image': 'An image could not be decoded',
  'quota-exceeded': 'The browser ran out of storage space',
  'not-found': 'It is no longer stored',
  'unsupported-layer': 'The model has a layer the studio does not support',
  'shape-mismatch': 'The model and the data do not fit together',
  'classes-mismatch': 'The model and the dataset have different classes',
  'nan-loss': 'Training diverged',
  'out-of-memory': 'Out of memory',
  'backend-unavailable': 'That backend cannot run here',
  'backend-busy': 'Another backend is busy',
  'engine-restarted': 'The engine was restarted',
  'storage-damaged': 'Stored data is damaged',
  'too-large': 'It is too large',
  'not-converged': 'A solver did not converge',
  'busy-elsewhere': 'It is running in another tab',
  cancelled: 'Cancelled',
  'incompatible-version': 'It was made by an incompatible version',
  internal: 'Something went wrong inside the studio',
};

/** The title shown for a code ('Something went wrong' for codes without one). */
export function errorTitle(code: string): string {
  return TITLES[code] ?? 'Something went wrong';
}

/** A cancel the user asked for: shown as a neutral notice, not as a red error. */
export function isCancel(e: Pick<UiError, 'code'> | null | undefined): boolean {
  return e?.code === 'cancelled';
}

const LEADING_CODE = /^(?:StudioError:\s*)?([a-z]+(?:-[a-z]+)*):(?:\s+|$)/;

/** The message without a raw code in front ('missing-file: No model.json …' → 'No model.json …'). */
export function cleanMessage(code: string, message: string): string {
  let m = message.trim();
  for (let i = 0; i < 3; i++) {
    const hit = LEADING_CODE.exec(m);
    if (!hit || !(hit[1] === code || hit[1]! in TITLES)) break;
    m = m.slice(hit[0].length);
  }
  return m || errorTitle(code);
}

export function toUiError(e: unknown): UiError {
  if (e && typeof e === 'object') {
    const o = e as { code?: unknown; message?: unknown; name?: unknown };
    const message = typeof o.message === 'string' && o.message ? o.message : String(e);
    const code = typeof o.code === 'string' && o.code ? o.code : typeof o.name === 'string' && o.name !== 'Error' ? o.name : 'error';
    return { code, message: cleanMessage(code, message) };
  }
  return { code: 'error', message: String(e) };
}
