// The L2TP headers of fastd's null@l2tp method (doc/source/devel/protocol.rst; RFC 3931):
// the L2TPv3 session header over UDP that frames every data packet, and the control message
// header fastd puts in front of keepalives so the kernel's L2TP offload passes them up.
//
//   session header  | 0x00 (type) | flags/version 3 | reserved (2) | session id (u32 BE, 1) |
//   control header  | 0xC8 (T,L,S) | version 3 | length (u16 BE, 12) | conn id (4) | Ns (2) | Nr (2) |

export const L2TP_SESSION_HEADER_BYTES = 8;
export const L2TP_TYPE_OFFSET = 0;
export const L2TP_FLAGS_VERSION_OFFSET = 1;
export const L2TP_SESSION_ID_OFFSET = 4;
/** fastd always uses session id 1. */
export const FASTD_L2TP_SESSION_ID = 1;
/** The T bit: set on control messages, clear on data. */
export const L2TP_TYPE_CONTROL_BIT = 0x80;
export const L2TP_VERSION = 3;
export const L2TP_VERSION_MASK = 0x0f;

/** types.h PACKET_CONTROL: T, L and S set. */
export const PACKET_CONTROL = 0xc8;
export const L2TP_CONTROL_HEADER_BYTES = 12;
const L2TP_CONTROL_LENGTH_OFFSET = 2;

/** Writes fastd's session header (data, version 3, session 1) at `at`. */
export function writeSessionHeader(bytes: Uint8Array, at: number): void {
  bytes.fill(0, at, at + L2TP_SESSION_HEADER_BYTES);
  bytes[at + L2TP_FLAGS_VERSION_OFFSET] = L2TP_VERSION;
  bytes[at + L2TP_SESSION_ID_OFFSET + 3] = FASTD_L2TP_SESSION_ID;
}

/** Whether the session header at `at` is one fastd accepts (reserved bits are not checked). */
export function isFastdSessionHeader(bytes: Uint8Array, at: number): boolean {
  const id = at + L2TP_SESSION_ID_OFFSET;
  return (
    (bytes[at + L2TP_FLAGS_VERSION_OFFSET] & L2TP_VERSION_MASK) === L2TP_VERSION &&
    (bytes[at + L2TP_TYPE_OFFSET] & L2TP_TYPE_CONTROL_BIT) === 0 &&
    bytes[id] === 0 && bytes[id + 1] === 0 && bytes[id + 2] === 0 && bytes[id + 3] === FASTD_L2TP_SESSION_ID
  );
}

/** Writes the control header fastd sends in front of a keepalive: only its own 12 bytes counted. */
export function writeControlHeader(bytes: Uint8Array, at: number): void {
  bytes.fill(0, at, at + L2TP_CONTROL_HEADER_BYTES);
  bytes[at] = PACKET_CONTROL;
  bytes[at + 1] = L2TP_VERSION;
  bytes[at + L2TP_CONTROL_LENGTH_OFFSET + 1] = L2TP_CONTROL_HEADER_BYTES;
}
