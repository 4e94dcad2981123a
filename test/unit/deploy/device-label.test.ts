import { describe, expect, it } from 'vitest';
import { deviceLabelOf } from '../../../src/engine/deploy/device-label';

describe('deviceLabelOf', () => {
  it('prefers a given label, then client hints, then the User-Agent', () => {
    expect(deviceLabelOf({ label: 'my phone', model: 'Pixel 7' })).toBe('my phone');
    const chromeAndroid = 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36';
    expect(deviceLabelOf({ userAgent: chromeAndroid, model: 'Pixel 7', platform: 'Android', platformVersion: '14.0.0' })).toBe('Pixel 7 · Android 14 · Chrome 124');
    expect(deviceLabelOf({ userAgent: chromeAndroid })).toBe('Android 10 · Chrome 124');
    const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
    expect(deviceLabelOf({ userAgent: iphone })).toBe('iPhone · iOS 17.4 · Safari 17.4');
    const samsung = 'Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36';
    expect(deviceLabelOf({ userAgent: samsung })).toBe('SM-S911B · Android 13 · Samsung Internet 23');
    expect(deviceLabelOf({ hardwareConcurrency: 8 })).toBe('unknown device · 8 cores');
  });
});
