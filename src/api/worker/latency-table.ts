/**
 * Per-layer latency tables for latency-aware planning (studio.latencyTable; used by plan/prune with a latency or
 * speed-up target). A table is a measurement of one model on this device and the active backend, so it is kept in
 * the worker's memory for the session (by model id, backend and thread count), never stored.
 */
import * as tf from '@tensorflow/tfjs';
import type { DependencyGraph } from '../../engine/graph/types';
import { measureLayerLatency, type LatencyTable, type LayerLatencyOptions } from '../../engine/metrics/layer-latency';
import type { JobOptions } from '../../engine/progress';
import { getThreadsCount } from '../../engine/backends/wasm-setup';

const MAX_TABLES = 8;
const tables = new Map<string, LatencyTable>();

function keyOf(modelId: string): string {
  const b = tf.getBackend();
  return `${modelId}|${b}|${b === 'wasm' ? getThreadsCount() : ''}`;
}

/** The table measured this session for the model on the active backend, if any. */
export function cachedLatencyTable(modelId: string): LatencyTable | undefined {
  return tables.get(keyOf(modelId));
}

/** The model's latency table on the active backend: measured on first use (or with `remeasure`), then kept. */
export async function latencyTableFor(
  modelId: string, model: tf.LayersModel, graph: DependencyGraph, o: Omit<LayerLatencyOptions, keyof JobOptions | 'threads'> & { remeasure?: boolean } = {}, job: JobOptions = {},
): Promise<LatencyTable> {
  const key = keyOf(modelId);
  const have = tables.get(key);
  if (have && !o.remeasure) return have;
  const b = tf.getBackend();
  const table = await measureLayerLatency(model, graph, { rounds: o.rounds, budgetMs: o.budgetMs, ...(b === 'wasm' ? { threads: getThreadsCount() } : {}), ...job });
  tables.delete(key);
  tables.set(key, table);
  while (tables.size > MAX_TABLES) tables.delete(tables.keys().next().value!);
  return table;
}
