// A TUN/TAP queue opened with IFF_VNET_HDR and TUNSETOFFLOAD, behind the ordinary FrameIo
// contract: the datapath keeps seeing complete frames of at most the interface MTU, while
// the kernel hands us TCP super-frames (cut up here, tso.ts) and takes coalesced ones
// (built here, tcp-gro.ts). The fastd wire is unchanged: one frame per fastd packet.
//
// Reads go one kernel frame at a time (the queue's own reader, one read(2) each) into a
// scratch buffer big enough for a 64 KiB super-frame, whose segments are then written into the caller's slots; a super-frame
// with more segments than free slots is continued on the next call. Writes copy each frame
// (or a flow's run of frames, coalesced) behind a virtio_net_hdr into a scratch area and
// hand those to the queue's own writer (io_uring or write(2)) as one batch: the headers
// cannot be put in front of the caller's frames in place, since with UDP GRO the frames of
// consecutive datagrams lie only a packet header apart.
import { type PacketCopy, packetCopy } from '../../bufferpool/packet-copy.js';
import { packetSum } from './packet-sum.js';
import { createFrameBatch, type FrameBatch, type FrameIo } from '../batch.js';
import { Errno } from '../libc.js';
import type { PacketMemory } from '../native-memory.js';
import { VirtioNetHdr } from '../linux-abi.js';
import { Ethernet, IP_MAX_LENGTH, Ipv6, VirtioFlag, VirtioGso } from './headers.js';
import { parseTcpSegment, TcpFlowGroup, TcpSegment } from './tcp-gro.js';
import { completeChecksum, parseSuperFrame, segmentLength, SuperFrame, writeSegment } from './tso.js';
import { writePlainHeader } from './virtio-header.js';

/** What the offloads did, to prove they are used and to count what they refused. */
export interface OffloadCounters {
  /** TSO super-frames read and cut into frames, and the frames they gave. */
  segmented: number;
  segments: number;
  /** Frames read whose partial (NEEDS_CSUM) checksum we completed. */
  checksummed: number;
  /** Frames read that could not be turned into valid frames (truncated, inconsistent headers): dropped. */
  dropped: number;
  /** Super-frames written, and the frames coalesced into them. */
  coalesced: number;
  coalescedFrames: number;
}

export interface OffloadFrameIoOptions {
  readonly kind: 'tap' | 'tun';
  /** Offset of OffloadFrameIo.scratchBytes(capacity, frameRoom) bytes of packet memory for this queue alone. */
  readonly scratch: number;
  /** Most frames per write batch. */
  readonly capacity: number;
  /** Longest frame written. */
  readonly frameRoom: number;
  /**
   * The interface MTU: frames read, and segments cut, longer than it (plus the link header)
   * are dropped, as fastd never sends such a frame.
   */
  readonly mtu: number;
}

const HEADER = VirtioNetHdr.SIZE;
/** The longest frame the kernel may hand over: a 64 KiB IPv6 payload behind its headers. */
export const READ_ROOM = HEADER + Ethernet.SIZE + Ipv6.SIZE + IP_MAX_LENGTH;

export class OffloadFrameIo implements FrameIo {
  readonly offload: OffloadCounters = { segmented: 0, segments: 0, checksummed: 0, dropped: 0, coalesced: 0, coalescedFrames: 0 };
  /** The packet memory this queue was given (OffloadFrameIoOptions.scratch), for reuse once it is closed. */
  readonly scratch: number;
  private readonly linkHeader: number;
  private readonly maxFrame: number;
  private readonly raw: number;
  /** The reader's one slot: the read buffer. */
  private readonly rawBatch = createFrameBatch(1);
  private readonly writeStart: number;
  private readonly writeEnd: number;
  /** The super-frame in the read buffer and the next of its segments to hand out (none when next = count). */
  private readonly superFrame = new SuperFrame();
  private nextSegment = 0;
  /** What the writer gets: one entry per frame or super-frame, with the caller's entries it covers. */
  private readonly out: FrameBatch;
  private readonly firstOf: Uint32Array;
  private readonly lastOf: Uint32Array;
  private readonly segment = new TcpSegment();
  private readonly group: TcpFlowGroup;
  private readonly bytes: Uint8Array;
  private readonly copy: PacketCopy;

