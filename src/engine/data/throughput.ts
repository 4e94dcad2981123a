/** Input-pipeline throughput measurement for the benchmark page (consumes and disposes batches). */
import { batches } from './pipeline';
import type { BatchOptions } from './pipeline';
import type { SplitData } from './types';

export interface PipelineThroughput {
  imagesPerSecond: number;
  images: number;
  batches: number;
  ms: number;
}

export async function measurePipeline(
  split: SplitData,
  imageSize: number,
  opts: BatchOptions,
  maxBatches = 50,
): Promise<PipelineThroughput> {
  const t0 = performance.now();
  let images = 0;
  let count = 0;
  for await (const b of batches(split, imageSize, opts)) {
    b.xs.dispose();
    b.ys.dispose();
    images += b.size;
    if (++count >= maxBatches) break;
  }
  const ms = performance.now() - t0;
  return { imagesPerSecond: ms > 0 ? (images * 1000) / ms : 0, images, batches: count, ms };
}
