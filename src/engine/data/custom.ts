/**
 * Custom image-folder datasets: `class/img.png` or `train|val|test/class/img.png` (an optional single
 * wrapper folder is stripped), from a folder pick, drag and drop or a .zip. Images are decoded by an
 * injected ImageDecoder (the worker's createImageBitmap + OffscreenCanvas; pngjs in tests), resized to
 * a square RGB uint8 tile and written into preallocated split arrays. Without split folders the split
 * is seeded and stratified per class.
 */
import { Unzip, UnzipInflate, unzipSync } from 'fflate';
import { peekSource, sourceName, type ByteSource } from './gunzip';
import { StudioError, isStudioError, throwIfAborted } from '../errors';
import { nextTick, progressReporter } from '../progress';
import type { JobOptions } from '../progress';
import { seededPermutation } from '../random';
import { makeDatasetId } from './ids';
import { resizeToSquare } from './resize';
import type { ResizeMode } from './resize';
import type { Dataset, SplitData, SplitName } from './types';

/** One file of a picked folder, a drop or a zip. `path` uses '/' or '\\' separators. */
export interface FileEntry {
  path: string;
  bytes(): Promise<Uint8Array>;
}

export interface DecodedImage {
  width: number;
  height: number;
  /** width × height × 4 RGBA bytes, not premultiplied. */
  data: Uint8ClampedArray;
}

export type ImageDecoder = (bytes: Uint8Array, mime: string) => Promise<DecodedImage>;

export interface CustomImportOptions extends JobOptions {
  decoder: ImageDecoder;
  /** Square output side, 32..224 (default 32). */
  imageSize?: number;
  /** default 'center-crop' */
  resizeMode?: ResizeMode;
  /** Fraction of each class held out for test when there are no split folders (default 0.2). */
  testFraction?: number;
  /** Fraction of each class held out for validation when there is no val folder (default 0). */
  valFraction?: number;
  seed?: number;
  /** Images decoded at once (default 4). */
  concurrency?: number;
  id?: string;
  name?: string;
}

export const IMAGE_MIME: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  bmp: 'image/bmp',
  gif: 'image/gif',
};

const SPLIT_FOLDERS: Record<string, SplitName> = {
  train: 'train',
  training: 'train',
  val: 'val',
  valid: 'val',
  validation: 'val',
  test: 'test',
  testing: 'test',
};

export interface PlannedImage {
  entry: FileEntry;
  path: string;
  split: SplitName;
  label: number;
}

/** What an import will do, computed from paths only (cheap: usable for a preview before decoding). */
export interface CustomPlan {
  classes: string[];
  /** Items per split in output order (class, then path). */
  splits: Record<SplitName, PlannedImage[]>;
  splitFolders: boolean;
  notes: string[];
}

function extOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Decides classes and the split of every image from the paths alone. */
export function planCustomDataset(
  entries: FileEntry[],
  opts: Pick<CustomImportOptions, 'testFraction' | 'valFraction' | 'seed'> = {},
): CustomPlan {
  const testFraction = opts.testFraction ?? 0.2;
  const valFraction = opts.valFraction ?? 0;
  const seed = opts.seed ?? 1;
  if (!(testFraction >= 0 && valFraction >= 0 && testFraction + valFraction < 1)) {
    throw new StudioError('bad-input', `testFraction (${testFraction}) + valFraction (${valFraction}) must be in [0, 1).`);
  }
  const notes: string[] = [];
  let hidden = 0;
  let nonImage = 0;
  type F = { entry: FileEntry; segs: string[]; image: boolean };
  const files: F[] = [];
  for (const entry of entries) {
    const segs = entry.path.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.');
    if (segs.length === 0) continue;
    if (segs.some((s) => s.startsWith('.') || s === '__MACOSX' || s === 'Thumbs.db' || s === 'desktop.ini')) {
      hidden++;
      continue;
    }
    const image = IMAGE_MIME[extOf(segs[segs.length - 1]!)] !== undefined;
    if (!image) nonImage++;
    files.push({ entry, segs, image });
  }
  const images = files.filter((f) => f.image);
  if (images.length === 0) {
    throw new StudioError(
      'bad-input',
      `No classes found: none of the ${plural(entries.length, 'file')} is an image (.png .jpg .jpeg .webp .bmp .gif) in a class folder.`,
    );
  }
  // Strip a single wrapper folder shared by every image (e.g. 'flowers/roses/1.jpg').
  let strip = 0;
  for (;;) {
    const first = images[0]!.segs[strip];
    if (first === undefined || SPLIT_FOLDERS[first.toLowerCase()] !== undefined) break;
    if (!images.every((f) => f.segs.length >= strip + 3 && f.segs[strip] === first)) break;
    strip++;
  }
  const rel = (f: F): string[] | null => {
    for (let i = 0; i < strip; i++) if (f.segs[i] !== images[0]!.segs[i]) return null;
    return f.segs.slice(strip);
  };
  const splitFolders = images.every((f) => {
    const r = rel(f)!;
    return r.length >= 3 && SPLIT_FOLDERS[r[0]!.toLowerCase()] !== undefined;
  });
  // Collect class folders (also from non-image files, to detect empty classes) and images per split/class.
  const classSet = new Set<string>();
  const byKey = new Map<string, { path: string; entry: FileEntry }[]>(); // `${split}\n${class}`
  let loose = 0;
  for (const f of files) {
    const r = rel(f);
    if (!r) continue;
    let split: SplitName = 'train';
    let cls: string | undefined;
    if (splitFolders) {
      const s = SPLIT_FOLDERS[r[0]!.toLowerCase()];
      if (s === undefined || r.length < 3) {
        if (f.image) loose++;
        continue;
      }
      split = s;
      cls = r[1];
    } else {
      if (r.length < 2) {
        if (f.image) loose++;
        continue;
      }
      cls = r[0];
    }
    classSet.add(cls!);
    if (!f.image) continue;
    const key = `${split}\n${cls}`;
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push({ path: f.segs.join('/'), entry: f.entry });
  }
  const classes = [...classSet].sort(cmp);
  if (classes.length < 2) {
    throw new StudioError(
      'bad-input',
      classes.length === 0
        ? 'No classes found: put the images in one folder per class (class/image.png or train/class/image.png).'
        : `Only one class found ("${classes[0]}"): a classifier needs at least two class folders.`,
    );
  }
  for (const c of classes) {
    if (!byKey.get(`train\n${c}`)?.length) {
      throw new StudioError(
        'empty-class',
        splitFolders ? `Class "${c}" has no images in the train folder.` : `Class folder "${c}" contains no images.`,
        { className: c },
      );
    }
  }
  const splits: Record<SplitName, PlannedImage[]> = { train: [], val: [], test: [] };
  const hasTest = splitFolders && classes.some((c) => byKey.has(`test\n${c}`));
  const hasVal = splitFolders && classes.some((c) => byKey.has(`val\n${c}`));
  classes.forEach((c, label) => {
    const train = byKey.get(`train\n${c}`)!.sort((a, b) => cmp(a.path, b.path));
    const n = train.length;
    const carveTest = hasTest ? 0 : testFraction;
    const carveVal = hasVal ? 0 : valFraction;
    let nTest = Math.round(n * carveTest);
    let nVal = Math.round(n * carveVal);
    if (carveTest > 0 && nTest === 0 && n >= 3) nTest = 1;
    if (carveVal > 0 && nVal === 0 && n >= 3) nVal = 1;
    while (n - nTest - nVal < 1 && nVal > 0) nVal--;
    while (n - nTest - nVal < 1 && nTest > 0) nTest--;
    const perm = seededPermutation(n, (seed * 1_000_003 + label * 7919) >>> 0);
    const role = new Array<SplitName>(n).fill('train');
    for (let i = 0; i < nTest; i++) role[perm[i]!] = 'test';
    for (let i = nTest; i < nTest + nVal; i++) role[perm[i]!] = 'val';
    train.forEach((it, i) => splits[role[i]!].push({ entry: it.entry, path: it.path, split: role[i]!, label }));
    for (const s of ['val', 'test'] as const) {
      const list = byKey.get(`${s}\n${c}`);
      if (!list) continue;
      list.sort((a, b) => cmp(a.path, b.path));
      for (const it of list) splits[s].push({ entry: it.entry, path: it.path, split: s, label });
    }
  });
  if (nonImage > 0) notes.push(`${plural(nonImage, 'non-image file')} skipped.`);
  if (hidden > 0) notes.push(`${plural(hidden, 'hidden/system file')} ignored.`);
  if (loose > 0) notes.push(`${plural(loose, 'image')} outside class folders skipped.`);
  if (splitFolders) {
    notes.push(`Split from folders${hasTest ? '' : `; test carved from train (${Math.round(testFraction * 100)}%, seed ${seed})`}${!hasVal && valFraction > 0 ? `; val carved from train (${Math.round(valFraction * 100)}%)` : ''}.`);
  } else {
    notes.push(
      `Seeded stratified split (seed ${seed}): test ${Math.round(testFraction * 100)}%${valFraction > 0 ? `, val ${Math.round(valFraction * 100)}%` : ''} of each class.`,
    );
  }
  return { classes, splits, splitFolders, notes };
}

