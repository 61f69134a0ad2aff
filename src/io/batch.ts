// The batch interface between the datapath and the kernel, shaped like wireguard-go's
// conn.Bind / tun.Device: a batch is a handful of long-lived parallel typed arrays
// describing packets that live in the packet memory (offset, length) and, for datagrams,
// their peers' addresses. Nothing is allocated per packet; a backend crosses into the
// kernel once per batch where the kernel allows it.
import { addressOf } from './libc.js';
import { SOCKADDR_SLOT } from './linux-abi.js';

/** Frames or packets read from / written to a TUN/TAP queue. Entries [0, count) are used. */
export interface FrameBatch {
  readonly capacity: number;
  count: number;
  /** Byte offset of each packet in the packet memory. */
  readonly offsets: Uint32Array;
  /** On read: room at offsets[i] before the call, bytes received after. On write: bytes to write. */
  readonly lengths: Uint32Array;
  /**
   * errno per entry: after a write, 0 or why it failed (failed entries are dropped, not
   * retried); after a datagram receive, EMSGSIZE marks a datagram cut short by its buffer.
   */
  readonly errors: Uint16Array;
}

/** UDP datagrams with their peer addresses. */
export interface DatagramBatch extends FrameBatch {
  /** One SOCKADDR_SLOT-byte sockaddr per entry, in memory the kernel reads and writes directly. */
  readonly addresses: Uint8Array;
  /** The same memory as 32-bit words, for cheap whole-slot comparisons. */
  readonly addressWords: Uint32Array;
  /** Native address of addresses[0] (the memory is a SharedArrayBuffer, so it never moves). */
  readonly addressesPointer: number;
  /**
   * Our end of each datagram, one SOCKADDR_SLOT-byte sockaddr per entry (port 0; family 0:
   * none). A receive on a wildcard socket sets the address the datagram came to; a send
   * leaves from it (control-messages.ts).
   */
  readonly locals: Uint8Array;
  readonly localWords: Uint32Array;
  /**
   * After a receive with UDP GRO: the segment size the kernel coalesced entry i from (0 for
   * a plain datagram); see gro.ts to split it back into datagrams.
   */
  readonly segmentSizes: Uint16Array;
  /**
   * After a receive on a socket with SO_TIMESTAMPNS: when the kernel took entry i in, epoch
   * milliseconds with fractions (CLOCK_REALTIME); 0 for none.
   */
  readonly receivedAt: Float64Array;
}

export function createFrameBatch(capacity: number): FrameBatch {
  return {
    capacity,
    count: 0,
    offsets: new Uint32Array(capacity),
    lengths: new Uint32Array(capacity),
    errors: new Uint16Array(capacity),
  };
}

export function createDatagramBatch(capacity: number): DatagramBatch {
  const addressMemory = new SharedArrayBuffer(capacity * SOCKADDR_SLOT);
  const addresses = new Uint8Array(addressMemory);
  const localMemory = new ArrayBuffer(capacity * SOCKADDR_SLOT);
  return {
    ...createFrameBatch(capacity),
    addresses,
    addressWords: new Uint32Array(addressMemory),
    addressesPointer: addressOf(addresses),
    locals: new Uint8Array(localMemory),
    localWords: new Uint32Array(localMemory),
    segmentSizes: new Uint16Array(capacity),
    receivedAt: new Float64Array(capacity),
  };
}

/** A UDP socket's batch I/O through one backend. */
export interface DatagramIo {
  /**
   * Receives the datagrams that are ready, at most `batch.capacity`, into the buffers the
   * batch describes (offsets[i], room lengths[i]); sets count, lengths, addresses, locals and
   * segmentSizes. Never blocks; returns count (0 when nothing is ready).
   */
  receive(batch: DatagramBatch): number;
  /**
   * Sends entries [start, count) to addresses[i], from locals[i] where set (a local address
   * the kernel refuses, EINVAL or ENETUNREACH as fastd lists them, is dropped and the entry
   * sent again without it, as fastd does). Returns the index of the first entry not
   * dealt with yet: entries before it were sent, or failed with errors[i] set. Less than
   * count only when the socket buffer is full (EAGAIN); call again from there later.
   */
  send(batch: DatagramBatch, start?: number): number;
  /** With a receive that stays armed (io_uring multishot): whether datagrams wait to be taken. */
  waiting?(): boolean;
  /**
   * With buffers the kernel picks from a pool shared by the worker's sockets (io_uring
   * multishot): gives the last batch's back, so that an idle socket holds none. The batch's
   * entries are not read after this.
   */
  release?(): void;
  close(): void;
}

/** A TUN/TAP queue's batch I/O through one backend; same contract as DatagramIo. */
export interface FrameIo {
  /**
   * Reads the frames that are ready into the batch's buffers. May move buffers between
   * slots (filled ones first); every buffer the batch had stays in it.
   */
  read(batch: FrameBatch): number;
  write(batch: FrameBatch, start?: number): number;
  close(): void;
}

/** Counters that prove a mechanism is really used (system calls per packet, GSO). */
export interface IoCounters {
  /** Calls into the kernel made for packet I/O. */
  syscalls: number;
  packetsIn: number;
  packetsOut: number;
  /** UDP_SEGMENT sends and the datagrams they carried. */
  gsoSends: number;
  gsoSegments: number;
  /** GSO sends the kernel refused (EIO) and that went out one by one instead. */
  gsoFallbacks: number;
  /** io_uring multishot receives armed (once per socket, again each time one ended). */
  receiveArms: number;
  /** Times an armed receive ended because all its buffers were in use (ENOBUFS). */
  receiveExhausted: number;
}

export function createCounters(): IoCounters {
  return { syscalls: 0, packetsIn: 0, packetsOut: 0, gsoSends: 0, gsoSegments: 0, gsoFallbacks: 0, receiveArms: 0, receiveExhausted: 0 };
}
