// The state every non-null method session shares (fastd's fastd_method_common_t): the send
// nonce, the receive reorder window, and the session's lifetime. Also the per-batch header
// passes that run before and after a provider's cipher/MAC kernels, so that every provider
// frames, checks and accounts packets identically.
//
// Open must leave a packet it drops before the reorder check byte for byte as it came in:
// the datapath then tries the same packet with the other session, as fastd tries the old
// session first and the new one after it (protocols/ec25519_fhmqvc, protocol_handle_recv).
import {
  HEADER_FLAGS_NONE,
  HEADER_FLAGS_OFFSET,
  HEADER_TYPE_OFFSET,
  NONCE_SPACE,
  TAG_BYTES,
  TAG_OFFSET,
  readNonce,
  writeHeader,
} from './common-header.js';
import { PacketType } from '../../protocol/wire.js';
import { BatchTable, batchEntries } from '../batch-table.js';
import { PacketStatus, type MethodSession, type PacketBatch, type SessionFlags } from './provider.js';
import { ReorderWindow } from './reorder-window.js';

/** How long a session is valid (build.h KEY_VALID, ms). */
export const KEY_VALID = 3_600_000;
/** How long a superseded session stays valid at most (KEY_VALID_OLD, ms). */
export const KEY_VALID_OLD = 60_000;
/** When the initiator starts a new handshake (KEY_REFRESH, ms)... */
export const KEY_REFRESH = 3_300_000;
/** ...minus a random time below this, so that peers do not refresh in lockstep (KEY_REFRESH_SPLAY, ms). */
export const KEY_REFRESH_SPLAY = 300_000;

/** First nonces: the initiator sends the odd ones, the responder the even ones. */
const INITIATOR_FIRST_NONCE = 3;
const RESPONDER_FIRST_NONCE = 2;
/** Each side uses every other nonce. */
const NONCE_STEP = 2;
/** Send nonce from which the session wants a refresh: first byte 0xff. */
const NONCE_REFRESH_FROM = 0xff * 2 ** 40;
/** Send nonce from which the session is invalid: first two bytes 0xff 0xff. */
const NONCE_EXHAUSTED_FROM = 0xffff * 2 ** 32;

export class SessionCommon {
  readonly initiator: boolean;
  readonly packetType: number;
  /** Bytes between a sealed packet's start and its payload (the provider's overhead). */
  readonly overhead: number;
  private sendNonce: number;
  private validTill: number;
  private readonly refreshAfter: number;
  private readonly window: ReorderWindow;

  /** `splay` is the random part of the refresh time; tests pass it to be deterministic. */
  constructor(flags: SessionFlags, now: number, overhead: number, splay = Math.floor(Math.random() * KEY_REFRESH_SPLAY)) {
    this.initiator = flags.initiator;
    this.packetType = flags.compat ? PacketType.DataCompat : PacketType.Data;
    this.overhead = overhead;
    this.sendNonce = flags.initiator ? INITIATOR_FIRST_NONCE : RESPONDER_FIRST_NONCE;
    this.validTill = now + KEY_VALID;
    this.refreshAfter = now + KEY_REFRESH - splay;
    this.window = new ReorderWindow(flags.initiator);
  }

  /** fastd_method_session_common_is_valid. */
  isValid(now: number): boolean {
    return this.sendNonce < NONCE_EXHAUSTED_FROM && this.validTill > now;
  }

  /** fastd_method_session_common_want_refresh. */
  wantsRefresh(now: number): boolean {
    return this.sendNonce >= NONCE_REFRESH_FROM || (this.initiator && this.refreshAfter <= now);
  }

  /** fastd_method_session_common_superseded. */
  supersede(now: number): void {
    this.validTill = Math.min(this.validTill, now + KEY_VALID_OLD);
  }

