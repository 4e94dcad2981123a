/**
 * The .tflite export job: tfjs LayersModel → IR (lower.ts) → folded/fused IR (fuse.ts) → flatbuffer (tflite.ts),
 * with the studio's metadata (class names, input convention, lineage) in the file.
 */
import type * as tf from '@tensorflow/tfjs';
import { getStudioMeta } from '../models/metadata';
import { fuseGraph } from './fuse';
import type { FuseReport } from './fuse';
import { weightCount } from './ir';
import type { IrGraph } from './ir';
import { lowerModel } from './lower';
import { writeTflite } from './tflite';
import type { WeightMode } from './tflite';

export const INPUT_CONVENTION = 'raw 0-255 RGB, float32, NHWC [1, H, W, 3]; normalisation is inside the graph';

export interface ExportSummary {
  format: 'tflite' | 'onnx';
  weights: WeightMode | 'float32';
  bytes: number;
  ops: Record<string, number>;
  weightCount: number;
  fuse: FuseReport;
  inputShape: number[];
  outputShape: number[];
}

/** Lowered and fused IR of a model, plus its studio metadata. */
export function prepareGraph(model: tf.LayersModel, format: string): { graph: IrGraph; fuse: FuseReport; meta: ReturnType<typeof getStudioMeta> } {
  const meta = getStudioMeta(model);
  const lowered = lowerModel(model, { input: meta.input, format });
  const { graph, report } = fuseGraph(lowered);
  return { graph, fuse: report, meta };
}

export function opHistogram(g: IrGraph): Record<string, number> {
  const h: Record<string, number> = {};
  for (const op of g.ops) h[op.kind] = (h[op.kind] ?? 0) + 1;
  return h;
}

/** The metadata JSON both writers embed. */
export function exportMetadata(meta: ReturnType<typeof getStudioMeta>, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    format: 'pruning-studio-export',
    version: 1,
    arch: meta.arch,
    classes: meta.classes,
    input: { convention: INPUT_CONVENTION, layout: 'NHWC', dtype: 'float32', range: [0, 255], channels: 'RGB' },
    output: { name: 'logits', activation: 'as the source model (logits for zoo and akamaster models)' },
    lineage: meta.lineage ?? [],
    ...extra,
  };
}

export function exportTfliteModel(model: tf.LayersModel, opts: { weights: WeightMode; name?: string; studioVersion?: string }): { bytes: Uint8Array; summary: ExportSummary } {
  const { graph, fuse, meta } = prepareGraph(model, '.tflite');
  const bytes = writeTflite(graph, {
    weights: opts.weights,
    description: `Pruning Studio export of ${opts.name ?? model.name} (${meta.arch}); input ${INPUT_CONVENTION}`,
    metadata: exportMetadata(meta, { name: opts.name ?? model.name, weights: opts.weights, studioVersion: opts.studioVersion }),
  });
  return {
    bytes,
    summary: {
      format: 'tflite', weights: opts.weights, bytes: bytes.length, ops: opHistogram(graph), weightCount: weightCount(graph), fuse,
      inputShape: graph.tensors[graph.input]!.shape, outputShape: graph.tensors[graph.output]!.shape,
    },
  };
}
