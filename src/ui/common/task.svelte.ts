/**
 * One user-triggered engine call with reactive state: running flag, latest progress and the error to show in the
 * step's banner. Errors are captured (never swallowed): `error` keeps the StudioError code and message.
 */
import type { OnProgress, Progress } from '../../api/types';
import { toUiError, type UiError } from './errors';

export class Task {
  running = $state(false);
  progress = $state<Progress | null>(null);
  error = $state<UiError | null>(null);

  /** Runs fn; returns its result, or undefined when it threw (the error is then in `error`). */
  async run<T>(fn: (onProgress: OnProgress) => Promise<T>): Promise<T | undefined> {
    this.running = true;
    this.error = null;
    this.progress = null;
    try {
      return await fn((p) => { this.progress = p; });
    } catch (e) {
      this.error = toUiError(e);
      return undefined;
    } finally {
      this.running = false;
    }
  }

  clearError(): void {
    this.error = null;
  }
}
