// The L2TPv3 session header over UDP (RFC 3931) that frames every data packet of fastd's
// null@l2tp method (doc/source/devel/protocol.rst). Its first two bytes, the version and
// the control header fastd puts in front of keepalives are the protocol's, in protocol/wire.ts.
//
//   session header  | 0x00 (type) | flags/version 3 | reserved (2) | session id (u32 BE, 1) |
import { L2TP_T_FLAG, L2tpHeader } from '../../../protocol/wire.js';

export const L2TP_SESSION_HEADER_BYTES = 8;
const L2TP_SESSION_ID_OFFSET = 4;
/** fastd always uses session id 1. */
const FASTD_L2TP_SESSION_ID = 1;

/** Writes fastd's session header (data, version 3, session 1) at `at`. */
export function writeSessionHeader(bytes: Uint8Array, at: number): void {
  bytes.fill(0, at, at + L2TP_SESSION_HEADER_BYTES);
  bytes[at + L2tpHeader.FLAGS_VER_OFFSET] = L2tpHeader.VERSION;
  bytes[at + L2TP_SESSION_ID_OFFSET + 3] = FASTD_L2TP_SESSION_ID;
}

/** Whether the session header at `at` is one fastd accepts (reserved bits are not checked). */
export function isFastdSessionHeader(bytes: Uint8Array, at: number): boolean {
  const id = at + L2TP_SESSION_ID_OFFSET;
  return (
    (bytes[at + L2tpHeader.FLAGS_VER_OFFSET] & L2tpHeader.VERSION_MASK) === L2tpHeader.VERSION &&
    (bytes[at + L2tpHeader.TYPE_OFFSET] & L2TP_T_FLAG) === 0 &&
    bytes[id] === 0 && bytes[id + 1] === 0 && bytes[id + 2] === 0 && bytes[id + 3] === FASTD_L2TP_SESSION_ID
  );
}
