/**
 * Zero-copy Identity and same-dtype Cast for the wasm backend. tfjs-backend-wasm
 * 4.22 copies the whole buffer for both (makeOutput + set); a ResNet training step
 * calls Identity several hundred times on activation-sized tensors (gradient-tape
 * clones) and Cast float32→float32 in every ReLU gradient. Like the wasm Reshape
 * kernel (and the cpu backend's Identity), ours share the input's data: `incRef`
 * and return the same dataId. Tensor data is immutable in tfjs, so sharing is safe;
 * XNNPACK operator caches are keyed by the shared id, exactly as after a Reshape.
 * Strings and real dtype changes go to the backend's own kernel (wrapped, not
 * replaced, so nothing else changes).
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { WasmKernelArgs } from './wasm_backend';

export const IDENTITY = 'Identity';
export const CAST = 'Cast';

/** Kernels that share data, by name: when may the output alias the input? */
const SHARES: Record<string, (x: TensorInfo, args: WasmKernelArgs) => boolean> = {
  [IDENTITY]: (x) => x.dtype !== 'string',
  [CAST]: (x, args) => x.dtype !== 'string' && x.dtype === args.attrs['dtype'],
};

const wrappers = new WeakSet<KernelFunc>();

/** True if `fn` is one of our sharing wrappers. */
export function isSharingKernel(fn: KernelFunc): boolean {
  return wrappers.has(fn);
}

/** Names of the kernels that `sharingKernel` can wrap. */
export const SHARING_KERNELS: readonly string[] = Object.keys(SHARES);

/**
 * Wraps the backend's own `original` kernel `name` (Identity or Cast): outputs that
 * may alias the input share its data, all other calls run `original`.
 */
export function sharingKernel(name: string, original: KernelFunc): KernelFunc {
  const canShare = SHARES[name];
  if (canShare == null) throw new Error(`sharingKernel: no sharing rule for kernel ${name}`);
  const fn = ((args: WasmKernelArgs) => {
    const x = args.inputs['x']!;
    if (!canShare(x, args)) return original(args as unknown as Parameters<KernelFunc>[0]);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  }) as unknown as KernelFunc;
  wrappers.add(fn);
  return fn;
}
