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
  /** True for a GPU backend on a software rasteriser (SwiftShader, llvmpipe, lavapipe): slow here. */
  softwareAdapter?: boolean;
  /** Median ms of the inference-default probe (batch-1 forward of a small CNN) on this backend, when it was timed. */
  probeMs?: number;
  /** Training images/s measured on this backend by this session's training-speed measurement, when it ran. */
  trainingImagesPerSecond?: number;
}