  /**
   * Seal pass 1: frames every payload in place. For entry i the payload at offsets[i] gets
   * the header written `overhead` bytes before it (the tag block between them is left to the
   * provider); offsets/lengths then describe the whole sealed packet and status is Ok. A
   * payload without room for the overhead in front, or running past the memory, is
   * DropMalformed; with the session invalid or out of nonces, DropSession.
   */
  frameForSeal(batch: PacketBatch, bytes: Uint8Array, now: number): void {
    const { offsets, lengths, status } = batch;
    const valid = this.isValid(now);
    for (let i = 0, n = batchEntries(batch); i < n; i++) {
      const start = offsets[i] - this.overhead;
      if (start < 0 || offsets[i] + lengths[i] > bytes.length) {
        status[i] = PacketStatus.DropMalformed;
      } else if (!valid || this.sendNonce >= NONCE_EXHAUSTED_FROM) {
        status[i] = PacketStatus.DropSession;
      } else {
        writeHeader(bytes, start, this.packetType, this.sendNonce);
        this.sendNonce = (this.sendNonce + NONCE_STEP) % NONCE_SPACE;
        offsets[i] = start;
        lengths[i] += this.overhead;
        status[i] = PacketStatus.Ok;
      }
    }
  }

  /**
   * Open pass 1: checks what can be checked before authentication. Too short for the
   * overhead or past the memory: DropMalformed; session invalid: DropSession; wrong packet
   * type, nonzero flags or the wrong nonce parity: DropHeader; otherwise Ok, ready for the
   * provider's kernels (which may set DropAuth).
   */
  checkForOpen(batch: PacketBatch, bytes: Uint8Array, now: number): void {
    const { offsets, lengths, status } = batch;
    const valid = this.isValid(now);
    for (let i = 0, n = batchEntries(batch); i < n; i++) {
      const at = offsets[i];
      if (lengths[i] < this.overhead || at + lengths[i] > bytes.length) status[i] = PacketStatus.DropMalformed;
      else if (!valid) status[i] = PacketStatus.DropSession;
      else if (
        bytes[at + HEADER_TYPE_OFFSET] !== this.packetType ||
        bytes[at + HEADER_FLAGS_OFFSET] !== HEADER_FLAGS_NONE ||
        !this.window.hasPeerParity(readNonce(bytes, at))
      )
        status[i] = PacketStatus.DropHeader;
      else status[i] = PacketStatus.Ok;
    }
  }

  /**
   * Open pass 2, after the kernels verified (and decrypted) the Ok entries: runs each through
   * the reorder window in batch order, exactly as fastd does packet by packet, and moves
   * offsets/lengths of the accepted ones onto their payload.
   */
  admitOpened(batch: PacketBatch, bytes: Uint8Array, now: number): void {
    const { offsets, lengths, status } = batch;
    for (let i = 0, n = batchEntries(batch); i < n; i++) {
      if (status[i] !== PacketStatus.Ok) continue;
      const verdict = this.window.admit(readNonce(bytes, offsets[i]), now);
      status[i] = verdict;
      if (verdict === PacketStatus.Ok || verdict === PacketStatus.Reordered) {
        offsets[i] += this.overhead;
        lengths[i] -= this.overhead;
      }
    }
  }
}

/**
 * The lifecycle half of every non-null method session, delegated to SessionCommon; a
 * provider adds seal, open and destroy around its kernels.
 */
export abstract class CommonMethodSession implements MethodSession {
  protected readonly common: SessionCommon;
  /** The memory's batch table, which the provider's kernels read. */
  protected readonly table: BatchTable;

  constructor(flags: SessionFlags, now: number, overhead: number, memory: WebAssembly.Memory) {
    this.common = new SessionCommon(flags, now, overhead);
    this.table = BatchTable.of(memory);
  }

  get initiator(): boolean {
    return this.common.initiator;
  }

  isValid(now: number): boolean {
    return this.common.isValid(now);
  }

  wantsRefresh(now: number): boolean {
    return this.common.wantsRefresh(now);
  }

  supersede(now: number): void {
    this.common.supersede(now);
  }

  abstract seal(batch: PacketBatch, now: number): void;
  abstract open(batch: PacketBatch, now: number): void;
  abstract destroy(): void;
}

/** Zeroes the tag block of every Ok entry, which the methods XOR their tag pad and MAC into. */
export function clearTagBlocks(batch: PacketBatch, bytes: Uint8Array): void {
  for (let i = 0, n = batchEntries(batch); i < n; i++) {
    if (batch.status[i] !== PacketStatus.Ok) continue;
    const at = batch.offsets[i] + TAG_OFFSET;
    bytes.fill(0, at, at + TAG_BYTES);
  }
}
