// Sessions of the keyless methods (null, null@l2tp): a fixed header in front of the payload,
// no nonce, no lifetime. Superseding invalidates a session at once, so that packets of a new
// session are never taken for the old one's. Subclasses say only how their header looks.
import { BatchTable, batchEntries } from '../batch-table.js';
import { PacketStatus, type MethodSession, type PacketBatch, type SessionFlags } from './provider.js';

export abstract class UnkeyedSession implements MethodSession {
  readonly initiator: boolean;
  private readonly table: BatchTable;
  private valid = true;

  constructor(
    flags: SessionFlags,
    memory: WebAssembly.Memory,
    /** Bytes of header every packet carries, stripped by open. */
    private readonly headerBytes: number,
  ) {
    this.initiator = flags.initiator;
    this.table = BatchTable.of(memory);
  }

  /** Bytes seal writes in front of a payload of this length (at least headerBytes). */
  protected abstract headroomFor(payloadLength: number): number;
  /** Writes the header(s) for the payload at `payloadAt` into the headroom before it. */
  protected abstract writeHeader(bytes: Uint8Array, payloadAt: number, payloadLength: number): void;
  /** Whether the header at `at` is one this method accepts. */
  protected abstract acceptsHeader(bytes: Uint8Array, at: number): boolean;

  seal(batch: PacketBatch): void {
    const bytes = this.table.bytes();
    const { offsets, lengths, status } = batch;
    for (let i = 0, n = batchEntries(batch); i < n; i++) {
      const headroom = this.headroomFor(lengths[i]);
      if (offsets[i] < headroom || offsets[i] + lengths[i] > bytes.length) status[i] = PacketStatus.DropMalformed;
      else if (!this.valid) status[i] = PacketStatus.DropSession;
      else {
        this.writeHeader(bytes, offsets[i], lengths[i]);
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
      if (lengths[i] < this.headerBytes || offsets[i] + lengths[i] > bytes.length) status[i] = PacketStatus.DropMalformed;
      else if (!this.valid) status[i] = PacketStatus.DropSession;
      else if (!this.acceptsHeader(bytes, offsets[i])) status[i] = PacketStatus.DropHeader;
      else {
        offsets[i] += this.headerBytes;
        lengths[i] -= this.headerBytes;
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
