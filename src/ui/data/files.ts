/**
 * Turns picked files, folders and drag & drop payloads into what importDataset/importModel accept:
 * a single archive Blob, or NamedFile[] ({path, file}) with paths relative to the picked folder.
 */
import type { NamedFile } from '../../api/types';

/** Files from an <input type=file> (with or without webkitdirectory): path = webkitRelativePath or name. */
export function namedFromFileList(list: ArrayLike<File>): NamedFile[] {
  const out: NamedFile[] = [];
  for (let i = 0; i < list.length; i++) {
    const f = list[i]!;
    out.push({ path: f.webkitRelativePath || f.name, file: f });
  }
  return out;
}

const ARCHIVE = /\.(tar\.gz|tgz|zip|tar)$/i;

/** One archive → pass the Blob as is; otherwise the whole list as NamedFile[] (folders, several .bin files). */
export function datasetSource(files: NamedFile[]): Blob | NamedFile[] {
  if (files.length === 1 && (ARCHIVE.test(files[0]!.path) || /\.bin$/i.test(files[0]!.path))) return files[0]!.file;
  return files;
}

/** A default dataset name from what was picked: the top folder or the archive name without extension. */
export function defaultName(files: NamedFile[]): string {
  const first = files[0]?.path ?? '';
  if (first.includes('/')) return first.split('/')[0]!;
  if (files.length === 1) return first.replace(/\.(tar\.gz|tgz|zip|tar|bin)$/i, '');
  return 'dataset';
}

/**
 * The Name field after a new pick: the new files' default name, unless the user typed a name of their own (a name
 * that is neither empty nor the default of the previous pick is kept).
 */
export function nameAfterPick(current: string, previousDefault: string, files: NamedFile[]): string {
  const typed = current.trim() !== '' && current !== previousDefault;
  return typed || files.length === 0 ? current : defaultName(files);
}

// ---- drag & drop: walk FileSystemEntry trees ----

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

function readBatch(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

async function walk(entry: FileSystemEntry, prefix: string, out: NamedFile[]): Promise<void> {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    out.push({ path, file: await fileOf(entry as FileSystemFileEntry) });
  } else if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    // readEntries returns at most ~100 entries per call: keep reading until it returns none.
    for (;;) {
      const batch = await readBatch(reader);
      if (batch.length === 0) break;
      for (const child of batch) await walk(child, path, out);
    }
  }
}

/** Everything dropped: folders are walked recursively; paths keep the dropped folder's name as first segment. */
export async function namedFromDataTransfer(dt: DataTransfer): Promise<NamedFile[]> {
  const entries: FileSystemEntry[] = [];
  for (const item of Array.from(dt.items ?? [])) {
    if (item.kind !== 'file') continue;
    const e = item.webkitGetAsEntry?.();
    if (e) entries.push(e);
  }
  if (entries.length === 0) return namedFromFileList(dt.files);
  const out: NamedFile[] = [];
  for (const e of entries) await walk(e, '', out);
  return out;
}
