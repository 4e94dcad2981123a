/**
 * Streaming gzip decompression of a byte source (ReadableStream or Blob/File-like) into a synchronous
 * chunk consumer, with progress by compressed bytes read, cancellation, and errors mapped to
 * StudioError('corrupt-archive') naming the archive. Uses the platform DecompressionStream when
 * present (fast, native), otherwise fflate's streaming Gunzip with our own CRC32/ISIZE trailer check.
 */
import { Gunzip } from 'fflate';
import { StudioError, isStudioError, throwIfAborted } from '../errors';
import { progressReporter, nextTick } from '../progress';
import type { JobOptions } from '../progress';
import { crc32 } from '../storage/crc32';

/** Anything with a byte stream, a size and a name: a File, a Blob wrapper, `fs.openAsBlob` + name. */
export interface BlobLike {
  stream(): ReadableStream<Uint8Array>;
  size: number;
  name: string;
}

export type ByteSource = ReadableStream<Uint8Array> | BlobLike;

export interface StreamReadOptions extends JobOptions {
  /** Name used in messages (defaults to the BlobLike's name, else 'archive'). */
  name?: string;
  /** Compressed size for progress when the source is a bare ReadableStream. */
  totalBytes?: number;
  /** 'auto' (default): DecompressionStream when the platform has it, else fflate. */
  decompressor?: 'auto' | 'native' | 'fflate';
  /** Progress phase name (default 'decompress'). */
  phase?: string;
}

export interface StreamReadResult {
  compressedBytes: number;
  bytes: number;
}

function isBlobLike(s: ByteSource): s is BlobLike {
  return typeof (s as BlobLike).stream === 'function' && typeof (s as ReadableStream).getReader !== 'function';
}

export function sourceName(s: ByteSource, fallback = 'archive'): string {
  return isBlobLike(s) ? s.name || fallback : fallback;
}

export function sourceStream(s: ByteSource): ReadableStream<Uint8Array> {
  return isBlobLike(s) ? s.stream() : s;
}

export function sourceSize(s: ByteSource): number | undefined {
  return isBlobLike(s) ? s.size : undefined;
}

function corrupt(name: string, why: string): StudioError {
  return new StudioError(
    'corrupt-archive',
    `"${name}" is not a valid gzip archive (${why}). Download it again or pick the right file.`,
    { file: name },
  );
}

function describeInflateError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/unexpected (EOF|end)/i.test(msg) || /premature|truncat/i.test(msg)) return 'truncated: it ends before the compressed data does';
  return `corrupt data: ${msg}`;
}

/**
 * Reads `source`, gunzips it and hands every decompressed chunk to `onChunk` (synchronously, in order).
 * Errors thrown by `onChunk` propagate unchanged; decompression errors become 'corrupt-archive'.
 */
export async function gunzipSource(
  source: ByteSource,
  onChunk: (chunk: Uint8Array) => void,
  opts: StreamReadOptions = {},
): Promise<StreamReadResult> {
  const name = opts.name ?? sourceName(source);
  const total = opts.totalBytes ?? sourceSize(source);
  const report = progressReporter(opts.onProgress);
  const phase = opts.phase ?? 'decompress';
  const mode = opts.decompressor ?? 'auto';
  const hasNative = typeof (globalThis as { DecompressionStream?: unknown }).DecompressionStream === 'function';
  const useNative = mode === 'native' || (mode === 'auto' && hasNative);
  if (mode === 'native' && !hasNative) throw new StudioError('backend-unavailable', 'DecompressionStream is not available here.');
  throwIfAborted(opts.signal);
  report(phase, 0, `reading ${name}`);
  // A consumer error (bad record, bad label…) may just be garbage from a damaged stream: keep
  // decompressing (without consuming) so a corrupt archive is reported as such, not as bad data.
  let sinkError: unknown = null;
  const guarded = (chunk: Uint8Array): void => {
    if (sinkError !== null) return;
    try {
      onChunk(chunk);
    } catch (e) {
      if (!isStudioError(e) || e.code === 'cancelled') throw e;
      sinkError = e;
    }
  };
  const onCompressed = (c: number): void => {
    if (total && sinkError === null) report(phase, c / total, `reading ${name}`);
  };
  const res = useNative
    ? await gunzipNative(source, name, guarded, opts, onCompressed)
    : await gunzipFflate(source, name, guarded, opts, onCompressed);
  if (sinkError !== null) throw sinkError;
  report(phase, 1, `read ${name}`);
  return res;
}