/** Imports a custom image-folder dataset (see module doc). */
export async function importCustomDataset(entries: FileEntry[], opts: CustomImportOptions): Promise<Dataset> {
  const size = opts.imageSize ?? 32;
  if (!Number.isInteger(size) || size < 32 || size > 224) {
    throw new StudioError('bad-input', `Image size ${size} is not supported: choose an integer from 32 to 224.`);
  }
  const mode = opts.resizeMode ?? 'center-crop';
  throwIfAborted(opts.signal);
  const plan = planCustomDataset(entries, opts);
  const report = progressReporter(opts.onProgress);
  const tile = size * size * 3;
  const make = (n: number): SplitData => ({ count: n, images: new Uint8Array(n * tile), labels: new Uint16Array(n) });
  const out: Record<SplitName, SplitData> = {
    train: make(plan.splits.train.length),
    val: make(plan.splits.val.length),
    test: make(plan.splits.test.length),
  };
  const jobs: { item: PlannedImage; index: number }[] = [];
  for (const s of ['train', 'val', 'test'] as const) plan.splits[s].forEach((item, index) => jobs.push({ item, index }));
  const total = jobs.length;
  let next = 0;
  let done = 0;
  let failed = false;
  report('decode', 0, `decoding ${total} images`);
  const worker = async (): Promise<void> => {
    while (!failed && next < total) {
      throwIfAborted(opts.signal);
      const { item, index } = jobs[next++]!;
      const mime = IMAGE_MIME[extOf(item.path)]!;
      let img: DecodedImage;
      try {
        img = await opts.decoder(await item.entry.bytes(), mime);
        if (!(img.width > 0 && img.height > 0) || img.data.length !== img.width * img.height * 4) {
          throw new Error(`decoder returned ${img.width}×${img.height} with ${img.data.length} bytes`);
        }
      } catch (e) {
        if (isStudioError(e) && e.code === 'cancelled') throw e;
        const why = e instanceof Error ? e.message : String(e);
        throw new StudioError('undecodable-image', `Could not decode image "${item.path}" (${why}). Remove or replace it.`, {
          path: item.path,
        });
      }
      const split = out[item.split];
      resizeToSquare(img.data, img.width, img.height, size, mode, split.images, index * tile);
      split.labels[index] = item.label;
      done++;
      report('decode', done / total, `${done}/${total} images`);
      if (done % 16 === 0) await nextTick();
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency ?? 4, total));
  try {
    await Promise.all(Array.from({ length: n }, () => worker()));
  } catch (e) {
    failed = true;
    throw e;
  }
  throwIfAborted(opts.signal);
  report('decode', 1, `${total} images`);
  const counts: Dataset['info']['counts'] = { train: out.train.count, test: out.test.count };
  if (out.val.count > 0) counts.val = out.val.count;
  const bytes = (out.train.count + out.val.count + out.test.count) * (tile + 2);
  return {
    info: {
      id: opts.id ?? makeDatasetId('custom'),
      name: opts.name ?? 'Custom dataset',
      kind: 'custom',
      classes: plan.classes,
      imageSize: size,
      counts,
      bytes,
      createdAt: Date.now(),
      notes: plan.notes,
    },
    splits: { train: out.train, test: out.test, ...(out.val.count > 0 ? { val: out.val } : {}) },
  };
}

/** Lists the files of a .zip as FileEntries (directories dropped). The zip is inflated up front. */
export function entriesFromZip(bytes: Uint8Array, name = 'archive.zip'): FileEntry[] {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new StudioError('corrupt-archive', `"${name}" is not a valid zip archive (${why}).`, { file: name });
  }
  const bad = Object.keys(files).find(unsafeZipPath);
  if (bad !== undefined) throw new StudioError('corrupt-archive', `"${name}" is not a valid zip archive (it holds a file named "${bad}", which points outside the archive).`, { file: name });
  return Object.keys(files)
    .filter((p) => !p.endsWith('/'))
    .sort(cmp)
    .map((path) => {
      const data = files[path]!;
      return { path, bytes: () => Promise.resolve(data) };
    });
}

/** Limits on a zip read into memory: beyond them it is refused (`too-large`) instead of taking the tab down. */
export interface ZipLimits {
  /** Most files (default 200,000). */
  maxEntries?: number;
  /** Most bytes after decompression, all files together (default 2 GiB). */
  maxBytes?: number;
}

export const ZIP_MAX_ENTRIES = 200_000;
export const ZIP_MAX_BYTES = 2 * 1024 ** 3;
const ZIP_PUSH_BYTES = 4096;

/** Rejects absolute paths, drive letters and `..` segments (names that would escape the archive's folder). */
export function unsafeZipPath(path: string): boolean {
  const p = path.replace(/\\/g, '/');
  return p.startsWith('/') || /^[a-zA-Z]:/.test(p) || p.split('/').some((seg) => seg === '..');
}

