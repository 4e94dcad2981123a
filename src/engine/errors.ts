/**
 * The one error type the engine throws for bad input or a refused operation.
 * `code` is stable and machine-readable; `message` names the file/layer/value at fault
 * and says what to do, so the UI can show it as is.
 */
export type StudioErrorCode =
  | 'bad-input'
  | 'corrupt-archive'
  | 'missing-file'
  | 'bad-record'
  | 'label-out-of-range'
  | 'empty-class'
  | 'undecodable-image'
  | 'quota-exceeded'
  | 'not-found'
  | 'unsupported-layer'
  | 'shape-mismatch'
  | 'classes-mismatch'
  | 'nan-loss'
  | 'out-of-memory'
  | 'backend-unavailable'
  | 'backend-busy'
  | 'engine-restarted'
  | 'storage-damaged'
  | 'too-large'
  | 'not-converged'
  | 'busy-elsewhere'
  | 'cancelled'
  | 'incompatible-version'
  | 'internal';

export class StudioError extends Error {
  readonly code: StudioErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(code: StudioErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'StudioError';
    this.code = code;
    this.details = details;
  }
}

export function isStudioError(e: unknown): e is StudioError {
  return e instanceof Error && e.name === 'StudioError' && 'code' in e;
}

/** Throws a `cancelled` StudioError when the signal has been aborted. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new StudioError('cancelled', 'The operation was cancelled.');
}
