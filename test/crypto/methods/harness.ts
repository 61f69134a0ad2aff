// Seals and opens payloads through a method session inside a shared packet memory, copying
// frames in and out so that tests can tamper with them between the two.
import type { MethodSession } from '../../../src/crypto/methods/provider.js';
import { batchOf } from '../../helpers/packet-memory.js';

/** Headroom in front of every payload (more than any method's overhead). */
const HEADROOM = 64;
/** Packets are deliberately not aligned. */
const MISALIGN = 3;
const BASE = 65_536;

export interface Opened {
  status: number[];
  payloads: (Uint8Array | undefined)[];
  /** The bytes each frame occupied after open (to check failed opens left them intact). */
  after: Uint8Array[];
}

function slots(lengths: number[]): number[] {
  let at = BASE;
  return lengths.map((length) => {
    const slot = at + HEADROOM + MISALIGN;
    at += HEADROOM + length + 64;
    at -= at % 16;
    return slot;
  });
}

export function seal(session: MethodSession, memory: WebAssembly.Memory, payloads: Uint8Array[], now = 0) {
  const at = slots(payloads.map((p) => p.length));
  const bytes = new Uint8Array(memory.buffer);
  payloads.forEach((p, i) => bytes.set(p, at[i]));
  const batch = batchOf(memory, payloads.map((p, i) => [at[i], p.length] as const));
  session.seal(batch, now);
  const fresh = new Uint8Array(memory.buffer);
  return {
    status: Array.from(batch.status),
    frames: payloads.map((_, i) => fresh.slice(batch.offsets[i], batch.offsets[i] + batch.lengths[i])),
  };
}

export function open(session: MethodSession, memory: WebAssembly.Memory, frames: Uint8Array[], now = 0): Opened {
  const at = slots(frames.map((f) => f.length));
  const bytes = new Uint8Array(memory.buffer);
  frames.forEach((f, i) => bytes.set(f, at[i]));
  const batch = batchOf(memory, frames.map((f, i) => [at[i], f.length] as const));
  session.open(batch, now);
  const fresh = new Uint8Array(memory.buffer);
  const ok = (s: number) => s <= 1; // Ok or Reordered
  return {
    status: Array.from(batch.status),
    payloads: frames.map((_, i) =>
      ok(batch.status[i]) ? fresh.slice(batch.offsets[i], batch.offsets[i] + batch.lengths[i]) : undefined,
    ),
    after: frames.map((f, i) => fresh.slice(at[i], at[i] + f.length)),
  };
}
