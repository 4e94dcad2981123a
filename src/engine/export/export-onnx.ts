/**
 * The .onnx export job: tfjs LayersModel → IR (lower.ts) → folded/fused IR (fuse.ts) → ONNX ModelProto (onnx.ts),
 * with the studio's metadata (layout, opset, class names, input convention, lineage) in metadata_props.
 */
import type * as tf from '@tensorflow/tfjs';
import { exportMetadata, opHistogram, prepareGraph } from './export-tflite';
import type { ExportSummary } from './export-tflite';
import { weightCount } from './ir';
import { ONNX_OPSET, writeOnnx } from './onnx';
import type { OnnxLayout } from './onnx';

export function onnxInputConvention(layout: OnnxLayout): string {
  return layout === 'nhwc'
    ? 'raw 0-255 RGB, float32, NHWC [1, H, W, 3] (transposed to NCHW inside the graph); normalisation is inside the graph'
    : 'raw 0-255 RGB, float32, NCHW [1, 3, H, W]; normalisation is inside the graph';
}

export function exportOnnxModel(model: tf.LayersModel, opts: { layout: OnnxLayout; name?: string; studioVersion?: string }): { bytes: Uint8Array; summary: ExportSummary & { layout: OnnxLayout; opset: number } } {
  const { graph, fuse, meta } = prepareGraph(model, '.onnx');
  const convention = onnxInputConvention(opts.layout);
  const name = opts.name ?? model.name;
  const metadata = exportMetadata(meta, { name, weights: 'float32', studioVersion: opts.studioVersion, opset: ONNX_OPSET });
  metadata.input = { convention, layout: opts.layout.toUpperCase(), dtype: 'float32', range: [0, 255], channels: 'RGB' };
  const bytes = writeOnnx(graph, {
    layout: opts.layout,
    producerVersion: opts.studioVersion ?? '',
    docString: `Pruning Studio export of ${name} (${meta.arch}); input ${convention}; output logits`,
    metadataProps: {
      layout: opts.layout === 'nhwc' ? 'NHWC input (one Transpose to NCHW inside)' : 'NCHW input',
      opset: String(ONNX_OPSET),
      input_convention: convention,
      classes: JSON.stringify(meta.classes),
      arch: meta.arch,
    },
    metadata,
  });
  const inShape = graph.tensors[graph.input]!.shape;
  return {
    bytes,
    summary: {
      format: 'onnx', weights: 'float32', bytes: bytes.length, ops: opHistogram(graph), weightCount: weightCount(graph), fuse,
      inputShape: opts.layout === 'nhwc' ? inShape : [inShape[0]!, inShape[3]!, inShape[1]!, inShape[2]!],
      outputShape: graph.tensors[graph.output]!.shape, layout: opts.layout, opset: ONNX_OPSET,
    },
  };
}
