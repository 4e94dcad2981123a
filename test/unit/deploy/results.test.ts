import { deflateSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { decodeResults, encodeResults, encodeResultsForQr, QR_PREFIX } from '../../../src/engine/deploy/results';
import { DIFFERS_MESSAGE } from '../../../src/engine/deploy/run';
import type { DeployResults, ModelRunResult } from '../../../src/engine/deploy/types';

const UA = 'Mozilla/5.0 (Linux; Android 14; Pixel 7 Pro) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.113 Mobile Safari/537.36';

function result(ms: number, agreement = 1): ModelRunResult {
  const r: ModelRunResult = {
    latency: { medianMs: ms + 0.123456, p90Ms: ms * 1.2 + 0.0049, minMs: ms * 0.9, meanMs: ms + 0.3333, runs: 57, throughput: 1234.5678 },
    top1: 0.91333333,
    agreement,
  };
  if (agreement < 0.99) r.flag = DIFFERS_MESSAGE;
  return r;
}

function sampleResults(): DeployResults {
  const ids = ['model-lx3k2j9a-abc123', 'model-lx3k9z1b-def456'];
  return {
    format: 'pruning-studio-results', version: 1, bundleId: 'bundle-lx3kaaaa-q1w2e3', bundleCreatedAt: 1717000000000,
    models: [{ id: ids[0]!, name: 'ResNet-56 (akamaster resnet56)', role: 'original' }, { id: ids[1]!, name: 'ResNet-56 pruned hrank 50% MACs, fine-tuned 30 epochs', role: 'pruned' }],
    images: 300, benchmark: { warmup: 10, runs: 50, minTimeMs: 2000 },
    deviceLabel: 'Pixel 7 Pro · Android 14 · Chrome 124',
    device: { userAgent: UA, hardwareConcurrency: 8, deviceMemory: 8, platform: 'Linux armv8l', 'gpu.vendor': 'arm', 'gpu.architecture': 'valhall', 'gpu.description': 'Mali-G710 MC10', model: 'Pixel 7 Pro', platformVersion: '14.0.0' },
    hiddenDuringRun: false, startedAt: 1717000100000, finishedAt: 1717000160000,
    backends: {
      webgpu: { models: { [ids[0]!]: result(4.2), [ids[1]!]: result(2.1, 0.9767) } },
      webgl: { models: { [ids[0]!]: result(6.7), [ids[1]!]: { error: 'Failed to compile fragment shader: out of registers on this GPU model, please report' } } },
      wasm: { models: { [ids[0]!]: result(31.4), [ids[1]!]: result(15.9) } },
    },
  };
}

function codeOf(f: () => unknown): { code?: string; message: string } {
  try {
    f();
  } catch (e) {
    return { code: (e as { code?: string }).code, message: (e as Error).message };
  }
  throw new Error('expected a throw');
}

describe('results codecs', () => {
  it('the results file round-trips exactly', () => {
    const r = sampleResults();
    const text = encodeResults(r);
    expect(text).not.toMatch(/\n/);
    expect(decodeResults(text)).toEqual(r);
    expect(decodeResults(`\n  ${text}\n`)).toEqual(r);
  });

  it('the QR string is short and round-trips up to rounding', () => {
    const r = sampleResults();
    const qr = encodeResultsForQr(r);
    expect(qr.startsWith(QR_PREFIX)).toBe(true);
    expect(qr).toMatch(/^PSR1\.[A-Za-z0-9_-]+$/);
    expect(qr.length).toBeLessThan(1500);
    const d = decodeResults(qr);
    expect(d.models.map((m) => [m.id, m.role])).toEqual(r.models.map((m) => [m.id, m.role]));
    expect(d.deviceLabel).toBe(r.deviceLabel);
    expect(d.device.userAgent).toBe(UA);
    expect(d.device['gpu.description']).toBe('Mali-G710 MC10');
    expect(d.bundleId).toBe(r.bundleId);
    expect(d.finishedAt).toBe(r.finishedAt);
    expect(d.benchmark).toEqual(r.benchmark);
    for (const [b, run] of Object.entries(r.backends)) {
      if ('error' in run) throw new Error('unexpected');
      const got = d.backends[b]!;
      if ('error' in got) throw new Error(`backend ${b} lost`);
      for (const [id, x] of Object.entries(run.models)) {
        const y = got.models[id]!;
        if ('error' in x) {
          expect('error' in y && y.error.length <= 80 && x.error.startsWith(y.error.slice(0, -1))).toBe(true);
          continue;
        }
        if ('error' in y) throw new Error(`${b}/${id} lost`);
        expect(Math.abs(y.latency.medianMs - x.latency.medianMs)).toBeLessThanOrEqual(0.005 + 1e-9);
        expect(Math.abs(y.latency.p90Ms - x.latency.p90Ms)).toBeLessThanOrEqual(0.005 + 1e-9);
        expect(y.latency.runs).toBe(x.latency.runs);
        expect(Math.abs(y.top1 - x.top1)).toBeLessThanOrEqual(5e-5);
        expect(y.flag).toBe(x.flag);
      }
    }
  });

  it('a backend that failed as a whole survives both forms', () => {
    const r = sampleResults();
    r.backends.webgpu = { error: 'Backend "webgpu" is not available here: navigator.gpu is missing.' };
    expect(decodeResults(encodeResults(r)).backends.webgpu).toEqual(r.backends.webgpu);
    expect(decodeResults(encodeResultsForQr(r)).backends.webgpu).toEqual(r.backends.webgpu);
  });

  it('rejects garbage, damage and newer versions', () => {
    expect(codeOf(() => decodeResults('hello')).code).toBe('bad-input');
    expect(codeOf(() => decodeResults('{"format":"pruning-studio-results"')).code).toBe('bad-input');
    expect(codeOf(() => decodeResults(JSON.stringify({ ...sampleResults(), format: 'other' }))).code).toBe('bad-input');
    const noLatency = sampleResults() as unknown as { backends: { wasm: { models: Record<string, { latency?: unknown }> } } };
    delete Object.values(noLatency.backends.wasm.models)[0]!.latency;
    expect(codeOf(() => decodeResults(JSON.stringify(noLatency))).message).toMatch(/wasm/);
    const newer = codeOf(() => decodeResults(JSON.stringify({ ...sampleResults(), version: 3 })));
    expect(newer.code).toBe('incompatible-version');
    expect(newer.message).toMatch(/version 3.*version 1/);
    expect(codeOf(() => decodeResults('PSR9.abc')).code).toBe('incompatible-version');
    const qr = encodeResultsForQr(sampleResults());
    expect(codeOf(() => decodeResults(qr.slice(0, qr.length - 40))).code).toBe('bad-input');
    expect(codeOf(() => decodeResults(qr.slice(0, 20) + '!' + qr.slice(21))).code).toBe('bad-input');
    const wrongShape = QR_PREFIX + btoa(String.fromCharCode(...deflateSync(strToU8('{"v":1,"m":[]}')))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    expect(codeOf(() => decodeResults(wrongShape)).code).toBe('bad-input');
  });
});
