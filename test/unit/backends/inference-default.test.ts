/** The inference default: software GPU adapters are skipped; several real candidates are timed; cpu is a last resort. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { chooseInferenceDefault, inferenceProbeMs, isSoftwareAdapter } from '../../../src/engine/backends/inference-default';
import type { BackendName, BackendStatus } from '../../../src/engine/backends/types';

const st = (name: BackendName, available: boolean, details?: Record<string, string | number | boolean>): BackendStatus => ({ name, available, active: false, ...(details ? { details } : {}) });
const SWIFTSHADER_GPU = { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader Device (Subzero)' };
const SWIFTSHADER_GL = { version: 2, float32: true, renderer: 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)' };
const REAL_GPU = { vendor: 'nvidia', architecture: 'ampere', device: '', description: 'NVIDIA GeForce RTX 3060' };

describe('chooseInferenceDefault', () => {
  it('skips stubbed software adapters and takes wasm without measuring', async () => {
    const measured: string[] = [];
    const c = await chooseInferenceDefault([st('webgpu', true, SWIFTSHADER_GPU), st('webgl', true, SWIFTSHADER_GL), st('wasm', true), st('cpu', true)], async (b) => {
      measured.push(b);
      return 1;
    });
    expect(c?.backend).toBe('wasm');
    expect(measured).toEqual([]);
    expect(c?.reason).toMatch(/webgpu and webgl skipped \(software adapter\)/);
    expect(isSoftwareAdapter(SWIFTSHADER_GL)).toBe(true);
    expect(isSoftwareAdapter(REAL_GPU)).toBe(false);
  });

  it('times several real candidates and takes the fastest; a failing probe drops out', async () => {
    const ms: Partial<Record<BackendName, number>> = { webgpu: 2.5, wasm: 4 };
    const c = await chooseInferenceDefault([st('webgpu', true, REAL_GPU), st('webgl', true, { renderer: 'NVIDIA' }), st('wasm', true), st('cpu', true)], async (b) => {
      if (b === 'webgl') throw new Error('context lost');
      return ms[b]!;
    });
    expect(c).toMatchObject({ backend: 'webgpu', probeMs: { webgpu: 2.5, wasm: 4 } });
    expect(c?.reason).toMatch(/^webgpu: fastest measured .*2\.5 ms vs wasm 4\.0 ms/);
    const slowGpu = await chooseInferenceDefault([st('webgpu', true, REAL_GPU), st('wasm', true)], async (b) => (b === 'webgpu' ? 9 : 3));
    expect(slowGpu?.backend).toBe('wasm');
  });

  it('falls back to what is there: a software adapter beats nothing, cpu is the last resort', async () => {
    const onlySoft = await chooseInferenceDefault([st('webgl', true, SWIFTSHADER_GL), st('wasm', false), st('cpu', true)], async (b) => (b === 'cpu' ? 50 : 20));
    expect(onlySoft?.backend).toBe('webgl');
    expect((await chooseInferenceDefault([st('cpu', true)], async () => 1))?.backend).toBe('cpu');
    expect(await chooseInferenceDefault([st('cpu', false)], async () => 1)).toBeNull();
  });

  it('the probe forward runs on the active backend and leaves no tensors', async () => {
    const before = tf.memory().numTensors;
    const ms = await inferenceProbeMs(1, 2);
    expect(ms).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });
});
