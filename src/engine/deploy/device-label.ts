/**
 * A short, human label for a device from the facts a page can see: a caller-given `label` first, then
 * User-Agent Client Hints (`model`, `platform`, `platformVersion`), then a best-effort reading of the User-Agent
 * string. Used as the column name of the device's latencies on the desktop, so it must be stable per device+browser.
 */
import type { DeviceFacts } from './types';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

function osFromUa(ua: string): string | undefined {
  let m = /(iPhone|iPad|iPod)[^)]*? OS (\d+)[_.](\d+)/.exec(ua);
  if (m) return `${m[1]} · iOS ${m[2]}.${m[3]}`;
  m = /Android (\d+(?:\.\d+)?)(?:; ([^;)]+))?/.exec(ua);
  if (m) {
    const model = m[2] && m[2] !== 'K' && !/^wv$|^[a-z]{2}-[a-z]{2}$/i.test(m[2]) ? m[2].trim() : undefined;
    return [model, `Android ${m[1]}`].filter(Boolean).join(' · ');
  }
  if (/Macintosh/.test(ua)) return 'Mac';
  if (/Windows/.test(ua)) return 'Windows';
  if (/CrOS/.test(ua)) return 'ChromeOS';
  if (/Linux/.test(ua)) return 'Linux';
  return undefined;
}

function browserFromUa(ua: string): string | undefined {
  const tests: [RegExp, string][] = [
    [/EdgA?\/(\d+)/, 'Edge'],
    [/SamsungBrowser\/(\d+)/, 'Samsung Internet'],
    [/Firefox\/(\d+)|FxiOS\/(\d+)/, 'Firefox'],
    [/CriOS\/(\d+)/, 'Chrome'],
    [/Chrome\/(\d+)/, 'Chrome'],
    [/Version\/(\d+(?:\.\d+)?).*Safari/, 'Safari'],
  ];
  for (const [re, name] of tests) {
    const m = re.exec(ua);
    if (m) return `${name} ${m[1] ?? m[2]}`;
  }
  return undefined;
}

export function deviceLabelOf(device: DeviceFacts): string {
  const given = str(device.label);
  if (given) return given.slice(0, 80);
  const ua = str(device.userAgent) ?? '';
  const hintModel = str(device.model);
  const hintPlatform = str(device.platform);
  const hintVersion = str(device.platformVersion);
  const os = hintModel || hintVersion ? [hintModel, hintPlatform && hintVersion ? `${hintPlatform} ${hintVersion.split('.')[0]}` : hintPlatform].filter(Boolean).join(' · ') : osFromUa(ua) ?? hintPlatform;
  const parts = [os, browserFromUa(ua)].filter((p): p is string => !!p);
  if (parts.length === 0) {
    const cores = typeof device.hardwareConcurrency === 'number' ? `${device.hardwareConcurrency} cores` : undefined;
    return ['unknown device', cores].filter(Boolean).join(' · ');
  }
  return parts.join(' · ').slice(0, 80);
}
