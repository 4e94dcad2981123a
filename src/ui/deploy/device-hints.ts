/**
 * What the page knows about the phone it runs on, for the bundle run's device facts and the default device label:
 * User-Agent Client Hints (`model`, `platform`, `platformVersion`) when the browser has them, else the UA string
 * read by the engine's `deviceLabelOf`.
 */
import { deviceLabelOf } from '../../api/formatting';

interface UaDataLike {
  platform?: string;
  getHighEntropyValues?: (hints: string[]) => Promise<Record<string, unknown>>;
}

/** Client hints as plain strings (empty values dropped); {} where the browser has no userAgentData. */
export async function readDeviceHints(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const uad = (navigator as Navigator & { userAgentData?: UaDataLike }).userAgentData;
  if (!uad) return out;
  if (typeof uad.platform === 'string' && uad.platform) out.platform = uad.platform;
  try {
    const v = (await uad.getHighEntropyValues?.(['model', 'platform', 'platformVersion'])) ?? {};
    for (const k of ['model', 'platform', 'platformVersion']) {
      const s = v[k];
      if (typeof s === 'string' && s.trim()) out[k] = s.trim();
    }
  } catch { /* hints refused: the UA reading below still gives a label */ }
  return out;
}

/** A short default label for this device (the column name on the desktop). */
export function defaultDeviceLabel(hints: Record<string, string>, userAgent: string): string {
  return deviceLabelOf({ ...hints, userAgent });
}