/** Yields to the event loop at most every ~30 ms so abort messages get through. */
function yielder(): () => Promise<void> {
  let last = performance.now();
  return async () => {
    const t = performance.now();
    if (t - last > 30) {
      last = t;
      await nextTick();
    }
  };
}

/** Keeps the last 8 compressed bytes seen: the gzip trailer (CRC32, ISIZE = uncompressed size mod 2^32). */
function gzipTrailer() {
  const tail = new Uint8Array(8);
  let len = 0;
  return {
    push(value: Uint8Array): void {
      if (value.length >= 8) {
        tail.set(value.subarray(value.length - 8));
        len = 8;
      } else {
        const keep = Math.min(len, 8 - value.length);
        tail.copyWithin(0, len - keep, len);
        tail.set(value, keep);
        len = keep + value.length;
      }
    },
    read(): { crc: number; size: number } | null {
      if (len < 8) return null;
      const dv = new DataView(tail.buffer);
      return { crc: dv.getUint32(0, true), size: dv.getUint32(4, true) };
    },
  };
}

async function gunzipFflate(
  source: ByteSource,
  name: string,
  onChunk: (chunk: Uint8Array) => void,
  opts: StreamReadOptions,
  onCompressed: (n: number) => void,
): Promise<StreamReadResult> {
  const reader = sourceStream(source).getReader();
  let compressed = 0;
  let out = 0;
  let crc = 0;
  let members = 0;
  const trailer = gzipTrailer();
  const gz = new Gunzip((chunk) => {
    out += chunk.length;
    crc = crc32(chunk, crc);
    onChunk(chunk);
  });
  gz.onmember = () => {
    members++;
  };
  const push = (chunk: Uint8Array, final: boolean) => {
    try {
      gz.push(chunk, final);
    } catch (e) {
      if (isStudioError(e)) throw e;
      throw corrupt(name, describeInflateError(e));
    }
  };
  const pause = yielder();
  try {
    for (;;) {
      throwIfAborted(opts.signal);
      const { value, done } = await reader.read();
      if (done) break;
      if (!value || value.length === 0) continue;
      compressed += value.length;
      trailer.push(value);
      push(value, false);
      onCompressed(compressed);
      await pause();
    }
    if (compressed === 0) throw corrupt(name, 'the file is empty');
    push(new Uint8Array(0), true);
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    throw e;
  }
  const t = trailer.read();
  if (members <= 1 && t && (t.crc !== crc >>> 0 || t.size !== out >>> 0)) throw corrupt(name, 'checksum mismatch: the data is damaged or truncated');
  return { compressedBytes: compressed, bytes: out };
}

async function gunzipNative(
  source: ByteSource,
  name: string,
  onChunk: (chunk: Uint8Array) => void,
  opts: StreamReadOptions,
  onCompressed: (n: number) => void,
): Promise<StreamReadResult> {
  const input = sourceStream(source).getReader();
  const ds = new DecompressionStream('gzip');
  const writer = ds.writable.getWriter();
  const output = ds.readable.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  let compressed = 0;
  let out = 0;
  let stop = false;
  const trailer = gzipTrailer();
  // Feed compressed bytes in the background; errors surface through the output reader.
  const pump = (async () => {
    try {
      for (;;) {
        if (stop) return;
        const { value, done } = await input.read();
        if (done) break;
        if (!value || value.length === 0) continue;
        compressed += value.length;
        trailer.push(value);
        await writer.write(value as Uint8Array<ArrayBuffer>);
        onCompressed(compressed);
      }
      if (compressed === 0) throw corrupt(name, 'the file is empty');
      await writer.close();
    } catch (e) {
      await input.cancel().catch(() => undefined);
      await writer.abort(e).catch(() => undefined);
      throw e;
    }
  })();
  pump.catch(() => undefined);
  const pause = yielder();
  try {
    for (;;) {
      throwIfAborted(opts.signal);
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await output.read();
      } catch (e) {
        const pe = await pump.then(() => undefined, (x: unknown) => x);
        if (isStudioError(pe)) throw pe;
        throw corrupt(name, describeInflateError(e));
      }
      if (r.done) break;
      out += r.value.length;
      onChunk(r.value);
      await pause();
    }
    await pump;
    // Chromium's DecompressionStream can end quietly on a truncated stream: the trailer's size record must match.
    const t = trailer.read();
    if (t && t.size !== out >>> 0) {
      throw corrupt(name, 'the archive is truncated or damaged (its size record does not match the data; a multi-member gzip is not supported either)');
    }
  } catch (e) {
    stop = true;
    await output.cancel().catch(() => undefined);
    await input.cancel().catch(() => undefined);
    throw isStudioError(e) ? e : corrupt(name, describeInflateError(e));
  }
  return { compressedBytes: compressed, bytes: out };
}

