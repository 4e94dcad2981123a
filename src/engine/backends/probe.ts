/**
 * Detects which tfjs backends work here, initialises the best one (WebGPU first) and switches on request.
 * A backend counts as available only when a tiny op really runs on it and returns the right numbers.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../errors';
import { BACKEND_ORDER, type BackendName, type BackendStatus } from './types';
import { chooseInferenceDefault, inferenceProbeMs, isSoftwareAdapter, type InferenceChoice } from './inference-default';
import { getThreadsCount, initWasmBackend } from './wasm-setup';

export { isSoftwareAdapter };

const statusCache = new Map<BackendName, BackendStatus>();
/** The measured inference default of this session (null until probed). */
let defaultChoice: InferenceChoice | null = null;

/** Which backend is the inference default here and why (null before the first probe). */
export function inferenceDefault(): InferenceChoice | null {
  return defaultChoice;
}

/**
 * Backend switches are serialised: tfjs has one global engine, and two interleaved probe loops (e.g. the UI's and a
 * script's) would run kernels of one backend on another's tensors.
 */
let chain: Promise<unknown> = Promise.resolve();
function serialised<T>(fn: () => Promise<T>): Promise<T> {
  const next = chain.then(fn, fn);
  chain = next.catch(() => undefined);
  return next;
}

async function describe(name: BackendName): Promise<Record<string, string | number | boolean>> {
  const env = tf.env();
  if (name === 'wasm') {
    return {
      simd: (await env.getAsync('WASM_HAS_SIMD_SUPPORT')) === true,
      multithread: (await env.getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true,
      threads: getThreadsCount(),
      crossOriginIsolated: typeof globalThis.crossOriginIsolated === 'boolean' ? globalThis.crossOriginIsolated : false,
    };
  }
  if (name === 'webgpu') {
    type AdapterLike = { info?: Record<string, string> };
    const gpu = (globalThis.navigator as unknown as { gpu?: { requestAdapter(): Promise<AdapterLike | null> } }).gpu;
    const adapter = gpu ? await gpu.requestAdapter() : null;
    const info: Record<string, string> = adapter?.info ?? {};
    return { vendor: info.vendor ?? '', architecture: info.architecture ?? '', device: info.device ?? '', description: info.description ?? '' };
  }
  if (name === 'webgl') {
    // The renderer string tells a software rasteriser (ANGLE on SwiftShader, llvmpipe) from a GPU.
    let renderer = '';
    try {
      const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl;
      if (gl) {
        const ext = gl.getExtension('WEBGL_debug_renderer_info');
        renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
      }
    } catch {
      /* not exposed: unknown */
    }
    return { version: Number(env.get('WEBGL_VERSION')), float32: env.getBool('WEBGL_RENDER_FLOAT32_ENABLED'), renderer };
  }
  return {};
}

async function tryBackend(name: BackendName): Promise<BackendStatus> {
  if (!tf.findBackendFactory(name)) return { name, available: false, active: false, reason: 'not registered in this build' };
  if (name === 'webgpu' && !(globalThis.navigator && 'gpu' in globalThis.navigator)) {
    return { name, available: false, active: false, reason: 'navigator.gpu is missing (WebGPU not supported or not enabled)' };
  }
  try {
    const ok = name === 'wasm' ? await initWasmBackend() : await tf.setBackend(name);
    if (!ok) return { name, available: false, active: false, reason: 'backend failed to initialise' };
    await tf.ready();
    const out = tf.tidy(() => tf.add(tf.tensor1d([1, 2, 3]), tf.tensor1d([10, 20, 30])));
    const values = await out.data();
    out.dispose();
    if (values[0] !== 11 || values[2] !== 33) return { name, available: false, active: false, reason: `wrong result ${Array.from(values)}` };
    const details = await describe(name);
    const reason = isSoftwareAdapter(details) ? 'software adapter: works, but slow' : undefined;
    return { name, available: true, active: false, details, reason };
  } catch (e) {
    return { name, available: false, active: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

/** Asked before every switch to another backend: throws when a running job holds the current one (jobs.ts). */
let switchGuard: ((to: BackendName) => void) | null = null;
export function setSwitchGuard(guard: ((to: BackendName) => void) | null): void {
  switchGuard = guard;
}

/** Probes every backend (once; `force` re-probes), then leaves `prefer` (or the best available) active. */
export function probeBackends(prefer?: BackendName, force = false): Promise<BackendStatus[]> {
  return serialised(async () => {
    // Probing activates each backend in turn: not while a job holds the current one.
    const due = BACKEND_ORDER.filter((name) => force || !statusCache.has(name));
    for (const name of due) if (name !== tf.getBackend()) switchGuard?.(name);
    for (const name of due) {
      statusCache.set(name, await tryBackend(name));
    }
    let target = prefer && statusCache.get(prefer)?.available ? prefer : undefined;
    if (!target) {
      // No explicit choice: the measured default (software GPU adapters skipped), measured once per session.
      if (force || !defaultChoice)
        defaultChoice = await chooseInferenceDefault(BACKEND_ORDER.map((n) => statusCache.get(n)!), async (b) => {
          await tf.setBackend(b);
          await tf.ready();
          return inferenceProbeMs();
        });
      target = defaultChoice?.backend;
    }
    if (target) await tf.setBackend(target);
    return backendStatuses();
  });
}

export function backendStatuses(): BackendStatus[] {
  const active = tf.getBackend();
  return BACKEND_ORDER.map((n) => ({
    ...(statusCache.get(n) ?? { name: n, available: false, reason: 'not probed yet' }),
    name: n,
    active: n === active,
    ...(defaultChoice?.backend === n ? { defaultReason: defaultChoice.reason } : {}),
    ...(n !== 'wasm' && n !== 'cpu' && statusCache.get(n)?.available && isSoftwareAdapter(statusCache.get(n)?.details) ? { softwareAdapter: true } : {}),
    ...(defaultChoice?.probeMs[n] !== undefined ? { probeMs: defaultChoice.probeMs[n] } : {}),
  }));
}

export function switchBackend(name: BackendName): Promise<BackendStatus[]> {
  return serialised(async () => {
    if (tf.getBackend() === name && statusCache.get(name)?.available) return backendStatuses();
    switchGuard?.(name);
    const st = statusCache.get(name) ?? (await tryBackend(name));
    statusCache.set(name, st);
    if (!st.available) throw new StudioError('backend-unavailable', `Backend "${name}" is not available here: ${st.reason ?? 'unknown reason'}.`);
    await tf.setBackend(name);
    await tf.ready();
    return backendStatuses();
  });
}

export function activeBackend(): BackendName {
  return tf.getBackend() as BackendName;
}
