// Splitting UDP GRO receives back into datagrams. With UDP_GRO the kernel may hand over
// several datagrams from one peer as one buffer: all segmentSize bytes long except perhaps
// the last, laid end to end. Each is one fastd packet, so splitting is offset arithmetic
// over the same memory, never a copy.
import type { DatagramBatch } from './batch.js';
import { SOCKADDR_SLOT } from './linux-abi.js';

const WORDS_PER_SLOT = SOCKADDR_SLOT / 4;

/**
 * Appends the datagrams of received entries [0, from.count) to `to` (from to.count on),
 * one entry per datagram, with its peer and local address and its receive time. Stops when `to` is full and returns the
 * index of the first entry of `from` not (completely) split, so the caller can continue
 * with a fresh `to`; from.count when all fit.
 */
export function splitSegments(from: DatagramBatch, to: DatagramBatch): number {
  let out = to.count;
  for (let i = 0; i < from.count; i++) {
    const length = from.lengths[i];
    const size = from.segmentSizes[i] === 0 ? length : from.segmentSizes[i];
    const pieces = size === 0 ? 1 : Math.ceil(length / size);
    if (out + pieces > to.capacity) {
      to.count = out;
      return i;
    }
    for (let p = 0; p < pieces; p++, out++) {
      to.offsets[out] = from.offsets[i] + p * size;
      to.lengths[out] = Math.min(size, length - p * size);
      to.segmentSizes[out] = 0;
      to.errors[out] = from.errors[i];
      to.receivedAt[out] = from.receivedAt[i];
      for (let w = 0; w < WORDS_PER_SLOT; w++) to.addressWords[out * WORDS_PER_SLOT + w] = from.addressWords[i * WORDS_PER_SLOT + w];
      for (let w = 0; w < WORDS_PER_SLOT; w++) to.localWords[out * WORDS_PER_SLOT + w] = from.localWords[i * WORDS_PER_SLOT + w];
    }
  }
  to.count = out;
  return from.count;
}
