// A stand-in for a TUN/TAP queue in packet memory: the reader hands out queued kernel
// frames (virtio_net_hdr first) one per call, cut short to the room like read(2); the
// writer records what it is given.
import { createFrameBatch, type FrameBatch, type FrameIo } from '../../../src/io/batch.js';

export class FakeReader implements FrameIo {
  readonly queue: Uint8Array[] = [];
  constructor(private readonly bytes: Uint8Array) {}
  read(batch: FrameBatch): number {
    const next = this.queue.shift();
    if (!next) {
      batch.count = 0;
      return 0;
    }
    const length = Math.min(next.length, batch.lengths[0]);
    this.bytes.set(next.subarray(0, length), batch.offsets[0]);
    batch.lengths[0] = length;
    batch.count = 1;
    return 1;
  }
  write(): number {
    throw new Error('reader only');
  }
  close(): void {}
}

export class FakeWriter implements FrameIo {
  readonly written: Uint8Array[] = [];
  /** Entries accepted before the queue reports EAGAIN (Infinity: never). */
  accept = Infinity;
  constructor(private readonly bytes: Uint8Array) {}
  read(): number {
    throw new Error('writer only');
  }
  write(batch: FrameBatch, start = 0): number {
    for (let i = start; i < batch.count; i++) {
      if (this.accept <= 0) return i;
      this.accept--;
      this.written.push(this.bytes.slice(batch.offsets[i], batch.offsets[i] + batch.lengths[i]));
      batch.errors[i] = 0;
    }
    return batch.count;
  }
  close(): void {}
}

/** Read slots of `room` bytes each from `at` on. */
export function readSlots(capacity: number, at: number, room: number): FrameBatch {
  const batch = createFrameBatch(capacity);
  for (let i = 0; i < capacity; i++) batch.offsets[i] = at + i * (room + 64);
  return batch;
}

/** Fills `batch.lengths` with `room` (the loop does that before each read). */
export function resetRoom(batch: FrameBatch, room: number): void {
  batch.lengths.fill(room);
}

/** Puts frames into packet memory (64 bytes of headroom each) as a write batch. */
export function writeBatch(bytes: Uint8Array, frames: Uint8Array[], at: number): FrameBatch {
  const batch = createFrameBatch(Math.max(frames.length, 1));
  let offset = at;
  frames.forEach((frame, i) => {
    offset += 64;
    bytes.set(frame, offset);
    batch.offsets[i] = offset;
    batch.lengths[i] = frame.length;
    offset += frame.length;
  });
  batch.count = frames.length;
  return batch;
}
