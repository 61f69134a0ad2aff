// The common payload packet header of fastd's data methods (doc/source/devel/protocol.rst,
// "Payload packets"; src/methods/common.h). Every method except null and null@l2tp frames a
// packet as:
//
//   byte 0      packet type (PacketType.Data, or DataCompat towards pre-v22 peers; protocol/wire.ts)
//   byte 1      flags (unused, always 0)
//   bytes 2-7   nonce / sequence number, big endian, +2 per packet
//   bytes 8-23  authentication tag block (method-specific)
//   bytes 24-   payload
import { COMMON_NONCEBYTES } from './names.js';

export { COMMON_NONCEBYTES };

export const HEADER_TYPE_OFFSET = 0;
export const HEADER_FLAGS_OFFSET = 1;
export const HEADER_NONCE_OFFSET = 2;
/** Type, flags and nonce (COMMON_HEADBYTES). */
export const COMMON_HEADBYTES = 2 + COMMON_NONCEBYTES;

/** fastd's fastd_block128_t: the unit of its ciphers' and MACs' block arithmetic. */
export const BLOCK_BYTES = 16;
/** The tag block follows the header directly. */
export const TAG_OFFSET = COMMON_HEADBYTES;
export const TAG_BYTES = BLOCK_BYTES;
/** Where the payload starts in a sealed packet, and the overhead of the tagged methods. */
export const PAYLOAD_OFFSET = TAG_OFFSET + TAG_BYTES;
export const COMMON_OVERHEAD = PAYLOAD_OFFSET;

/** The only flags value fastd sends and accepts. */
export const HEADER_FLAGS_NONE = 0;

/** Largest nonce value plus one (48 bits). */
export const NONCE_SPACE = 2 ** (8 * COMMON_NONCEBYTES);

/** Reads the 48-bit big-endian nonce of the header at `offset` as an exact integer. */
export function readNonce(bytes: Uint8Array, offset: number): number {
  const at = offset + HEADER_NONCE_OFFSET;
  const high = (bytes[at] << 8) | bytes[at + 1];
  const low = ((bytes[at + 2] << 24) | (bytes[at + 3] << 16) | (bytes[at + 4] << 8) | bytes[at + 5]) >>> 0;
  return high * 2 ** 32 + low;
}

/** Writes a complete header (type, no flags, nonce) at `offset`. */
export function writeHeader(bytes: Uint8Array, offset: number, packetType: number, nonce: number): void {
  const high = Math.floor(nonce / 2 ** 32);
  const low = nonce >>> 0;
  bytes[offset + HEADER_TYPE_OFFSET] = packetType;
  bytes[offset + HEADER_FLAGS_OFFSET] = HEADER_FLAGS_NONE;
  const at = offset + HEADER_NONCE_OFFSET;
  bytes[at] = high >>> 8;
  bytes[at + 1] = high;
  bytes[at + 2] = low >>> 24;
  bytes[at + 3] = low >>> 16;
  bytes[at + 4] = low >>> 8;
  bytes[at + 5] = low;
}
