/**
 * Minimal typed view of tfjs-backend-wasm's BackendWasm internals used by the
 * training kernels, plus helpers: heap views, conv geometry, and calling the
 * backend's own registered kernels (BatchMatMul, Conv2D, ...) from ours.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataId, DataType, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

/** Per-tensor bookkeeping kept by BackendWasm in `dataIdMap`. */
export interface WasmTensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: DataType;
  refCount: number;
}

/** The slice of BackendWasm that our kernels rely on (all public fields of the 4.22 class). */
export interface WasmBackendLike {
  dataIdMap: { get(dataId: DataId): WasmTensorData | undefined };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: DataId, force?: boolean): boolean;
  incRef(dataId: DataId): void;
}

/** Kernel arguments as tfjs passes them, with the backend narrowed to the wasm one. */
export interface WasmKernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackendLike;
  attrs: NamedAttrMap;
}

/**
 * Float32 view on a tensor's bytes in the wasm heap. The view is invalidated by
 * any later heap allocation (memory growth detaches the buffer), so take views
 * only after all allocations a kernel makes.
 */
export function f32(backend: WasmBackendLike, info: TensorInfo): Float32Array {
  if (info.dtype !== 'float32') {
    throw new Error(`wasm training kernel: expected a float32 tensor, got ${info.dtype}`);
  }
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** Runs a kernel registered for 'wasm' (e.g. the XNNPACK BatchMatMul) directly on TensorInfos. */
export function runWasmKernel(
  name: string,
  backend: WasmBackendLike,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap,
): TensorInfo {
  const config = tf.getKernel(name, 'wasm');
  if (config == null) throw new Error(`wasm kernel ${name} is not registered`);
  const out = config.kernelFunc({ inputs, backend: backend as unknown as tf.KernelBackend, attrs });
  if (Array.isArray(out)) throw new Error(`wasm kernel ${name} returned several outputs`);
  return out;
}

/**
 * out[M,N] = a[M,K] · b[K,N] through the wasm BatchMatMul kernel. Both operands
 * must be fresh, non-shared 3-D tensors [1,M,K] / [1,K,N]: with no transposes and
 * batch 1 the backend uses XNNPACK's fully-connected GEMM, which caches the packed
 * `b` by tensor id (so `b` must never be a view of a longer-lived tensor).
 */
export function gemm(backend: WasmBackendLike, a: TensorInfo, b: TensorInfo): TensorInfo {
  return runWasmKernel('BatchMatMul', backend, { a, b }, { transposeA: false, transposeB: false });
}

/** Geometry of a 2-D NHWC convolution (forward direction x -> y). */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  dilH: number;
  dilW: number;
  padTop: number;
  padLeft: number;
}

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

function pair(v: unknown, fallback: number): [number, number] {
  if (v == null) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return [a[0] ?? fallback, a[1] ?? fallback];
}

/** Computes conv geometry from kernel attrs with tfjs' own computeConv2DInfo (so padding matches exactly). */
export function convGeometry(
  inShape: readonly number[],
  filterShape: readonly number[],
  attrs: NamedAttrMap,
  depthwise: boolean,
  kernelName: string,
): ConvGeometry {
  const dataFormat = attrs['dataFormat'];
  if (dataFormat != null && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`${kernelName} on wasm supports only NHWC, got dataFormat ${String(dataFormat)}`);
  }
  if (inShape.length !== 4 || filterShape.length !== 4) {
    throw new Error(`${kernelName} on wasm needs rank-4 input and filter, got [${inShape}] and [${filterShape}]`);
  }
  const strides = pair(attrs['strides'], 1);
  const dilations = pair(attrs['dilations'], 1);
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    attrs['pad'] as Pad,
    attrs['dimRoundingMode'] as Rounding,
    depthwise,
    'channelsLast',
  );
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kH: info.filterHeight,
    kW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilH: info.dilationHeight,
    dilW: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}
