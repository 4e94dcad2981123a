/**
 * Shapes of deployment bundles (.psbundle) and of the results a phone sends back. Shared by the engine
 * (bundle.ts, run.ts, results.ts), the worker feature (src/api/worker/deploy.ts) and, through the integrator,
 * the public API types.
 */
import type { DeviceDescription, LatencyResult } from '../metrics/latency';
import type { LatencyRecord } from '../models/types';

export const BUNDLE_FORMAT = 'pruning-studio-bundle';
export const BUNDLE_VERSION = 1;
export const RESULTS_FORMAT = 'pruning-studio-results';
export const RESULTS_VERSION = 1;

export type BundleRole = 'original' | 'pruned';

/** The ModelInfo subset a bundle carries (enough for the phone's table). */
export interface BundleModelInfo {
  params: number;
  macs: number;
  flops: number;
  bytes: number;
  arch: string;
  lineage: string[];
}

export interface BundleModelEntry {
  id: string;
  name: string;
  role: BundleRole;
  info: BundleModelInfo;
  /** `tflite`: the version as a float32 .tflite (absent when a layer cannot be written, or in older bundles). */
  files: { json: string; weights: string; tflite?: string };
}

export interface BenchmarkSettings {
  warmup: number;
  runs: number;
  minTimeMs: number;
}

/** manifest.json of a bundle. */
export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  version: number;
  /** Random id, copied into the results. */
  bundleId: string;
  studioVersion: string;
  createdAt: number;
  models: BundleModelEntry[];
  images: { count: number; size: number; file: string; labels: string };
  classes: string[];
  /** modelId → member path of int16 argmax predictions (one per image, little-endian). */
  desktopPredictions: Record<string, string>;
  benchmark: BenchmarkSettings;
  desktop: DeviceDescription & { backend: string };
  /** member path → CRC-32 (hex) of its bytes, so damage inside a stored member is caught. */
  checksums?: Record<string, string>;
}

/** One model as handed to encodeBundle: model.json bytes (weightsManifest pointing at weights.bin) and weights. */
export interface BundleModelInput {
  id: string;
  name: string;
  role: BundleRole;
  info: BundleModelInfo;
  json: Uint8Array;
  weights: Uint8Array;
  /** The float32 .tflite of the version, timed on the phone in LiteRT.js. */
  tflite?: Uint8Array;
}

export interface BundleInput {
  studioVersion: string;
  createdAt?: number;
  bundleId?: string;
  models: BundleModelInput[];
  /** count × size × size × 3 uint8, NHWC RGB. */
  images: Uint8Array;
  labels: Uint16Array;
  imageSize: number;
  classes: string[];
  /** modelId → argmax per image on the desktop. */
  desktopPredictions: Record<string, ArrayLike<number>>;
  benchmark: BenchmarkSettings;
  desktop: DeviceDescription & { backend: string };
}

/** A decoded, validated bundle. */
export interface DecodedBundle {
  manifest: BundleManifest;
  models: { entry: BundleModelEntry; json: Uint8Array; weights: Uint8Array; tflite?: Uint8Array }[];
  images: Uint8Array;
  labels: Uint16Array;
  desktopPredictions: Record<string, Int16Array>;
}

/** The latency statistics of a run, without the backend/batch bookkeeping of measureLatency's result. */
export type LatencySummary = Omit<LatencyResult, 'backend' | 'batch'>;

/** One model on one backend. */
export interface ModelRunResult {
  latency: LatencySummary;
  /** Top-1 on the bundled images. */
  top1: number;
  /** Fraction of images whose argmax equals the desktop's. */
  agreement: number;
  /** Set when agreement < 0.99. */
  flag?: string;
}

export interface RunError {
  error: string;
}

/** A backend either failed as a whole (could not be switched to) or ran each model. */
export type BackendRun = RunError | { models: Record<string, ModelRunResult | RunError> };

export type DeviceFacts = Record<string, string | number | boolean>;

/** What a phone sends back to the desktop. */
export interface DeployResults {
  format: typeof RESULTS_FORMAT;
  version: number;
  bundleId: string;
  bundleCreatedAt: number;
  /** The bundle's models (ids match the desktop's stored models). */
  models: { id: string; name: string; role: BundleRole }[];
  images: number;
  benchmark: BenchmarkSettings;
  /** Short label for the device column, e.g. "iPhone · iOS 17.4 · Safari 17". */
  deviceLabel: string;
  /** describeDevice() plus what the caller passed (GPU adapter info, client hints). */
  device: DeviceFacts;
  /** The page was hidden at some point during the run (timings then are not trustworthy). */
  hiddenDuringRun: boolean;
  startedAt: number;
  finishedAt: number;
  backends: Record<string, BackendRun>;
}

/** Stored under ModelInfo.measures.devices[deviceLabel][backend]. */
export interface DeviceLatencyRecord extends LatencyRecord {
  top1?: number;
  agreement?: number;
  hiddenDuringRun?: boolean;
}

// ---- worker feature option/result types (for src/api/types.ts) ----

export interface ExportBundleOptions {
  /** Test images to bundle (default 300). */
  images?: number;
  warmup?: number;
  runs?: number;
  minTimeMs?: number;
}

export interface RunBundleOptions {
  /** Default: webgpu, webgl, wasm (those not known to be unavailable). */
  backends?: string[];
  warmup?: number;
  runs?: number;
  minTimeMs?: number;
  /** Extra device facts from the page (GPU adapter info, client hints, a user-given `label`). */
  device?: Record<string, string>;
  /** Polled during the run: is the page hidden? (a Comlink proxy may return a promise). */
  hidden?: () => boolean | Promise<boolean>;
}

export interface ImportResultsSummary {
  deviceLabel: string;
  /** Local models whose measures.devices got the new column. */
  models: string[];
  /** Bundle model ids not found locally. */
  missing: string[];
}
