/** Shared shapes of the importance criteria: a batch of captured feature maps and a per-channel statistic. */

/**
 * One capture's output for a batch, dataSync'd: NHWC (or N×C for dense outputs, h = w = 1),
 * `c` channels in total; the statistic reads channels [offset, offset + channels).
 */
export interface MapBatch {
  data: Float32Array;
  n: number;
  h: number;
  w: number;
  c: number;
  offset: number;
  channels: number;
}

/** A summing statistic's state over some images: what a pool worker sends back (see ../stat-pool.ts). */
export interface StatPartial {
  /** Per-channel sums over the images. */
  sum: Float64Array;
  images: number;
  /** HRank: every map seen was full rank. */
  allFullRank?: boolean;
}

/** Streaming per-channel statistic over batches of feature maps; higher = more important. */
export interface MapStatistic {
  add(batch: MapBatch): void;
  /** Summing statistics: the state so far, and folding in a state computed elsewhere. */
  partial?(): StatPartial;
  merge?(p: StatPartial): void;
  /** Per-channel score, averaged over the images seen. */
  result(): Float64Array;
  /** Optional facts for warnings (e.g. zero fraction, all full rank). */
  notes?(): { zeroFraction?: number; allFullRank?: boolean };
}

/** A producer's filters along its output axis: `count` filters of `size` weights each. */
export interface Filters {
  layer: string;
  count: number;
  size: number;
  /** filter f, weight i at data[i * stride + f] (the kernel's last axis is the output axis). */
  data: Float32Array;
  stride: number;
  offset: number;
}
