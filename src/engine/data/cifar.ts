/**
 * CIFAR-10 / CIFAR-100 import from the official binary tarballs (streamed: gunzip -> tar -> record
 * decoder writing straight into preallocated NHWC uint8 arrays) or from the extracted .bin files.
 *
 * CIFAR-10 record: 1 label byte + 3072 bytes (R, G, B planes of 32×32, row-major) = 3073 bytes;
 * data_batch_1..5.bin (10000 records each) = train, test_batch.bin = test, batches.meta.txt = names.
 * CIFAR-100 record: coarse label byte + fine label byte + 3072 pixel bytes = 3074 bytes;
 * train.bin (50000) and test.bin (10000), fine_label_names.txt / coarse_label_names.txt.
 */
import { StudioError, isStudioError, throwIfAborted } from '../errors';
import { progressReporter } from '../progress';
import { CIFAR10_CLASSES, CIFAR100_COARSE_CLASSES, CIFAR100_FINE_CLASSES } from './cifar-names';
import { readMaybeGzip, readSource, sourceName } from './gunzip';
import type { BlobLike, ByteSource, StreamReadOptions } from './gunzip';
import { Collector, TarReader } from './tar';
import type { TarEntrySink } from './tar';
import type { Dataset, SplitData } from './types';
import { makeDatasetId } from './ids';

export type CifarVariant = 'cifar10' | 'cifar100';

/** Records expected per file. Defaults are the official ones; tests may shrink them. */
export interface CifarRecordCounts {
  /** CIFAR-10: records in each data_batch_N.bin and in test_batch.bin (default 10000). */
  batch?: number;
  /** CIFAR-100: records in train.bin (default 50000). */
  train?: number;
  /** CIFAR-100: records in test.bin (default 10000). */
  test?: number;
}

export interface CifarImportOptions extends StreamReadOptions {
  /** CIFAR-100 only: which labels become the classes (default 'fine'). */
  labelSet?: 'fine' | 'coarse';
  /** Force the variant instead of detecting it from the file names. */
  variant?: CifarVariant;
  recordCounts?: CifarRecordCounts;
  /** Dataset id / display name (generated when absent). */
  id?: string;
  datasetName?: string;
}

const PIXELS = 3072;
const PLANE = 1024;
const SIZE = 32;

interface BinRole {
  variant: CifarVariant;
  split: 'train' | 'test';
  /** Slot (batch index) inside the split. */
  slot: number;
}

const CIFAR10_TRAIN = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
const META_FILES = ['batches.meta.txt', 'fine_label_names.txt', 'coarse_label_names.txt'];

function baseName(path: string): string {
  const parts = path.replace(/\\/g, '/').split('/').filter((p) => p !== '');
  return parts[parts.length - 1] ?? '';
}

function binRole(base: string): BinRole | null {
  const k = CIFAR10_TRAIN.indexOf(base);
  if (k >= 0) return { variant: 'cifar10', split: 'train', slot: k };
  if (base === 'test_batch.bin') return { variant: 'cifar10', split: 'test', slot: 0 };
  if (base === 'train.bin') return { variant: 'cifar100', split: 'train', slot: 0 };
  if (base === 'test.bin') return { variant: 'cifar100', split: 'test', slot: 0 };
  return null;
}

function expectedFiles(variant: CifarVariant): string[] {
  return variant === 'cifar10'
    ? [...CIFAR10_TRAIN.map((f) => `cifar-10-batches-bin/${f}`), 'cifar-10-batches-bin/test_batch.bin']
    : ['cifar-100-binary/train.bin', 'cifar-100-binary/test.bin'];
}

