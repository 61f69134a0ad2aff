// The handshakes a datapath worker received within a few ms (HANDSHAKE_HOLD_MS), on their way
// to the control plane: packed back to back into one ArrayBuffer that the `handshakes` message
// transfers. One message for many instead of one per handshake, and no endpoint objects for the worker
// to build and clone: a connect storm's inits cost the datapath a copy each, the control
// plane reads the addresses. A record:
//   remote sockaddr (SOCKADDR_SLOT) | local sockaddr (SOCKADDR_SLOT; family 0: none) | packet length (u16 LE) | packet
import { SOCKADDR_SLOT } from '../../io/linux-abi.js';
import { endpointOf, localOf, type Endpoint } from './messages.js';

const Record = {
  REMOTE: 0,
  LOCAL: SOCKADDR_SLOT,
  LENGTH: 2 * SOCKADDR_SLOT,
  PACKET: 2 * SOCKADDR_SLOT + 2,
} as const;

/** The worker's side: collects a batch's handshakes in a buffer of its own, then hands out a copy of exactly that size. */
export class HandshakeRecords {
  private buffer: Uint8Array;
  private used = 0;
  count = 0;

  constructor(initialBytes = 16 * 1024) {
    this.buffer = new Uint8Array(initialBytes);
  }

  /** Adds datagram i of a batch: its sender and local address slots, and its `length` bytes at `offset` of `bytes`. */
  add(addresses: Uint8Array, locals: Uint8Array, i: number, bytes: Uint8Array, offset: number, length: number): void {
    const size = Record.PACKET + length;
    if (this.used + size > this.buffer.length) {
      const grown = new Uint8Array(Math.max(2 * this.buffer.length, this.used + size));
      grown.set(this.buffer.subarray(0, this.used));
      this.buffer = grown;
    }
    const at = this.used;
    const buffer = this.buffer;
    buffer.set(addresses.subarray(i * SOCKADDR_SLOT, (i + 1) * SOCKADDR_SLOT), at + Record.REMOTE);
    buffer.set(locals.subarray(i * SOCKADDR_SLOT, (i + 1) * SOCKADDR_SLOT), at + Record.LOCAL);
    buffer[at + Record.LENGTH] = length & 0xff;
    buffer[at + Record.LENGTH + 1] = length >>> 8;
    buffer.set(bytes.subarray(offset, offset + length), at + Record.PACKET);
    this.used += size;
    this.count++;
  }

  /** The records so far, in a new ArrayBuffer to transfer; starts over. */
  take(): ArrayBuffer {
    const records = this.buffer.slice(0, this.used).buffer;
    this.used = 0;
    this.count = 0;
    return records;
  }
}

/** Whether the sockaddr slots at byte offsets `a` and `b` of `bytes` hold the same bytes. */
function sameSlot(bytes: Uint8Array, a: number, b: number): boolean {
  for (let i = 0; i < SOCKADDR_SLOT; i++) if (bytes[a + i] !== bytes[b + i]) return false;
  return true;
}

/**
 * The control plane's side: calls `each` with every record's sender, local address and packet
 * (a view into `records`). A record from the same sender, or to the same local address, as the
 * one before gets the same (immutable) endpoint object: the local address is mostly the same
 * for all, and formatting an address's text each time was most of what a flood of inits allocated.
 */
export function readHandshakeRecords(records: ArrayBuffer, each: (endpoint: Endpoint, local: Endpoint | undefined, packet: Uint8Array) => void): void {
  const bytes = new Uint8Array(records);
  let endpoint: Endpoint | undefined;
  let local: Endpoint | undefined;
  let previous = -1;
  for (let at = 0; at + Record.PACKET <= bytes.length; ) {
    const length = bytes[at + Record.LENGTH]! | (bytes[at + Record.LENGTH + 1]! << 8);
    if (previous < 0 || !sameSlot(bytes, previous + Record.REMOTE, at + Record.REMOTE)) endpoint = endpointOf(bytes.subarray(at + Record.REMOTE, at + Record.LOCAL), 0);
    if (previous < 0 || !sameSlot(bytes, previous + Record.LOCAL, at + Record.LOCAL)) local = localOf(bytes.subarray(at + Record.LOCAL, at + Record.LENGTH), 0);
    each(endpoint!, local, bytes.subarray(at + Record.PACKET, at + Record.PACKET + length));
    previous = at;
    at += Record.PACKET + length;
  }
}
