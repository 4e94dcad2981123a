/** Packs a TrainCheckpoint's float arrays into one byte buffer (stored as a chunked part) plus a small JSON header. */
import type { NamedArray, TrainCheckpoint } from '../../engine/train/trainer';

interface ArrayRef { name: string; shape: number[]; offset: number; length: number }
export interface CheckpointHeader extends Omit<TrainCheckpoint, 'weights' | 'optimizer'> { weights: ArrayRef[]; optimizer: ArrayRef[] }

export function encodeCheckpoint(cp: TrainCheckpoint): { header: CheckpointHeader; bytes: Uint8Array } {
  const total = [...cp.weights, ...cp.optimizer].reduce((n, a) => n + a.data.length, 0);
  const all = new Float32Array(total);
  let off = 0;
  const refs = (list: NamedArray[]) =>
    list.map((a) => {
      all.set(a.data, off);
      const r = { name: a.name, shape: a.shape, offset: off, length: a.data.length };
      off += a.data.length;
      return r;
    });
  const header: CheckpointHeader = { ...cp, weights: refs(cp.weights), optimizer: refs(cp.optimizer) };
  return { header, bytes: new Uint8Array(all.buffer) };
}

export function decodeCheckpoint(header: CheckpointHeader, bytes: Uint8Array): TrainCheckpoint {
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const arrays = (refs: ArrayRef[]) => refs.map((r) => ({ name: r.name, shape: r.shape, data: all.subarray(r.offset, r.offset + r.length) }));
  return { ...header, weights: arrays(header.weights), optimizer: arrays(header.optimizer) };
}
