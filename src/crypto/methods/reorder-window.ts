// fastd's receive-side replay protection (src/methods/common.c): the highest nonce received
// so far, a bitmap of which of the 64 nonces before it were seen, and a timeout after which
// no packet older than the highest one is accepted any more. Nonces of one direction all
// have the same parity, so "one step" is 2 in nonce space.
//
// The 64-bit bitmap is kept as two u32 halves: BigInt would allocate on every packet.
// Not safe for concurrent use: one window belongs to one session on one thread.
import { PacketStatus } from './provider.js';

/** How many nonces before the newest one may still arrive late (fastd's uint64_t bitmap). */
export const REORDER_WINDOW = 64;
/** After this long without a newer packet, older packets are no longer accepted (build.h REORDER_TIME, ms). */
export const REORDER_TIME = 10_000;

/** What `admit` answers for a nonce that may be accepted: in order, reordered, or rejected. */
type AdmitStatus =
  | typeof PacketStatus.Ok
  | typeof PacketStatus.Reordered
  | typeof PacketStatus.DropHeader
  | typeof PacketStatus.DropReplay;

export class ReorderWindow {
  /** The highest nonce accepted so far (fastd's receive_nonce). */
  private newest: number;
  private timeout = -Infinity;
  /** Bit k set: nonce newest - 2(k+1) was seen. */
  private seenLow = 0;
  private seenHigh = 0;

  /** The initiator receives the responder's even nonces (first 2), the responder the odd ones (first 3). */
  constructor(initiator: boolean) {
    this.newest = initiator ? 0 : 1;
  }

  /**
   * Whether a nonce has the parity the peer sends. fastd tests the low bit of the nonce's first
   * (most significant) byte, which never differs in practice; testing the real parity accepts
   * every packet a fastd peer sends and also rejects our own packets reflected back at us.
   */
  hasPeerParity(nonce: number): boolean {
    return nonce % 2 === this.newest % 2;
  }

  /**
   * fastd_method_is_nonce_valid followed by fastd_method_reorder_check, for a packet whose tag
   * has been verified: records the nonce and says whether the packet is new, reordered, or
   * a duplicate / too old (DropReplay). Wrong parity is DropHeader.
   */
  admit(nonce: number, now: number): AdmitStatus {
    if (!this.hasPeerParity(nonce)) return PacketStatus.DropHeader;
    const age = (this.newest - nonce) / 2;
    if (age < 0) {
      this.advance(-age);
      this.newest = nonce;
      this.timeout = now + REORDER_TIME;
      return PacketStatus.Ok;
    }
    if (this.timeout <= now || age > REORDER_WINDOW) return PacketStatus.DropReplay;
    if (age === 0 || this.seen(age - 1)) return PacketStatus.DropReplay;
    this.mark(age - 1);
    return PacketStatus.Reordered;
  }

  /** Shifts the bitmap for a nonce `steps` newer than the newest, marking the old newest as seen. */
  private advance(steps: number): void {
    if (steps >= REORDER_WINDOW) {
      this.seenLow = 0;
      this.seenHigh = 0;
    } else if (steps >= 32) {
      this.seenHigh = this.seenLow << (steps - 32);
      this.seenLow = 0;
    } else {
      this.seenHigh = (this.seenHigh << steps) | (this.seenLow >>> (32 - steps));
      this.seenLow <<= steps;
    }
    if (steps <= REORDER_WINDOW) this.mark(steps - 1);
  }

  private seen(bit: number): boolean {
    return bit < 32 ? (this.seenLow & (1 << bit)) !== 0 : (this.seenHigh & (1 << (bit - 32))) !== 0;
  }

  private mark(bit: number): void {
    if (bit < 32) this.seenLow |= 1 << bit;
    else this.seenHigh |= 1 << (bit - 32);
  }
}
