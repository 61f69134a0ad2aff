// A TUN/TAP queue as a datapath thread uses it: one object that reads and writes batches of
// frames, counts what it did, keeps its own state between wake-ups and closes in order.
// TunTapQueues assembles it from an open queue fd and the thread's backend:
// - reads go one frame per read(2) until EAGAIN (a wake-up usually finds a few frames, and
//   io_uring would spend an op on every empty slot of the batch); with an event ring, a READ
//   kept armed on it carries the first frame of a burst with the wait (uring/armed-read.ts);
// - writes go a whole batch per io_uring_enter on the backend's ring (write(2) each on the
//   fallback);
// - with a vnet header the queue hands over and takes super-frames: OffloadFrameIo cuts and
//   coalesces them around the same reads and writes.
// The queue owns its fd and its areas of packet memory (the armed READ's buffer, the offload
// scratch); a closed queue's areas serve the next queue of the same TunTapQueues, since the
// packet memory never takes memory back.
import type { IoBackend } from './backend.js';
import type { FrameBatch, FrameIo, IoCounters } from './batch.js';
import { FallbackFrameIo } from './batch-fallback.js';
import { close } from './libc.js';
import type { PacketMemory } from './native-memory.js';
import { Ethernet } from './offload/headers.js';
import { OffloadFrameIo, READ_ROOM, type OffloadCounters } from './offload/offload-frame-io.js';
import { ArmedFrameReader } from './uring/armed-read.js';
import type { FixedBuffers } from './uring/fixed-buffers.js';

/** An open queue; its fd is handed over with it (the queue closes it). */
export interface TunTapQueueSpec {
  readonly fd: number;
  readonly kind: 'tap' | 'tun';
  readonly mtu: number;
  /** Opened with IFF_VNET_HDR and TCP offloads (offload/open-queue.ts): frames carry a virtio_net_hdr. */
  readonly vnetHeader?: boolean;
}

/** Where queue areas come from: the offset of `bytes` bytes of packet memory, or -1 when its ceiling is reached. */
export interface AreaReserver {
  reserve(bytes: number): number;
}

export interface TunTapQueuesOptions {
  readonly backend: IoBackend;
  /** The packet memory the batches address. */
  readonly packets: PacketMemory;
  readonly areas: AreaReserver;
  /** io_uring: the registered buffers ring writes use (offload scratch is registered too); null otherwise. */
  readonly fixed: FixedBuffers | null;
  /** Room of each frame buffer of the caller's batches: no frame handed out is longer. */
  readonly frameRoom: number;
  /** Most frames per batch. */
  readonly capacity: number;
}

/**
 * A queue not read for this long, ms, was idle: the frame that ends the spell is taken alone
 * (no read(2) that would only say EAGAIN); a burst's next wake is quick and reads it all.
 */
const IDLE_WAKE_MS = 1;

/** The TUN/TAP queues of one thread: builds each from its fd, and keeps closed queues' areas for the next. */
export class TunTapQueues {
  /** Armed-read buffers (READ_ROOM bytes each) of closed queues. */
  private readonly spareReadAreas: number[] = [];
  /** Offload scratch areas (OffloadFrameIo.scratchBytes) of closed queues. */
  private readonly spareScratch: number[] = [];

  constructor(private readonly options: TunTapQueuesOptions) {}

  open(spec: TunTapQueueSpec): TunTapQueue {
    return new TunTapQueue(spec, this.options, this);
  }

  /** A buffer for an armed READ. */
  takeReadArea(): number {
    const area = this.spareReadAreas.pop() ?? this.options.areas.reserve(READ_ROOM);
    if (area < 0) throw new Error('packet memory ceiling too low for the TUN/TAP read buffers');
    return area;
  }

  /** Scratch for an OffloadFrameIo, registered as a fixed buffer when first reserved. */
  takeScratch(bytes: number): number {
    const spare = this.spareScratch.pop();
    if (spare !== undefined) return spare;
    const scratch = this.options.areas.reserve(bytes);
    if (scratch < 0) throw new Error('packet memory ceiling too low for the TUN/TAP offload buffers');
    // coalesced super-frames are written from here: registered once, it stays so when reused
    this.options.fixed?.chunkAdded(scratch, bytes);
    return scratch;
  }

  /** A closed queue's areas, for the next queue. */
  giveBack(readArea: number, scratch: number): void {
    if (readArea >= 0) this.spareReadAreas.push(readArea);
    if (scratch >= 0) this.spareScratch.push(scratch);
  }
}

