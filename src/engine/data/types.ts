/** In-memory dataset shapes shared by importers, the input pipeline, training, analysis and storage. */

export type DatasetKind = 'cifar10' | 'cifar100' | 'custom' | 'demo';
export type SplitName = 'train' | 'val' | 'test';

/** One split: `count` images of size×size×3, NHWC uint8 (0..255), labels 0..classes-1. */
export interface SplitData {
  count: number;
  /** count × size × size × 3 bytes, row-major NHWC, RGB. */
  images: Uint8Array;
  /** count labels. */
  labels: Uint16Array;
}

export interface DatasetInfo {
  id: string;
  name: string;
  kind: DatasetKind;
  classes: string[];
  /** Square image side in pixels. */
  imageSize: number;
  counts: { train: number; test: number; val?: number };
  /** Bytes the pixel data takes in storage. */
  bytes: number;
  createdAt: number;
  /** Free-form notes shown in the import summary (e.g. '3 non-image files skipped'). */
  notes?: string[];
  /** Images per class in each split (filled when the dataset is stored). */
  classCounts?: { train: number[]; test: number[]; val?: number[] };
  /** CIFAR-100 only: which label set the classes are. */
  labelSet?: 'fine' | 'coarse';
}

export interface Dataset {
  info: DatasetInfo;
  splits: { train: SplitData; test: SplitData; val?: SplitData };
}
