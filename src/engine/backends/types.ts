export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface BackendStatus {
  name: BackendName;
  available: boolean;
  /** Why it is not available (or a caveat when it is, e.g. 'software adapter (SwiftShader)'). */
  reason?: string;
  active: boolean;
  /** Extra facts: adapter description, wasm SIMD/threads, etc. */
  details?: Record<string, string | number | boolean>;
  /** Set on the measured inference default: why it is the default (the user's explicit choice still wins). */
  defaultReason?: string;
}
