/** Test fixtures for the data importers: a tiny tar writer, synthetic CIFAR archives, in-memory byte sources. */
import { gzipSync } from 'fflate';
import type { BlobLike } from '../../../src/engine/data/gunzip';

export interface TarMember {
  name: string;
  data?: Uint8Array;
  dir?: boolean;
  /** Type flag byte (default '0' file / '5' directory), e.g. 0x78 for a pax extended header. */
  type?: number;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** Writes a ustar archive (names up to 100 chars), two zero blocks at the end. */
export function writeTar(members: TarMember[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const m of members) {
    const data = m.data ?? new Uint8Array(0);
    const h = new Uint8Array(512);
    h.set(enc.encode(m.name).subarray(0, 100), 0);
    h.set(enc.encode(octal(m.dir ? 0o755 : 0o644, 8)), 100);
    h.set(enc.encode(octal(0, 8)), 108);
    h.set(enc.encode(octal(0, 8)), 116);
    h.set(enc.encode(octal(m.dir ? 0 : data.length, 12)), 124);
    h.set(enc.encode(octal(0, 12)), 136);
    h.fill(32, 148, 156);
    h[156] = m.type ?? (m.dir ? 0x35 : 0x30);
    h.set(enc.encode('ustar\0'), 257);
    h.set(enc.encode('00'), 263);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += h[i]!;
    h.set(enc.encode(sum.toString(8).padStart(6, '0') + '\0 '), 148);
    blocks.push(h);
    if (!m.dir && data.length > 0) {
      const padded = new Uint8Array(Math.ceil(data.length / 512) * 512);
      padded.set(data);
      blocks.push(padded);
    }
  }
  blocks.push(new Uint8Array(1024));
  const total = blocks.reduce((a, b) => a + b.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const b of blocks) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

/** Deterministic pixel value of image `i`, channel `c`, pixel `p` (row-major index within the plane). */
export function pixel(seed: number, i: number, c: number, p: number): number {
  return (seed * 31 + i * 7 + c * 85 + p * 3) & 0xff;
}

/** CIFAR-10 batch file with n records: label = (seed + i) % 10, planar pixels from pixel(). */
export function cifar10Bin(n: number, seed: number, label?: (i: number) => number): Uint8Array {
  const rec = 3073;
  const b = new Uint8Array(n * rec);
  for (let i = 0; i < n; i++) {
    b[i * rec] = label ? label(i) : (seed + i) % 10;
    for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) b[i * rec + 1 + c * 1024 + p] = pixel(seed, i, c, p);
  }
  return b;
}

/** CIFAR-100 file with n records: coarse = i % 20, fine = (i * 3) % 100. */
export function cifar100Bin(n: number, seed: number, fine?: (i: number) => number): Uint8Array {
  const rec = 3074;
  const b = new Uint8Array(n * rec);
  for (let i = 0; i < n; i++) {
    b[i * rec] = i % 20;
    b[i * rec + 1] = fine ? fine(i) : (i * 3) % 100;
    for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) b[i * rec + 2 + c * 1024 + p] = pixel(seed, i, c, p);
  }
  return b;
}

export const C10_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** Members of a small CIFAR-10 archive: `per` records per batch file, seeds 1..5 train, 9 test. */
export function cifar10Members(per: number, opts: { meta?: string | null; dir?: string } = {}): TarMember[] {
  const dir = opts.dir ?? 'cifar-10-batches-bin';
  const m: TarMember[] = [{ name: `${dir}/`, dir: true }];
  const meta = opts.meta === undefined ? C10_NAMES.map((n) => `${n}\n`).join('') + '\n' : opts.meta;
  if (meta !== null) m.push({ name: `${dir}/batches.meta.txt`, data: new TextEncoder().encode(meta) });
  for (let k = 1; k <= 5; k++) m.push({ name: `${dir}/data_batch_${k}.bin`, data: cifar10Bin(per, k) });
  m.push({ name: `${dir}/test_batch.bin`, data: cifar10Bin(per, 9) });
  return m;
}

export function cifar100Members(train: number, test: number): TarMember[] {
  const enc = new TextEncoder();
  const fine = Array.from({ length: 100 }, (_, i) => `fine${i}`).join('\n') + '\n';
  const coarse = Array.from({ length: 20 }, (_, i) => `coarse${i}`).join('\n') + '\n';
  return [
    { name: 'cifar-100-binary/', dir: true },
    { name: 'cifar-100-binary/coarse_label_names.txt', data: enc.encode(coarse) },
    { name: 'cifar-100-binary/fine_label_names.txt', data: enc.encode(fine) },
    { name: 'cifar-100-binary/test.bin', data: cifar100Bin(test, 9) },
    { name: 'cifar-100-binary/train.bin', data: cifar100Bin(train, 1) },
  ];
}

export function gzip(b: Uint8Array): Uint8Array {
  return gzipSync(b, { level: 1 });
}

/** A Blob-like byte source (what a File looks like) over in-memory bytes, streamed in `chunk`-sized pieces. */
export function blobLike(bytes: Uint8Array, name: string, chunk = 7919): BlobLike {
  return {
    name,
    size: bytes.length,
    stream: () => chunkedStream(bytes, chunk),
  };
}

/** A ReadableStream that delivers bytes in fixed-size chunks (odd sizes exercise record/header splits). */
export function chunkedStream(bytes: Uint8Array, chunk = 7919): ReadableStream<Uint8Array> {
  let o = 0;
  return new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (o >= bytes.length) {
        ctrl.close();
        return;
      }
      ctrl.enqueue(bytes.slice(o, o + chunk));
      o += chunk;
    },
  });
}
