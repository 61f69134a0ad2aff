// The msghdr table behind a batch of UDP datagrams: one mmsghdr, one iovec and one control
// buffer per entry, in a native area whose addresses never change. recvmmsg/sendmmsg take
// the mmsghdr array as it is; io_uring's RECVMSG/SENDMSG take the msghdr inside each
// entry. Every header is rewritten per batch (a few word stores per entry), because the
// kernel shrinks msg_namelen and msg_controllen in place and GSO runs change the shape.
//
// Sending with GSO: a run of consecutive entries to one peer with equal lengths (the last
// may be shorter) becomes ONE message whose iovecs are those entries' buffers and whose
// UDP_SEGMENT control message tells the kernel the datagram size; the kernel splits it
// into the original datagrams. The buffers need not be contiguous. Entries with a local
// address carry it as a pktinfo control message (control-messages.ts), so a run shares one.
import type { DatagramBatch } from './batch.js';
import { readControl, RECEIVE_CONTROL_ROOM, SEND_CONTROL_ROOM, writePktinfo } from './control-messages.js';
import { Errno } from './libc.js';
import {
  Cmsghdr,
  cmsgLen,
  cmsgSpace,
  Iovec,
  MessageFlag,
  Mmsghdr,
  Msghdr,
  SOCKADDR_SLOT,
  SOL_UDP,
  UDP_MAX_PAYLOAD,
  UDP_MAX_SEGMENTS,
  UdpOption,
} from './linux-abi.js';
import { getU64, NativeArea, setU64, type PacketMemory } from './native-memory.js';
import { sameSockaddr, sockaddrLength } from './sockaddr.js';

/** Room per entry for the control messages of a receive (UDP_GRO, pktinfo) or a send (UDP_SEGMENT, pktinfo). */
const CONTROL_SLOT = Math.max(RECEIVE_CONTROL_ROOM, SEND_CONTROL_ROOM);
const GSO_CONTROL_LENGTH = cmsgSpace(2);

/**
 * Errors with which the kernel refuses a send's local address (it is no longer ours, or no
 * route leaves from it): fastd's send.c sends such a packet again without pktinfo.
 */
export function refusesLocal(code: number): boolean {
  return code === Errno.EINVAL || code === Errno.ENETUNREACH;
}

export class MessageTable {
  readonly capacity: number;
  /** Address of the mmsghdr array (message m's msghdr is at messages + m * Mmsghdr.SIZE). */
  readonly messages: number;
  /** For each planned send message: its first batch entry and how many entries it carries. */
  readonly firstEntry: Uint32Array;
  readonly entryCount: Uint16Array;
  private readonly area: NativeArea;
  /** Addresses of the iovec and control arrays; minus `messages` they are offsets into `area`. */
  private readonly iovecs: number;
  private readonly controls: number;

  constructor(
    private readonly packets: PacketMemory,
    capacity: number,
  ) {
    this.capacity = capacity;
    const messageBytes = capacity * Mmsghdr.SIZE;
    const iovecBytes = capacity * Iovec.SIZE;
    this.area = new NativeArea(messageBytes + iovecBytes + capacity * CONTROL_SLOT, 'msghdr table');
    this.messages = this.area.address;
    this.iovecs = this.messages + messageBytes;
    this.controls = this.iovecs + iovecBytes;
    this.firstEntry = new Uint32Array(capacity);
    this.entryCount = new Uint16Array(capacity);
  }

  /** Address of message m's msghdr. */
  messageAddress(m: number): number {
    return this.messages + m * Mmsghdr.SIZE;
  }

  /** Points messages [start, end) at the same entries' buffers, address slots and control room, ready to receive. */
  prepareReceive(batch: DatagramBatch, end: number, start = 0): void {
    const words = this.area.u32;
    const base = this.packets.base;
    for (let i = start; i < end; i++) {
      const msg = i * Mmsghdr.SIZE;
      const iov = this.iovecs - this.messages + i * Iovec.SIZE;
      setU64(words, iov + Iovec.BASE, base + batch.offsets[i]);
      setU64(words, iov + Iovec.LEN, batch.lengths[i]);
      this.writeHeader(msg, batch.addressesPointer + i * SOCKADDR_SLOT, SOCKADDR_SLOT, this.iovecs + i * Iovec.SIZE, 1, this.controls + i * CONTROL_SLOT, CONTROL_SLOT);
    }
  }

