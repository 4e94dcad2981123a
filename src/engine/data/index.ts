/** Public API of the datasets area: importers (CIFAR, custom folders/zip), demo data, input pipeline. */
export type { Dataset, DatasetInfo, DatasetKind, SplitData, SplitName } from './types';
export type { BlobLike, ByteSource, StreamReadOptions } from './gunzip';
export { gunzipSource } from './gunzip';
export { TarReader } from './tar';
export type { TarEntryHeader, TarEntrySink, TarEntryType } from './tar';
export { importCifarArchive, importCifarFiles, parseLabelNames } from './cifar';
export type { CifarImportOptions, CifarRecordCounts, CifarVariant } from './cifar';
export { CIFAR10_CLASSES, CIFAR100_COARSE_CLASSES, CIFAR100_FINE_CLASSES } from './cifar-names';
export { IMAGE_MIME, entriesFromZip, importCustomDataset, planCustomDataset } from './custom';
export type { CustomImportOptions, CustomPlan, DecodedImage, FileEntry, ImageDecoder, PlannedImage } from './custom';
export { resizeToSquare } from './resize';
export type { ResizeMode } from './resize';
export { DEMO_CLASSES, makeDemoDataset } from './demo';
export type { DemoOptions } from './demo';
export { CROP_PADDING, batchCount, batches, epochSeed, inputLut } from './pipeline';
export type { Batch, BatchOptions } from './pipeline';
export { measurePipeline } from './throughput';
export type { PipelineThroughput } from './throughput';
