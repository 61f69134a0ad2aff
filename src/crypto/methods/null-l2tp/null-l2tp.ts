// fastd's "null@l2tp" method (src/methods/null-l2tp): unencrypted packets framed as L2TPv3
// over UDP so that the kernel's L2TP offload could carry them. Only the packet format is
// implemented; the offload needs L2TP in the kernel. An empty payload is a keepalive and
// gets a control header in front of the session header, so the receiver's kernel passes it
// up to fastd: sealing one needs KEEPALIVE_HEADROOM bytes in front of it, not just the
// overhead. Stripping that control header on receipt is the datapath's job (fastd's
// receive.c does it for any packet type), so open sees the session header first.
import type { MethodProvider, SessionFlags } from '../provider.js';
import { UnkeyedSession } from '../unkeyed-session.js';
import { L2tpHeader, writeL2tpHeader } from '../../../protocol/wire.js';
import { isFastdSessionHeader, L2TP_SESSION_HEADER_BYTES, writeSessionHeader } from './l2tp-header.js';

const KEEPALIVE_HEADROOM = L2tpHeader.SIZE + L2TP_SESSION_HEADER_BYTES;

class NullL2tpSession extends UnkeyedSession {
  constructor(flags: SessionFlags, memory: WebAssembly.Memory) {
    super(flags, memory, L2TP_SESSION_HEADER_BYTES);
  }

  protected headroomFor(payloadLength: number): number {
    return payloadLength === 0 ? KEEPALIVE_HEADROOM : L2TP_SESSION_HEADER_BYTES;
  }

  protected writeHeader(bytes: Uint8Array, payloadAt: number, payloadLength: number): void {
    writeSessionHeader(bytes, payloadAt - L2TP_SESSION_HEADER_BYTES);
    if (payloadLength === 0) writeL2tpHeader(bytes, payloadAt - KEEPALIVE_HEADROOM);
  }

  protected acceptsHeader(bytes: Uint8Array, at: number): boolean {
    return isFastdSessionHeader(bytes, at);
  }
}

export const nullL2tpProvider: MethodProvider = {
  name: 'null@l2tp',
  keyLength: 0,
  overhead: L2TP_SESSION_HEADER_BYTES,
  createSession: (_secret, flags, _now, memory) => new NullL2tpSession(flags, memory),
};