  /** Packet memory a queue with `capacity`-frame write batches of frames up to `frameRoom` bytes needs. */
  static scratchBytes(capacity: number, frameRoom: number): number {
    return READ_ROOM + Math.max(READ_ROOM, capacity * (HEADER + frameRoom));
  }

  /**
   * `reader` and `writer` move frames with their virtio_net_hdr to and from the queue (e.g.
   * FallbackFrameIo and the backend's writer); `packets` is the packet memory they address.
   */
  constructor(
    private readonly reader: FrameIo,
    private readonly writer: FrameIo,
    packets: PacketMemory,
    options: OffloadFrameIoOptions,
  ) {
    this.bytes = packets.bytes;
    this.copy = packetCopy(packets.memory);
    this.group = new TcpFlowGroup(this.copy, packetSum(packets.memory));
    this.linkHeader = options.kind === 'tap' ? Ethernet.SIZE : 0;
    this.maxFrame = this.linkHeader + options.mtu;
    this.scratch = options.scratch;
    this.raw = options.scratch;
    this.rawBatch.offsets[0] = this.raw;
    this.writeStart = options.scratch + READ_ROOM;
    this.writeEnd = options.scratch + OffloadFrameIo.scratchBytes(options.capacity, options.frameRoom);
    this.out = createFrameBatch(options.capacity);
    this.firstOf = new Uint32Array(options.capacity);
    this.lastOf = new Uint32Array(options.capacity);
  }

  read(batch: FrameBatch): number {
    const raw = this.rawBatch;
    let count = this.continueSuperFrame(batch, 0);
    while (count < batch.capacity) {
      raw.lengths[0] = READ_ROOM;
      try {
        if (this.reader.read(raw) === 0) break;
      } catch (error) {
        // the frames we have go first; the error comes back on the next call
        if (count > 0) break;
        throw error;
      }
      count = this.takeFrame(batch, count, raw.lengths[0]);
    }
    batch.count = count;
    return count;
  }

  /** Whether segments of a super-frame read earlier wait for slots: the queue may look empty meanwhile. */
  holdsSegments(): boolean {
    return this.nextSegment < this.superFrame.segmentCount;
  }

  /** Hands out only the segments held back (no read from the queue). */
  readHeld(batch: FrameBatch): number {
    batch.count = this.continueSuperFrame(batch, 0);
    return batch.count;
  }

  // One frame as the kernel gave it (virtio_net_hdr first): into slots [count, ...).
  private takeFrame(batch: FrameBatch, count: number, received: number): number {
    const bytes = this.bytes;
    const header = this.raw;
    const frame = header + HEADER;
    const length = received - HEADER;
    if (length <= 0) {
      this.offload.dropped++;
      return count;
    }
    if (bytes[header + VirtioNetHdr.GSO_TYPE] === VirtioGso.NONE) {
      // the kernel passes a GSO-marked frame too short to segment on as one, whatever its length
      if (length > batch.lengths[count] || length > this.maxFrame || !completeChecksum(bytes, header, frame, length)) {
        this.offload.dropped++;
        return count;
      }
      if ((bytes[header + VirtioNetHdr.FLAGS] & VirtioFlag.NEEDS_CSUM) !== 0) this.offload.checksummed++;
      this.copy(batch.offsets[count], frame, length);
      batch.lengths[count] = length;
      batch.errors[count] = 0;
      return count + 1;
    }
    // segment 0 is the longest: a gso_size over the MTU (the kernel does not check it) spoils all of them
    if (!parseSuperFrame(bytes, header, frame, length, this.linkHeader, this.superFrame) || segmentLength(this.superFrame, 0) > this.maxFrame) {
      this.offload.dropped++;
      // a parse that got as far as the MTU check set the segment count: none of them is to be handed out
      this.nextSegment = this.superFrame.segmentCount;
      return count;
    }
    this.offload.segmented++;
    this.nextSegment = 0;
    return this.continueSuperFrame(batch, count);
  }

