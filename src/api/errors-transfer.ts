/**
 * Comlink serialises thrown errors as {name, message, stack} only; this handler keeps StudioError's `code` and
 * `details` across the worker boundary. Installed on both sides of the bridge.
 */
import * as Comlink from 'comlink';

interface ThrownValue { isError: boolean; value: unknown }
interface SerialError { name: string; message: string; stack?: string; code?: string; details?: unknown }

export function installErrorTransfer(): void {
  Comlink.transferHandlers.set('throw', {
    // Comlink marks thrown values with a private symbol described 'Comlink.thrown' (not exported).
    canHandle: (v: unknown): v is ThrownValue =>
      typeof v === 'object' && v !== null && Object.getOwnPropertySymbols(v).some((s) => s.description === 'Comlink.thrown'),
    serialize(v: ThrownValue) {
      const e = v.value;
      const out: { isError: boolean; value: SerialError | unknown } = e instanceof Error
        ? { isError: true, value: { name: e.name, message: e.message, stack: e.stack, code: (e as { code?: string }).code, details: (e as { details?: unknown }).details } }
        : { isError: false, value: e };
      return [out, []];
    },
    deserialize(s: { isError: boolean; value: unknown }) {
      if (!s.isError) throw s.value;
      const v = s.value as SerialError;
      throw Object.assign(new Error(v.message), { name: v.name, stack: v.stack, code: v.code, details: v.details });
    },
  } as unknown as Comlink.TransferHandler<unknown, unknown>);
}