/**
 * Lists the files of a .zip streamed from `source` (a File/Blob or a byte stream): the archive is never held whole;
 * each file is inflated as it streams past and kept (its bytes are what the importer decodes). Directories are
 * dropped. More than `maxEntries` files or `maxBytes` inflated bytes (a zip bomb) stop the read with `too-large`
 * as soon as the limit is crossed; unsafe names, an encrypted or unknown compression method, or a file that is not
 * a zip end in `corrupt-archive`.
 */
export async function entriesFromZipStream(source: ByteSource, opts: ZipLimits & JobOptions & { name?: string } = {}): Promise<FileEntry[]> {
  const name = opts.name ?? sourceName(source, 'archive.zip');
  const maxEntries = opts.maxEntries ?? ZIP_MAX_ENTRIES;
  const maxBytes = opts.maxBytes ?? ZIP_MAX_BYTES;
  const corrupt = (why: string) => new StudioError('corrupt-archive', `"${name}" is not a valid zip archive (${why}).`, { file: name });
  const { head, stream } = await peekSource(source);
  const sig = head.length >= 4 ? (head[0]! | (head[1]! << 8) | (head[2]! << 16) | (head[3]! << 24)) >>> 0 : 0;
  if (sig === 0x06054b50) return []; // an empty zip: just the end record
  if (sig !== 0x04034b50) {
    await stream.cancel().catch(() => undefined);
    throw corrupt(head.length === 0 ? 'the file is empty' : 'it does not start with a zip file header');
  }
  const files = new Map<string, Uint8Array>();
  /** Files whose data has started but not ended (a truncated archive leaves one open). */
  const open = new Set<string>();
  let entries = 0;
  let total = 0;
  let failure: StudioError | null = null;
  const fail = (e: StudioError) => {
    failure ??= e;
  };
  const uz = new Unzip((file) => {
    if (failure) return;
    if (++entries > maxEntries) {
      fail(new StudioError('too-large', `"${name}" has more than ${maxEntries.toLocaleString('en')} files: split it, or import a folder.`, { file: name, limit: maxEntries }));
      return;
    }
    if (unsafeZipPath(file.name)) {
      fail(corrupt(`it holds a file named "${file.name}", which points outside the archive`));
      return;
    }
    const isDir = file.name.endsWith('/');
    const parts: Uint8Array[] = [];
    let size = 0;
    open.add(file.name);
    file.ondata = (err, chunk, final) => {
      if (final) open.delete(file.name);
      if (failure) return;
      if (err) {
        fail(corrupt(`${file.name}: ${err.message}`));
        return;
      }
      size += chunk.length;
      total += chunk.length;
      if (total > maxBytes) {
        fail(new StudioError('too-large', `"${name}" inflates to more than ${(maxBytes / 1024 ** 2).toFixed(0)} MiB (stopped at ${file.name}): it is too large to import here, or a zip bomb.`, { file: name, limit: maxBytes }));
        return;
      }
      if (chunk.length > 0) parts.push(chunk);
      if (final && !isDir) {
        const all = new Uint8Array(size);
        let o = 0;
        for (const c of parts) {
          all.set(c, o);
          o += c.length;
        }
        files.set(file.name, all);
      }
    };
    try {
      file.start();
    } catch (e) {
      fail(corrupt(`${file.name} uses compression method ${file.compression}, which this studio does not read (${e instanceof Error ? e.message : String(e)})`));
    }
  });
  uz.register(UnzipInflate);
  const reader = stream.getReader();
  const report = progressReporter(opts.onProgress);
  const size = typeof (source as { size?: unknown }).size === 'number' ? (source as { size: number }).size : 0;
  let read = 0;
  try {
    for (;;) {
      throwIfAborted(opts.signal);
      const { value, done } = await reader.read();
      if (done) break;
      if (!value || value.length === 0) continue;
      read += value.length;
      // Small pushes: deflate expands at most ~1032:1, so one 4 KiB push inflates to at most ~4 MiB before the
      // size limit is checked again.
      for (let o = 0; o < value.length; o += ZIP_PUSH_BYTES) {
        try {
          uz.push(value.subarray(o, o + ZIP_PUSH_BYTES), false);
        } catch (e) {
          throw corrupt(e instanceof Error ? e.message : String(e));
        }
        if (failure) throw failure;
      }
      if (size) report('unzip', read / size, `reading ${name}`);
    }
    try {
      uz.push(new Uint8Array(0), true);
    } catch (e) {
      throw corrupt(e instanceof Error ? e.message : String(e));
    }
    if (failure) throw failure;
    if (open.size > 0) throw corrupt(`truncated: it ends inside ${[...open][0]}`);
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    throw e;
  }
  return [...files.keys()].sort(cmp).map((path) => {
    const data = files.get(path)!;
    return { path, bytes: () => Promise.resolve(data) };
  });
}