/** Reads an uncompressed source chunk by chunk (for extracted .bin files), with progress and abort. */
export async function readSource(
  source: ByteSource,
  onChunk: (chunk: Uint8Array) => void,
  opts: JobOptions & { onBytes?: (n: number) => void } = {},
): Promise<number> {
  const reader = sourceStream(source).getReader();
  let n = 0;
  const pause = yielder();
  try {
    for (;;) {
      throwIfAborted(opts.signal);
      const { value, done } = await reader.read();
      if (done) break;
      if (!value) continue;
      n += value.length;
      onChunk(value);
      opts.onBytes?.(n);
      await pause();
    }
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    throw e;
  }
  return n;
}

/** True when `head` starts with the gzip signature 1f 8b. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * Reads the first bytes of `source` and returns them with a stream that still yields the whole source (the peeked
 * chunk first), so the caller can choose a decoder by magic bytes without reading anything twice.
 */
export async function peekSource(source: ByteSource, want = 4): Promise<{ head: Uint8Array; stream: ReadableStream<Uint8Array> }> {
  const reader = sourceStream(source).getReader();
  const seen: Uint8Array[] = [];
  let n = 0;
  let done = false;
  while (n < want) {
    const r = await reader.read();
    if (r.done) {
      done = true;
      break;
    }
    if (r.value && r.value.length > 0) {
      seen.push(r.value);
      n += r.value.length;
    }
  }
  const head = new Uint8Array(n);
  let o = 0;
  for (const c of seen) {
    head.set(c, o);
    o += c.length;
  }
  let replayed = false;
  const stream = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      if (!replayed) {
        replayed = true;
        if (head.length > 0) {
          ctl.enqueue(head);
          return;
        }
      }
      if (done) return ctl.close();
      const r = await reader.read();
      if (r.done) ctl.close();
      else if (r.value) ctl.enqueue(r.value);
    },
    cancel: (why) => reader.cancel(why),
  });
  return { head: head.subarray(0, Math.min(want, head.length)), stream };
}

/**
 * Hands the decompressed bytes of `source` to `onChunk`: gunzipped when it starts with the gzip signature, as is
 * otherwise (an uncompressed .tar), whatever its name says. Returns which it was.
 */
export async function readMaybeGzip(
  source: ByteSource,
  onChunk: (chunk: Uint8Array) => void,
  opts: StreamReadOptions & { onDetect?: (gzip: boolean, head: Uint8Array) => void } = {},
): Promise<StreamReadResult & { gzip: boolean }> {
  const name = opts.name ?? sourceName(source);
  const total = opts.totalBytes ?? sourceSize(source);
  const { head, stream } = await peekSource(source);
  opts.onDetect?.(isGzip(head), head);
  if (isGzip(head)) return { ...(await gunzipSource(stream, onChunk, { ...opts, name, ...(total !== undefined ? { totalBytes: total } : {}) })), gzip: true };
  const report = progressReporter(opts.onProgress);
  const phase = opts.phase ?? 'decompress';
  report(phase, 0, `reading ${name}`);
  const n = await readSource(stream, onChunk, { signal: opts.signal, onBytes: (b) => { if (total) report(phase, b / total, `reading ${name}`); } });
  report(phase, 1, `read ${name}`);
  return { compressedBytes: n, bytes: n, gzip: false };
}