  // Hands out the super-frame's segments that are left, as far as the slots go.
  private continueSuperFrame(batch: FrameBatch, count: number): number {
    const superFrame = this.superFrame;
    const frame = this.raw + HEADER;
    while (this.nextSegment < superFrame.segmentCount && count < batch.capacity) {
      const k = this.nextSegment++;
      if (segmentLength(superFrame, k) > batch.lengths[count]) {
        // segments larger than the MTU: the kernel ignored it; none of them could be sent
        this.offload.dropped++;
        this.nextSegment = superFrame.segmentCount;
        break;
      }
      batch.lengths[count] = writeSegment(this.bytes, frame, superFrame, k, batch.offsets[count]);
      batch.errors[count] = 0;
      this.offload.segments++;
      count++;
    }
    return count;
  }

  write(batch: FrameBatch, start = 0): number {
    const bytes = this.bytes;
    const group = this.group;
    const segment = this.segment;
    const out = this.out;
    out.count = 0;
    let grouping = false;
    let at = this.writeStart;
    for (let i = start; i < batch.count; i++) {
      const frame = batch.offsets[i];
      const length = batch.lengths[i];
      const isSegment = parseTcpSegment(bytes, frame, length, this.linkHeader, segment);
      if (grouping) {
        if (isSegment && group.tryAppend(bytes, frame, segment, this.writeEnd - group.frame)) {
          this.lastOf[out.count - 1] = i;
          continue;
        }
        at = this.closeGroup();
        grouping = false;
      }
      if (HEADER + length > this.writeEnd - this.writeStart) {
        batch.errors[i] = Errno.EMSGSIZE;
        continue;
      }
      if (at + HEADER + length > this.writeEnd || out.count === out.capacity) {
        const stoppedAt = this.flush(batch);
        if (stoppedAt >= 0) return stoppedAt;
        at = this.writeStart;
      }
      const entry = out.count++;
      out.offsets[entry] = at;
      this.firstOf[entry] = i;
      this.lastOf[entry] = i;
      this.copy(at + HEADER, frame, length);
      if (isSegment) {
        group.start(at + HEADER, length, this.linkHeader, segment);
        grouping = true;
      } else {
        writePlainHeader(bytes, at);
        out.lengths[entry] = HEADER + length;
        at += HEADER + length;
      }
    }
    if (grouping) this.closeGroup();
    const stoppedAt = this.flush(batch);
    return stoppedAt >= 0 ? stoppedAt : batch.count;
  }

  // Completes the open group as the last entry of `out`; returns where the next entry goes.
  private closeGroup(): number {
    const group = this.group;
    const header = group.frame - HEADER;
    group.finish(this.bytes, header);
    this.out.lengths[this.out.count - 1] = HEADER + group.length;
    return group.frame + group.length;
  }

  // Writes `out`; returns -1 when all of it was dealt with, else the caller's index to resume from.
  private flush(batch: FrameBatch): number {
    const out = this.out;
    if (out.count === 0) return -1;
    const done = this.writer.write(out, 0);
    for (let e = 0; e < done; e++) {
      const first = this.firstOf[e];
      const last = this.lastOf[e];
      batch.errors.fill(out.errors[e], first, last + 1);
      if (last > first && out.errors[e] === 0) {
        this.offload.coalesced++;
        this.offload.coalescedFrames += last - first + 1;
      }
    }
    const stoppedAt = done < out.count ? this.firstOf[done] : -1;
    out.count = 0;
    return stoppedAt;
  }

  close(): void {
    this.reader.close();
    this.writer.close();
  }
}
