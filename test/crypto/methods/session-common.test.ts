import { describe, expect, it } from 'vitest';
import { COMMON_OVERHEAD, readNonce } from '../../../src/crypto/methods/common-header.js';
import { PacketStatus, type PacketBatch } from '../../../src/crypto/methods/provider.js';
import {
  KEY_REFRESH,
  KEY_VALID,
  KEY_VALID_OLD,
  SessionCommon,
} from '../../../src/crypto/methods/session-common.js';
import { PacketType } from '../../../src/protocol/wire.js';
import { batchOf as memoryBatchOf } from '../../helpers/packet-memory.js';

const memory = new WebAssembly.Memory({ initial: 2, maximum: 16, shared: true });
const bytes = new Uint8Array(memory.buffer);

/** A batch over the regions, every status not yet written (0xff). */
function batchOf(entries: [offset: number, length: number][]): PacketBatch {
  const batch = memoryBatchOf(memory, entries);
  batch.status.fill(0xff);
  return batch;
}

/** fastd_method_increment_nonce, byte for byte. */
function fastdIncrement(nonce: Uint8Array): void {
  nonce[5] += 2;
  if (!(nonce[5] & ~1)) for (let i = 4; i >= 0; i--) if (++nonce[i] & 0xff) break;
}

const flags = (initiator: boolean, compat = false) => ({ initiator, compat });

describe('SessionCommon (fastd methods/common.h)', () => {
  it('sends nonces 3, 5, 7, … (initiator) with fastd’s carry, in the header of each sealed packet', () => {
    const session = new SessionCommon(flags(true), 0, COMMON_OVERHEAD, 0);
    const expected = new Uint8Array([0, 0, 0, 0, 0, 3]);
    for (let round = 0; round < 3; round++) {
      const batch = batchOf(Array.from({ length: 200 }, (_, i) => [1024 + 32 * i, 4] as [number, number]));
      session.frameForSeal(batch, bytes, 0);
      for (let i = 0; i < batch.count; i++) {
        expect(batch.status[i]).toBe(PacketStatus.Ok);
        expect(batch.offsets[i]).toBe(1024 + 32 * i - COMMON_OVERHEAD);
        expect(batch.lengths[i]).toBe(4 + COMMON_OVERHEAD);
        const at = batch.offsets[i];
        expect([bytes[at], bytes[at + 1]]).toEqual([PacketType.Data, 0]);
        expect(Array.from(bytes.subarray(at + 2, at + 8))).toEqual(Array.from(expected));
        fastdIncrement(expected);
      }
    }
  });

  it('starts the responder at 2 and uses the compat packet type for pre-v22 peers', () => {
    const session = new SessionCommon(flags(false, true), 0, COMMON_OVERHEAD, 0);
    const batch = batchOf([[2048, 10]]);
    session.frameForSeal(batch, bytes, 0);
    expect(bytes[batch.offsets[0]]).toBe(PacketType.DataCompat);
    expect(readNonce(bytes, batch.offsets[0])).toBe(2);
  });

  it('drops payloads without headroom or past the memory, and everything once expired', () => {
    const session = new SessionCommon(flags(true), 100, COMMON_OVERHEAD, 0);
    const batch = batchOf([
      [COMMON_OVERHEAD - 1, 10],
      [bytes.length - 5, 6],
      [4096, 0],
    ]);
    session.frameForSeal(batch, bytes, 100);
    expect(Array.from(batch.status)).toEqual([PacketStatus.DropMalformed, PacketStatus.DropMalformed, PacketStatus.Ok]);
    const late = batchOf([[4096, 10]]);
    session.frameForSeal(late, bytes, 100 + KEY_VALID);
    expect(late.status[0]).toBe(PacketStatus.DropSession);
    expect(late.offsets[0]).toBe(4096);
  });

  it('is valid for KEY_VALID, at most KEY_VALID_OLD more once superseded', () => {
    const session = new SessionCommon(flags(false), 1000, COMMON_OVERHEAD, 0);
    expect(session.isValid(1000 + KEY_VALID - 1)).toBe(true);
    expect(session.isValid(1000 + KEY_VALID)).toBe(false);
    session.supersede(5000);
    expect(session.isValid(5000 + KEY_VALID_OLD - 1)).toBe(true);
    expect(session.isValid(5000 + KEY_VALID_OLD)).toBe(false);
    // superseding never extends the lifetime
    session.supersede(1000 + KEY_VALID);
    expect(session.isValid(5000 + KEY_VALID_OLD)).toBe(false);
  });

  it('wants a refresh after KEY_REFRESH minus the splay, on the initiator only', () => {
    const initiator = new SessionCommon(flags(true), 0, COMMON_OVERHEAD, 1234);
    expect(initiator.wantsRefresh(KEY_REFRESH - 1234 - 1)).toBe(false);
    expect(initiator.wantsRefresh(KEY_REFRESH - 1234)).toBe(true);
    const responder = new SessionCommon(flags(false), 0, COMMON_OVERHEAD, 1234);
    expect(responder.wantsRefresh(KEY_VALID - 1)).toBe(false);
  });

  it('checks length, type, flags and parity before opening, then admits through the window', () => {
    const sender = new SessionCommon(flags(false), 0, COMMON_OVERHEAD, 0);
    const receiver = new SessionCommon(flags(true), 0, COMMON_OVERHEAD, 0);
    const sealed = batchOf(Array.from({ length: 6 }, (_, i) => [8192 + 64 * i, 8] as [number, number]));
    sender.frameForSeal(sealed, bytes, 0);
    bytes[sealed.offsets[1]] = PacketType.DataCompat; // wrong type
    bytes[sealed.offsets[2] + 1] = 1; // flags set
    bytes[sealed.offsets[3] + 7] |= 1; // our own parity: a reflected packet
    const open = batchOf([
      [sealed.offsets[0], sealed.lengths[0]],
      [sealed.offsets[1], sealed.lengths[1]],
      [sealed.offsets[2], sealed.lengths[2]],
      [sealed.offsets[3], sealed.lengths[3]],
      [sealed.offsets[4], COMMON_OVERHEAD - 1],
      [sealed.offsets[5], sealed.lengths[5]],
      [sealed.offsets[0], sealed.lengths[0]],
    ]);
    receiver.checkForOpen(open, bytes, 1);
    expect(Array.from(open.status)).toEqual([
      PacketStatus.Ok,
      PacketStatus.DropHeader,
      PacketStatus.DropHeader,
      PacketStatus.DropHeader,
      PacketStatus.DropMalformed,
      PacketStatus.Ok,
      PacketStatus.Ok,
    ]);
    receiver.admitOpened(open, bytes, 1);
    // packets 0 and 5 are new, the second copy of packet 0 is a replay
    expect(open.status[0]).toBe(PacketStatus.Ok);
    expect(open.status[5]).toBe(PacketStatus.Ok);
    expect(open.status[6]).toBe(PacketStatus.DropReplay);
    expect(open.offsets[0]).toBe(sealed.offsets[0] + COMMON_OVERHEAD);
    expect(open.lengths[0]).toBe(8);
    expect(open.offsets[6]).toBe(sealed.offsets[0]);
    const expired = batchOf([[sealed.offsets[0], sealed.lengths[0]]]);
    receiver.checkForOpen(expired, bytes, KEY_VALID);
    expect(expired.status[0]).toBe(PacketStatus.DropSession);
  });
});
