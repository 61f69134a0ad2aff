// fastd's "null" method (src/methods/null): no encryption, no authentication, no nonce. A
// packet is the packet type byte followed by the payload (doc/source/devel/protocol.rst).
// Superseding invalidates the session at once, so that packets of a new session are never
// taken for the old one's.
import { BatchTable, batchEntries } from '../../batch-table.js';
import { HEADER_TYPE_OFFSET, PACKET_DATA, PACKET_DATA_COMPAT } from '../common-header.js';
import { PacketStatus, type MethodProvider, type MethodSession, type PacketBatch, type SessionFlags } from '../provider.js';

/** The packet type byte is all the null method adds. */
export const NULL_OVERHEAD = 1;

class NullSession implements MethodSession {
  readonly initiator: boolean;
  private readonly packetType: number;
  private readonly table: BatchTable;
  private valid = true;

  constructor(flags: SessionFlags, memory: WebAssembly.Memory) {
    this.initiator = flags.initiator;
    this.packetType = flags.compat ? PACKET_DATA_COMPAT : PACKET_DATA;
    this.table = BatchTable.of(memory);
  }

  seal(batch: PacketBatch): void {
    const bytes = this.table.bytes();
    const { offsets, lengths, status } = batch;
    for (let i = 0, n = batchEntries(batch); i < n; i++) {
      if (offsets[i] < NULL_OVERHEAD || offsets[i] + lengths[i] > bytes.length) status[i] = PacketStatus.DropMalformed;
      else if (!this.valid) status[i] = PacketStatus.DropSession;
      else {
        offsets[i] -= NULL_OVERHEAD;
        lengths[i] += NULL_OVERHEAD;
        bytes[offsets[i] + HEADER_TYPE_OFFSET] = this.packetType;
        status[i] = PacketStatus.Ok;
      }
    }
  }

  open(batch: PacketBatch): void {
    const bytes = this.table.bytes();
    const { offsets, lengths, status } = batch;
    for (let i = 0, n = batchEntries(batch); i < n; i++) {
      const type = bytes[offsets[i] + HEADER_TYPE_OFFSET];
      if (lengths[i] < NULL_OVERHEAD || offsets[i] + lengths[i] > bytes.length) status[i] = PacketStatus.DropMalformed;
      else if (!this.valid) status[i] = PacketStatus.DropSession;
      // fastd's receive path hands either data packet type to the method
      else if (type !== PACKET_DATA && type !== PACKET_DATA_COMPAT) status[i] = PacketStatus.DropHeader;
      else {
        offsets[i] += NULL_OVERHEAD;
        lengths[i] -= NULL_OVERHEAD;
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

  supersede(): void {
    this.valid = false;
  }

  destroy(): void {
    this.valid = false;
  }
}

export const nullProvider: MethodProvider = {
  name: 'null',
  keyLength: 0,
  overhead: NULL_OVERHEAD,
  createSession: (_secret, flags, _now, memory) => new NullSession(flags, memory),
};
