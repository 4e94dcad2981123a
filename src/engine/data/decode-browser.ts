/**
 * ImageDecoder for the app's worker: createImageBitmap + OffscreenCanvas (worker globals, no DOM).
 * Not used in Node; tests inject a pngjs-based decoder instead.
 */
import type { ImageDecoder } from './custom';

export function createBrowserImageDecoder(): ImageDecoder {
  return async (bytes, mime) => {
    const bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mime }));
    try {
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      if (!ctx) throw new Error('no 2d context on OffscreenCanvas');
      ctx.drawImage(bitmap, 0, 0);
      const { data, width, height } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
      return { width, height, data };
    } finally {
      bitmap.close();
    }
  };
}
