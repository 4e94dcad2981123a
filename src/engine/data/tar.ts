/**
 * Push-based streaming tar (ustar / pax / GNU long-name) reader: feed it arbitrary chunks of the
 * archive and it hands each member's bytes to a sink chosen per member, without ever holding a whole
 * member (or the archive) in memory. Header checksums are verified; truncation is detected in finish().
 */
import { StudioError } from '../errors';

export type TarEntryType = 'file' | 'directory' | 'other';

export interface TarEntryHeader {
  /** Full path inside the archive (pax `path` / GNU long names applied). */
  name: string;
  size: number;
  type: TarEntryType;
}

/** Receives one member's bytes. `data` may be called many times with views that are only valid during the call. */
export interface TarEntrySink {
  data(chunk: Uint8Array): void;
  end(): void;
}

const BLOCK = 512;
const decoder = new TextDecoder();

function cString(b: Uint8Array, start: number, len: number): string {
  let end = start;
  const stop = start + len;
  while (end < stop && b[end] !== 0) end++;
  return decoder.decode(b.subarray(start, end));
}

function parseNumber(b: Uint8Array, start: number, len: number): number {
  if ((b[start]! & 0x80) !== 0) {
    // GNU base-256 encoding (big-endian, high bit set on the first byte).
    let v = b[start]! & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + b[start + i]!;
    return v;
  }
  const s = cString(b, start, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return NaN;
  return parseInt(s, 8);
}

function isZeroBlock(b: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

function headerChecksumOk(b: Uint8Array): boolean {
  const want = parseNumber(b, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : b[i]!;
  return sum === want;
}

/**
 * Pax extended header records: "<len> <key>=<value>\n", where <len> counts BYTES of the whole record (UTF-8), so the
 * records are cut on bytes and each one decoded on its own (a non-ASCII path would shift a text-based parse).
 */
export function parsePax(b: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < b.length) {
    let sp = i;
    while (sp < b.length && b[sp]! >= 0x30 && b[sp]! <= 0x39) sp++;
    if (sp === i || b[sp] !== 0x20) break;
    const len = parseInt(decoder.decode(b.subarray(i, sp)), 10);
    if (!(len > sp - i + 1) || i + len > b.length) break;
    const rec = decoder.decode(b.subarray(sp + 1, i + len - (b[i + len - 1] === 0x0a ? 1 : 0)));
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

/** Collects a small member (pax header, GNU long name, a meta text file) into memory. */
export class Collector implements TarEntrySink {
  private parts: Uint8Array[] = [];
  constructor(private readonly done: (bytes: Uint8Array) => void) {}
  data(chunk: Uint8Array): void {
    this.parts.push(chunk.slice());
  }
  end(): void {
    const n = this.parts.reduce((a, p) => a + p.length, 0);
    const all = new Uint8Array(n);
    let o = 0;
    for (const p of this.parts) {
      all.set(p, o);
      o += p.length;
    }
    this.done(all);
  }
}

export class TarReader {
  private readonly header = new Uint8Array(BLOCK);
  private headerFill = 0;
  private remaining = 0;
  private padding = 0;
  private sink: TarEntrySink | null = null;
  private inEntry = false;
  private ended = false;
  private offset = 0;
  private paxPath: string | null = null;
  private longName: string | null = null;
  private entries = 0;

  /**
   * @param onEntry called for each member header; return a sink to receive its bytes, or null to skip it.
   * @param archiveName used in error messages.
   */
  constructor(
    private readonly onEntry: (h: TarEntryHeader) => TarEntrySink | null,
    private readonly archiveName: string,
  ) {}

  push(chunk: Uint8Array): void {
    let i = 0;
    const n = chunk.length;
    while (i < n && !this.ended) {
      if (this.inEntry) {
        if (this.remaining > 0) {
          const take = Math.min(this.remaining, n - i);
          this.sink?.data(chunk.subarray(i, i + take));
          this.remaining -= take;
          i += take;
          this.offset += take;
          if (this.remaining === 0) this.sink?.end();
          continue;
        }
        if (this.padding > 0) {
          const take = Math.min(this.padding, n - i);
          this.padding -= take;
          i += take;
          this.offset += take;
          continue;
        }
        this.inEntry = false;
        this.sink = null;
        continue;
      }
      const take = Math.min(BLOCK - this.headerFill, n - i);
      this.header.set(chunk.subarray(i, i + take), this.headerFill);
      this.headerFill += take;
      i += take;
      this.offset += take;
      if (this.headerFill === BLOCK) {
        this.headerFill = 0;
        this.startEntry();
      }
    }
  }

  /** Call after the last chunk: throws 'corrupt-archive' when the archive stopped inside a member. */
  finish(): void {
    if (this.ended) return;
    if (this.inEntry && this.remaining > 0) {
      throw new StudioError(
        'corrupt-archive',
        `"${this.archiveName}" is truncated: the tar stream ends inside a member, ${this.remaining} bytes short.`,
        { file: this.archiveName },
      );
    }
    if (this.headerFill > 0) {
      throw new StudioError('corrupt-archive', `"${this.archiveName}" is truncated: it ends inside a tar header.`, {
        file: this.archiveName,
      });
    }
    if (this.entries === 0) {
      throw new StudioError('corrupt-archive', `"${this.archiveName}" contains no tar entries.`, { file: this.archiveName });
    }
  }

  /** Members seen so far (metadata members included). */
  entryCount(): number {
    return this.entries;
  }

  private startEntry(): void {
    const h = this.header;
    if (isZeroBlock(h)) {
      this.ended = true;
      return;
    }
    const at = this.offset - BLOCK;
    if (!headerChecksumOk(h)) {
      throw new StudioError(
        'corrupt-archive',
        `"${this.archiveName}" is not a valid tar archive: bad header checksum at byte ${at}.`,
        { file: this.archiveName, offset: at },
      );
    }
    const size = parseNumber(h, 124, 12);
    if (!Number.isFinite(size) || size < 0) {
      throw new StudioError('corrupt-archive', `"${this.archiveName}": bad member size field at byte ${at}.`, {
        file: this.archiveName,
      });
    }
    const flag = h[156]!;
    const magic = cString(h, 257, 6);
    let name = cString(h, 0, 100);
    if (magic === 'ustar') {
      const prefix = cString(h, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    this.entries++;
    this.inEntry = true;
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    // Metadata members: pax extended header ('x'), pax global ('g', ignored), GNU long name ('L').
    if (flag === 0x78 /* x */) {
      this.sink = new Collector((b) => {
        this.paxPath = parsePax(b).get('path') ?? null;
      });
    } else if (flag === 0x4c /* L */) {
      this.sink = new Collector((b) => {
        this.longName = cString(b, 0, b.length);
      });
    } else if (flag === 0x67 /* g */ || flag === 0x4b /* K */) {
      this.sink = null;
    } else {
      if (this.paxPath !== null) name = this.paxPath;
      else if (this.longName !== null) name = this.longName;
      this.paxPath = null;
      this.longName = null;
      const type: TarEntryType =
        flag === 0 || flag === 0x30 || flag === 0x37 ? 'file' : flag === 0x35 ? 'directory' : 'other';
      this.sink = this.onEntry({ name, size, type });
    }
    if (size === 0) {
      this.sink?.end();
      this.inEntry = false;
      this.sink = null;
    }
  }
}
