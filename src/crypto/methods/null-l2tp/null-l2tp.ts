// fastd's "null@l2tp" method (src/methods/null-l2tp): unencrypted packets framed as L2TPv3
// over UDP so that the kernel's L2TP offload could carry them. Only the packet format is
// implemented; the offload needs L2TP in the kernel. An empty payload is a keepalive and
// gets a control header in front of the session header, so the receiver's kernel passes it
// up to fastd: sealing one needs KEEPALIVE_HEADROOM bytes in front of it, not just the
// overhead. Stripping that control header on receipt is the datapath's job (fastd's
// receive.c does it for any packet type), so open sees the session header first.
import { BatchTable, batchEntries } from '../../batch-table.js';
import { PacketStatus, type MethodProvider, type MethodSession, type PacketBatch, type SessionFlags } from '../provider.js';
import {
  isFastdSessionHeader,
  L2TP_CONTROL_HEADER_BYTES,
  L2TP_SESSION_HEADER_BYTES,
  writeControlHeader,
  writeSessionHeader,
} from './l2tp-header.js';

export const KEEPALIVE_HEADROOM = L2TP_CONTROL_HEADER_BYTES + L2TP_SESSION_HEADER_BYTES;

class NullL2tpSession implements MethodSession {
  readonly initiator: boolean;
  private readonly table: BatchTable;
  private valid = true;

  constructor(flags: SessionFlags, memory: WebAssembly.Memory) {
    this.initiator = flags.initiator;
    this.table = BatchTable.of(memory);
  }

  seal(batch: PacketBatch): void {
    const bytes = this.table.bytes();
    const { offsets, lengths, status } = batch;
    for (let i = 0, n = batchEntries(batch); i < n; i++) {
      const headroom = lengths[i] === 0 ? KEEPALIVE_HEADROOM : L2TP_SESSION_HEADER_BYTES;
      if (offsets[i] < headroom || offsets[i] + lengths[i] > bytes.length) status[i] = PacketStatus.DropMalformed;
      else if (!this.valid) status[i] = PacketStatus.DropSession;
      else {
        writeSessionHeader(bytes, offsets[i] - L2TP_SESSION_HEADER_BYTES);
        if (lengths[i] === 0) writeControlHeader(bytes, offsets[i] - KEEPALIVE_HEADROOM);
        offsets[i] -= headroom;
        lengths[i] += headroom;
        status[i] = PacketStatus.Ok;
      }
    }
  }

  open(batch: PacketBatch): void {
    const bytes = this.table.bytes();
    const { offsets, lengths, status } = batch;
    for (let i = 0, n = batchEntries(batch); i < n; i++) {
      if (lengths[i] < L2TP_SESSION_HEADER_BYTES || offsets[i] + lengths[i] > bytes.length)
        status[i] = PacketStatus.DropMalformed;
      else if (!this.valid) status[i] = PacketStatus.DropSession;
      else if (!isFastdSessionHeader(bytes, offsets[i])) status[i] = PacketStatus.DropHeader;
      else {
        offsets[i] += L2TP_SESSION_HEADER_BYTES;
        lengths[i] -= L2TP_SESSION_HEADER_BYTES;
        status[i] = PacketStatus.Ok;
      }
    }
  }

  isValid(): boolean {
    return this.valid;
  }

  wantsRefresh(): boolean {
    return false;
  }

  /** As null: invalid at once. */
  supersede(): void {
    this.valid = false;
  }

  destroy(): void {
    this.valid = false;
  }
}

export const nullL2tpProvider: MethodProvider = {
  name: 'null@l2tp',
  keyLength: 0,
  overhead: L2TP_SESSION_HEADER_BYTES,
  createSession: (_secret, flags, _now, memory) => new NullL2tpSession(flags, memory),
};
