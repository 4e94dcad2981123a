/** Turns anything thrown across the worker bridge into a {code, message} pair for the error banner. */
export interface UiError { code: string; message: string }

export function toUiError(e: unknown): UiError {
  if (e && typeof e === 'object') {
    const o = e as { code?: unknown; message?: unknown; name?: unknown };
    const message = typeof o.message === 'string' && o.message ? o.message : String(e);
    const code = typeof o.code === 'string' && o.code ? o.code : typeof o.name === 'string' && o.name !== 'Error' ? o.name : 'error';
    return { code, message };
  }
  return { code: 'error', message: String(e) };
}