  /**
   * Records message i's outcome in the batch: its length, the GRO segment size and local
   * address from its control messages, and EMSGSIZE when it was truncated.
   */
  finishReceive(batch: DatagramBatch, i: number, length: number): void {
    const area = this.area;
    const msg = i * Mmsghdr.SIZE;
    batch.lengths[i] = length;
    batch.errors[i] = (area.view.getInt32(msg + Msghdr.FLAGS, true) & MessageFlag.TRUNC) !== 0 ? Errno.EMSGSIZE : 0;
    // the kernel shrinks msg_controllen to what it wrote
    const controlLength = Math.min(getU64(area.u32, msg + Msghdr.CONTROLLEN), CONTROL_SLOT);
    readControl(area.bytes, area.view, this.controls - this.messages + i * CONTROL_SLOT, controlLength, batch, i);
  }

  /** The msg_len recvmmsg/sendmmsg stored in message m. */
  messageLength(m: number): number {
    return this.area.view.getUint32(m * Mmsghdr.SIZE + Mmsghdr.LEN, true);
  }

  /**
   * Plans send messages for entries [start, count): with GSO, runs to one peer with equal
   * sizes share a message (entries before `gsoFrom` are always sent alone). Returns the
   * number of messages; firstEntry/entryCount map them back to entries.
   */
  planSends(batch: DatagramBatch, start: number, gso: boolean, gsoFrom = 0): number {
    const view = this.area.view;
    const words = this.area.u32;
    const base = this.packets.base;
    const end = Math.min(batch.count, start + this.capacity);
    let messages = 0;
    for (let i = start; i < end; i++) {
      const iov = this.iovecs - this.messages + (i - start) * Iovec.SIZE;
      setU64(words, iov + Iovec.BASE, base + batch.offsets[i]);
      setU64(words, iov + Iovec.LEN, batch.lengths[i]);
    }
    for (let i = start; i < end; messages++) {
      const run = gso && i >= gsoFrom ? this.runLength(batch, i, end) : 1;
      const msg = messages * Mmsghdr.SIZE;
      const control = this.controls + messages * CONTROL_SLOT;
      const at = control - this.messages;
      let controlLength = 0;
      if (run > 1) {
        setU64(words, at + Cmsghdr.LEN, cmsgLen(2));
        view.setInt32(at + Cmsghdr.LEVEL, SOL_UDP, true);
        view.setInt32(at + Cmsghdr.TYPE, UdpOption.SEGMENT, true);
        view.setUint16(at + Cmsghdr.DATA, batch.lengths[i], true);
        controlLength = GSO_CONTROL_LENGTH;
      }
      controlLength += writePktinfo(this.area.bytes, view, at + controlLength, batch, i);
      const nameLength = sockaddrLength(batch.addresses, i);
      this.writeHeader(msg, batch.addressesPointer + i * SOCKADDR_SLOT, nameLength, this.iovecs + (i - start) * Iovec.SIZE, run, controlLength === 0 ? 0 : control, controlLength);
      this.firstEntry[messages] = i;
      this.entryCount[messages] = run;
      i += run;
    }
    return messages;
  }

  release(): void {
    this.area.release();
  }

  // How many entries from i on can go as one GSO message: same peer and local address, same
  // size (the last may be shorter and ends the run), within the kernel's segment and size limits.
  private runLength(batch: DatagramBatch, i: number, end: number): number {
    const size = batch.lengths[i];
    if (size === 0) return 1;
    let total = size;
    let j = i + 1;
    while (j < end && j - i < UDP_MAX_SEGMENTS && batch.lengths[j] <= size && total + batch.lengths[j] <= UDP_MAX_PAYLOAD && batch.lengths[j] > 0 && sameSockaddr(batch.addressWords, i, j) && sameSockaddr(batch.localWords, i, j)) {
      total += batch.lengths[j];
      j++;
      if (batch.lengths[j - 1] < size) break;
    }
    return j - i;
  }

  private writeHeader(msg: number, name: number, nameLength: number, iov: number, iovCount: number, control: number, controlLength: number): void {
    const words = this.area.u32;
    setU64(words, msg + Msghdr.NAME, name);
    words[(msg + Msghdr.NAMELEN) >> 2] = nameLength;
    setU64(words, msg + Msghdr.IOV, iov);
    setU64(words, msg + Msghdr.IOVLEN, iovCount);
    setU64(words, msg + Msghdr.CONTROL, control);
    setU64(words, msg + Msghdr.CONTROLLEN, controlLength);
    words[(msg + Msghdr.FLAGS) >> 2] = 0;
    words[(msg + Mmsghdr.LEN) >> 2] = 0;
  }
}
