/** System calls: backends, storage, liveness. */
import * as tf from '@tensorflow/tfjs';
import { activeBackend, backendStatuses, isSoftwareAdapter, probeBackends, switchBackend } from '../../engine/backends/probe';
import type { BackendName, BackendStatus } from '../../engine/backends/types';
import { requestPersistentStorage, storageEstimate } from '../../engine/storage/artifacts';
import type { StorageInfo } from '../types';
import type { WorkerContext } from './context';

export async function backends(reprobe = false): Promise<BackendStatus[]> {
  const current = backendStatuses();
  const probed = current.some((s) => s.reason !== 'not probed yet');
  if (!probed || reprobe) return probeBackends(probed ? activeBackend() : undefined, reprobe);
  return current;
}

export async function setBackend(name: BackendName): Promise<BackendStatus[]> {
  await backends();
  return switchBackend(name);
}

export async function storage(ctx: WorkerContext): Promise<StorageInfo> {
  const est = await storageEstimate();
  return { ...est, artifactsBytes: await ctx.store.totalBytes() };
}

export const persistStorage = requestPersistentStorage;

export async function ping(): Promise<{ backend: BackendName; sum: number }> {
  const t = tf.tidy(() => tf.sum(tf.tensor1d([1, 2, 3, 4])));
  const sum = (await t.data())[0]!;
  t.dispose();
  return { backend: activeBackend(), sum };
}

export { isSoftwareAdapter };
