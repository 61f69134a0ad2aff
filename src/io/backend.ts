// Choosing the I/O backend: io_uring when the kernel lets us, recvmmsg/sendmmsg and
// read/write otherwise (or when asked to). One backend per datapath thread: with io_uring
// it owns that thread's ring, which all its sockets and TUN/TAP queues share.
import type { DatagramIo, FrameIo, IoCounters } from './batch.js';
import { FallbackDatagramIo, FallbackFrameIo } from './batch-fallback.js';
import type { PacketMemory } from './native-memory.js';
import { probeUring } from './uring/availability.js';
import { UringDatagramIo, UringFrameIo } from './uring/batch-uring.js';
import { EventRing } from './uring/event-ring.js';
import { FixedBuffers, type FixedWindow } from './uring/fixed-buffers.js';
import { MultishotReceiver } from './uring/multishot.js';
import type { ProvidedRing } from './uring/provided-ring.js';
import { Ring } from './uring/ring.js';
import { UringSocketIo } from './uring/socket-io.js';

export type BackendKind = 'io_uring' | 'fallback';

export interface DatagramIoOptions {
  /** Most datagrams per batch. */
  readonly capacity: number;
  readonly gso: boolean;
  /**
   * io_uring only: the worker's provided-buffer ring (on this backend's event ring) that the
   * socket's multishot receive takes its buffers from; the receive then stays armed on the
   * event ring instead of going out per batch.
   */
  readonly multishot?: ProvidedRing;
}

export interface IoBackend {
  readonly kind: BackendKind;
  /** Why io_uring is not in use although it was preferred; null otherwise. */
  readonly fallbackReason: string | null;
  datagrams(fd: number, options: DatagramIoOptions): DatagramIo & { readonly counters: IoCounters };
  frames(fd: number): FrameIo & { readonly counters: IoCounters };
  /** io_uring: the ring a worker sleeps on, where armed receives and polls complete; null for the fallback. */
  readonly events: EventRing | null;
  /**
   * io_uring: registers a table of `slots` fixed buffers in `window` on the ring that writes
   * to TUN/TAP queues (created from now on use it); the buffer pools then watch() it. Throws
   * when the kernel refuses (RLIMIT_MEMLOCK, an old kernel): plain ops stay in use. Null for the fallback.
   */
  readonly registerFixed: ((window: FixedWindow, slots: number) => FixedBuffers) | null;
  close(): void;
}

export interface BackendOptions {
  readonly prefer: BackendKind;
  /** SQ entries of the io_uring (bounds the ops per io_uring_enter). */
  readonly ringEntries?: number;
  /**
   * io_uring: an event ring for the thread to wait on, with multishot receives (default true).
   * False keeps the thread waiting in poll(2) and receiving per batch, as before the event
   * ring, for the benchmark that measures what it brings (FASTD_TS_URING_WAIT=0).
   */
  readonly eventRing?: boolean;
}

/** Creates a backend for this thread; never throws for io_uring trouble, it falls back and says why. */
export function createBackend(packets: PacketMemory, options: BackendOptions): IoBackend {
  if (options.prefer === 'fallback') return fallbackBackend(packets, null);
  const support = probeUring();
  if (!support.available) return fallbackBackend(packets, support.reason);
  let ring: Ring;
  try {
    ring = new Ring(options.ringEntries ?? 256);
  } catch (error) {
    return fallbackBackend(packets, (error as Error).message);
  }
  // Without multishot receives (Linux < 6.0) the worker keeps waiting in poll(2).
  let events: EventRing | null = null;
  if (support.multishotRecvmsg && options.eventRing !== false) {
    try {
      events = new EventRing(options.ringEntries ?? 256);
    } catch (error) {
      ring.close();
      return fallbackBackend(packets, (error as Error).message);
    }
  }
  let fixed: FixedBuffers | null = null;
  return {
    kind: 'io_uring',
    fallbackReason: null,
    datagrams: (fd, o) => {
      const sender = new UringDatagramIo(ring, fd, packets, o);
      if (!o.multishot || !events) return sender;
      return new UringSocketIo(new MultishotReceiver(events, fd, packets, o.multishot, sender.counters), sender);
    },
    frames: (fd) => new UringFrameIo(ring, fd, packets, fixed),
    events,
    registerFixed: (window, slots) => (fixed = new FixedBuffers(ring, packets, window, slots)),
    close: () => {
      fixed?.release();
      events?.close();
      ring.close();
    },
  };
}

function fallbackBackend(packets: PacketMemory, reason: string | null): IoBackend {
  return {
    kind: 'fallback',
    fallbackReason: reason,
    datagrams: (fd, o) => new FallbackDatagramIo(fd, packets, o),
    frames: (fd) => new FallbackFrameIo(fd, packets),
    events: null,
    registerFixed: null,
    close: () => {},
  };
}