/** Splits a label-names file into names: one per line, trimmed, empty lines dropped. */
export function parseLabelNames(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** Streams one .bin member's records into the split arrays. */
class RecordDecoder implements TarEntrySink {
  private readonly partial: Uint8Array;
  private fill = 0;
  private index = 0;

  constructor(
    private readonly file: string,
    private readonly recSize: number,
    private readonly split: SplitData,
    private readonly first: number,
    /** Byte offset of the label used as the class (0 coarse/CIFAR-10, 1 fine). */
    private readonly labelAt: number,
    /** Max label + 1 for each label byte in the record. */
    private readonly labelLimits: number[],
    private readonly labelNames: string[],
  ) {
    this.partial = new Uint8Array(recSize);
  }

  data(chunk: Uint8Array): void {
    let i = 0;
    const rec = this.recSize;
    if (this.fill > 0) {
      const take = Math.min(rec - this.fill, chunk.length);
      this.partial.set(chunk.subarray(0, take), this.fill);
      this.fill += take;
      i = take;
      if (this.fill < rec) return;
      this.record(this.partial, 0);
      this.fill = 0;
    }
    while (chunk.length - i >= rec) {
      this.record(chunk, i);
      i += rec;
    }
    if (i < chunk.length) {
      this.partial.set(chunk.subarray(i), 0);
      this.fill = chunk.length - i;
    }
  }

  end(): void {
    if (this.fill !== 0) {
      throw new StudioError('bad-record', `${this.file}: ends with a partial ${this.fill}-byte record.`, { file: this.file });
    }
  }

  private record(b: Uint8Array, off: number): void {
    const L = this.labelLimits.length;
    for (let k = 0; k < L; k++) {
      const v = b[off + k]!;
      if (v >= this.labelLimits[k]!) {
        throw new StudioError(
          'label-out-of-range',
          `${this.file}: record ${this.index} has ${this.labelNames[k]} label ${v}, but only 0..${this.labelLimits[k]! - 1} are valid.`,
          { file: this.file, record: this.index, label: v },
        );
      }
    }
    const n = this.first + this.index;
    this.split.labels[n] = b[off + this.labelAt]!;
    const img = this.split.images;
    const src = off + L;
    let o = n * PIXELS;
    for (let p = 0; p < PLANE; p++, o += 3) {
      img[o] = b[src + p]!;
      img[o + 1] = b[src + PLANE + p]!;
      img[o + 2] = b[src + 2 * PLANE + p]!;
    }
    this.index++;
  }
}


/** Receives members (tar entries or extracted files) and assembles the dataset. */
class CifarAssembler {
  variant: CifarVariant | undefined;
  private train: SplitData | undefined;
  private test: SplitData | undefined;
  private readonly seen = new Map<string, string>();
  private readonly meta = new Map<string, string>();
  private readonly labelSet: 'fine' | 'coarse';

  constructor(
    private readonly source: string,
    private readonly opts: CifarImportOptions,
  ) {
    this.variant = opts.variant;
    this.labelSet = opts.labelSet ?? 'fine';
  }

  private counts(variant: CifarVariant): { train: number; test: number; perFile: (r: BinRole) => number } {
    const rc = this.opts.recordCounts ?? {};
    if (variant === 'cifar10') {
      const b = rc.batch ?? 10000;
      return { train: 5 * b, test: b, perFile: () => b };
    }
    const tr = rc.train ?? 50000;
    const te = rc.test ?? 10000;
    return { train: tr, test: te, perFile: (r) => (r.split === 'train' ? tr : te) };
  }

  private ensureAllocated(variant: CifarVariant): void {
    if (this.variant && this.variant !== variant) {
      throw new StudioError(
        'bad-input',
        `${this.source} mixes CIFAR-10 and CIFAR-100 files; import one dataset at a time.`,
        { file: this.source },
      );
    }
    this.variant = variant;
    if (this.train) return;
    const c = this.counts(variant);
    this.train = { count: c.train, images: new Uint8Array(c.train * PIXELS), labels: new Uint16Array(c.train) };
    this.test = { count: c.test, images: new Uint8Array(c.test * PIXELS), labels: new Uint16Array(c.test) };
  }

  /** Returns a sink for a member, or null to skip it. */
  member(path: string, size: number): TarEntrySink | null {
    const base = baseName(path);
    if (META_FILES.includes(base)) {
      return new Collector((bytes) => this.meta.set(base, new TextDecoder().decode(bytes)));
    }
    const role = binRole(base);
    if (!role) return null;
    this.ensureAllocated(role.variant);
    if (this.seen.has(base)) {
      throw new StudioError('bad-input', `${this.source} contains ${base} twice (${this.seen.get(base)} and ${path}).`, {
        file: path,
      });
    }
    this.seen.set(base, path);
    const rec = role.variant === 'cifar10' ? 3073 : 3074;
    const c = this.counts(role.variant);
    const expected = c.perFile(role);
    if (size % rec !== 0) {
      throw new StudioError(
        'bad-record',
        `${path}: ${size} bytes is not a whole number of ${rec}-byte ${role.variant === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} records (expected ${expected * rec} bytes).`,
        { file: path, size },
      );
    }
    if (size / rec !== expected) {
      throw new StudioError(
        'bad-record',
        `${path}: has ${size / rec} records (${size} bytes), expected ${expected} records of ${rec} bytes.`,
        { file: path, size, records: size / rec },
      );
    }
    const split = role.split === 'train' ? this.train! : this.test!;
    const first = role.slot * expected;
    if (role.variant === 'cifar10') return new RecordDecoder(path, rec, split, first, 0, [10], ['class']);
    return new RecordDecoder(path, rec, split, first, this.labelSet === 'fine' ? 1 : 0, [20, 100], ['coarse', 'fine']);
  }

  finish(): Dataset {
    const variant = this.variant;
    if (!variant || !this.train || !this.test) {
      throw new StudioError(
        'missing-file',
        `${this.source} contains no CIFAR data files (expected cifar-10-batches-bin/data_batch_1.bin … test_batch.bin or cifar-100-binary/train.bin and test.bin).`,
        { file: this.source },
      );
    }
    const missing = expectedFiles(variant).filter((f) => !this.seen.has(baseName(f)));
    if (missing.length > 0) {
      throw new StudioError('missing-file', `${this.source} is missing ${missing.join(', ')}.`, {
        file: this.source,
        missing,
      });
    }
    const notes: string[] = [];
    let classes: string[];
    if (variant === 'cifar10') {
      classes = this.names('batches.meta.txt', CIFAR10_CLASSES, notes);
    } else if (this.labelSet === 'fine') {
      classes = this.names('fine_label_names.txt', CIFAR100_FINE_CLASSES, notes);
    } else {
      classes = this.names('coarse_label_names.txt', CIFAR100_COARSE_CLASSES, notes);
    }
    const bytes = this.train.images.length + this.test.images.length + 2 * (this.train.count + this.test.count);
    const title = variant === 'cifar10' ? 'CIFAR-10' : `CIFAR-100 (${this.labelSet})`;
    return {
      info: {
        id: this.opts.id ?? makeDatasetId(variant),
        name: this.opts.datasetName ?? title,
        kind: variant,
        classes,
        imageSize: SIZE,
        counts: { train: this.train.count, test: this.test.count },
        bytes,
        createdAt: Date.now(),
        ...(notes.length ? { notes } : {}),
        ...(variant === 'cifar100' ? { labelSet: this.labelSet } : {}),
      },
      splits: { train: this.train, test: this.test },
    };
  }

  private names(file: string, fallback: string[], notes: string[]): string[] {
    const text = this.meta.get(file);
    if (text === undefined) {
      notes.push(`${file} not found: using the standard class names.`);
      return fallback.slice();
    }
    const names = parseLabelNames(text);
    if (names.length < fallback.length) {
      throw new StudioError(
        'bad-record',
        `${file} lists ${names.length} class names, expected ${fallback.length}.`,
        { file, size: names.length },
      );
    }
    return names.slice(0, fallback.length);
  }
}

/**
 * Imports an official CIFAR binary tarball (cifar-10-binary.tar.gz / cifar-100-binary.tar.gz),
 * streaming it: memory holds the output arrays plus one chunk at a time.
 */
export async function importCifarArchive(source: ByteSource, opts: CifarImportOptions = {}): Promise<Dataset> {
  const name = opts.name ?? sourceName(source);
  const asm = new CifarAssembler(name, opts);
  const tar = new TarReader((h) => (h.type === 'file' ? asm.member(h.name, h.size) : null), name);
  // Gzip or not is decided by the first bytes, not the name: an uncompressed .tar (or a .tar.gz a browser already
  // decompressed) reads the same.
  let plain: Uint8Array | null = null;
  try {
    await readMaybeGzip(source, (chunk) => tar.push(chunk), { ...opts, name, phase: opts.phase ?? 'import', onDetect: (gz, head) => { plain = gz ? null : head; } });
    tar.finish();
  } catch (e) {
    const head = plain as Uint8Array | null;
    if (head !== null && isStudioError(e) && e.code === 'corrupt-archive' && tar.entryCount() === 0) {
      const hex = Array.from(head, (x: number) => x.toString(16).padStart(2, '0')).join(' ');
      throw new StudioError('corrupt-archive', `"${name}" is neither a gzip-compressed nor a plain tar archive (it starts with bytes ${hex || 'nothing: it is empty'}). Download it again or pick the right file.`, { file: name });
    }
    throw e;
  }
  throwIfAborted(opts.signal);
  return asm.finish();
}

/**
 * Imports extracted CIFAR .bin files (plus optional batches.meta.txt / *_label_names.txt), e.g. the
 * files of a picked folder. Other files are ignored.
 */
export async function importCifarFiles(files: BlobLike[], opts: CifarImportOptions = {}): Promise<Dataset> {
  const label = opts.name ?? (files.length === 1 ? files[0]!.name : `${files.length} selected files`);
  const asm = new CifarAssembler(label, opts);
  const relevant = files.filter((f) => META_FILES.includes(baseName(f.name)) || binRole(baseName(f.name)) !== null);
  const total = relevant.reduce((a, f) => a + f.size, 0) || 1;
  const report = progressReporter(opts.onProgress);
  const phase = opts.phase ?? 'import';
  report(phase, 0, `reading ${label}`);
  let done = 0;
  for (const f of relevant) {
    throwIfAborted(opts.signal);
    const sink = asm.member(f.name, f.size);
    if (!sink) continue;
    const base = done;
    const n = await readSource(f, (c) => sink.data(c), {
      signal: opts.signal,
      onBytes: (b) => report(phase, (base + b) / total, `reading ${f.name}`),
    });
    if (n !== f.size) {
      throw new StudioError('bad-record', `${f.name}: read ${n} bytes but the file reports ${f.size}.`, {
        file: f.name,
        size: n,
      });
    }
    sink.end();
    done += f.size;
  }
  const ds = asm.finish();
  report(phase, 1, `imported ${label}`);
  return ds;
}