export class TunTapQueue {
  readonly fd: number;
  /**
   * The longest frame read from the queue that may be sent: its MTU plus the link header, as
   * fastd reads no more, capped at the frame room (the MTU of a queue that came later may be
   * larger; the one byte more a read gets then lies in the tailroom). Reads get one byte more
   * room, so that a longer frame shows up as longer.
   */
  readonly frameLimit: number;
  /** io_uring with an event ring: the READ kept armed on it (the worker's wait arms it and sees it complete). */
  readonly armed: ArmedFrameReader | undefined;
  /** The I/O counters of its reader and writer. */
  readonly counters: readonly IoCounters[];
  /** With a vnet header: what the offloads did; null otherwise. */
  readonly offload: OffloadCounters | null;
  private readonly reads: FrameIo;
  private readonly writes: FrameIo;
  /** With a vnet header: reads and writes both, which may hold segments of a super-frame back. */
  private readonly offloadIo: OffloadFrameIo | undefined;

  constructor(
    spec: TunTapQueueSpec,
    options: TunTapQueuesOptions,
    private readonly queues: TunTapQueues,
  ) {
    const { backend, packets, frameRoom, capacity } = options;
    this.fd = spec.fd;
    const linkHeader = spec.kind === 'tap' ? Ethernet.SIZE : 0;
    this.frameLimit = Math.min(spec.mtu + linkHeader, frameRoom);
    const plain = new FallbackFrameIo(spec.fd, packets);
    const counters = [plain.counters];
    let reads: FrameIo = plain;
    if (backend.events) {
      // a queue with a vnet header may hand over a 64 KiB super-frame; a plain frame longer than the limit is dropped
      const room = spec.vnetHeader ? READ_ROOM : this.frameLimit + 1;
      reads = this.armed = new ArmedFrameReader(backend.events, spec.fd, packets, queues.takeReadArea(), room, plain);
    }
    let writes: FrameIo = plain;
    if (backend.kind !== 'fallback') {
      const ring = backend.frames(spec.fd);
      counters.push(ring.counters);
      writes = ring;
    }
    this.counters = counters;
    this.offload = null;
    if (spec.vnetHeader) {
      const scratchBytes = OffloadFrameIo.scratchBytes(capacity, frameRoom);
      const scratch = queues.takeScratch(scratchBytes);
      this.offloadIo = new OffloadFrameIo(reads, writes, packets, { kind: spec.kind, scratch, capacity, frameRoom, mtu: spec.mtu });
      this.offload = this.offloadIo.offload;
      reads = writes = this.offloadIo;
    }
    this.reads = reads;
    this.writes = writes;
  }

  /** Reads the frames that are ready (FrameIo.read); throws when the queue failed (e.g. its interface was deleted). */
  read(batch: FrameBatch): number {
    return this.reads.read(batch);
  }

  /** Writes entries [start, count); a full queue (EAGAIN) returns where it stopped, as FrameIo.write. */
  write(batch: FrameBatch, start?: number): number {
    return this.writes.write(batch, start);
  }

  /**
   * The worker woke for this queue: after an idle spell the frame that ended it is likely
   * alone, so the reads of this wake-up take only the armed frame; not so when the worker has
   * just `written` to the queue (what the kernel answered is not in the armed READ yet).
   */
  woke(now: number, written = false): void {
    const armed = this.armed;
    if (!armed) return;
    armed.armedOnly = !written && now - armed.lastReadAt >= IDLE_WAKE_MS;
    armed.lastReadAt = now;
  }

  /** Whether segments of a super-frame read earlier wait for slots: the queue may look empty meanwhile. */
  holdsSegments(): boolean {
    return this.offloadIo?.holdsSegments() ?? false;
  }

  /** Hands out only the segments held back (no read from the queue). */
  readHeld(batch: FrameBatch): number {
    if (this.offloadIo) return this.offloadIo.readHeld(batch);
    batch.count = 0;
    return 0;
  }

  /** Ends the armed READ, then closes the I/O and the fd; the areas serve the next queue. */
  close(): void {
    // the armed READ must end before the fd closes: it would complete into a reused buffer
    this.armed?.close();
    this.reads.close();
    if (this.writes !== this.reads) this.writes.close();
    close(this.fd);
    this.queues.giveBack(this.armed?.area ?? -1, this.offloadIo?.scratch ?? -1);
  }
}
