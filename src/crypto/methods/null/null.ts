// fastd's "null" method (src/methods/null): no encryption, no authentication, no nonce. A
// packet is the packet type byte followed by the payload (doc/source/devel/protocol.rst).
import { PacketType } from '../../../protocol/wire.js';
import { HEADER_TYPE_OFFSET } from '../common-header.js';
import type { MethodProvider, SessionFlags } from '../provider.js';
import { UnkeyedSession } from '../unkeyed-session.js';

/** The packet type byte is all the null method adds. */
const NULL_OVERHEAD = 1;

class NullSession extends UnkeyedSession {
  private readonly packetType: number;

  constructor(flags: SessionFlags, memory: WebAssembly.Memory) {
    super(flags, memory, NULL_OVERHEAD);
    this.packetType = flags.compat ? PacketType.DataCompat : PacketType.Data;
  }

  protected headroomFor(): number {
    return NULL_OVERHEAD;
  }

  protected writeHeader(bytes: Uint8Array, payloadAt: number): void {
    bytes[payloadAt - NULL_OVERHEAD + HEADER_TYPE_OFFSET] = this.packetType;
  }

  /** fastd's receive path hands either data packet type to the method. */
  protected acceptsHeader(bytes: Uint8Array, at: number): boolean {
    const type = bytes[at + HEADER_TYPE_OFFSET];
    return type === PacketType.Data || type === PacketType.DataCompat;
  }
}

export const nullProvider: MethodProvider = {
  name: 'null',
  keyLength: 0,
  overhead: NULL_OVERHEAD,
  createSession: (_secret, flags, _now, memory) => new NullSession(flags, memory),
};
