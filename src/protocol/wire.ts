// fastd's packet framing on the wire (doc/source/devel/protocol.rst): the first byte of
// every UDP payload says what the packet is; handshakes may sit behind an L2TPv3 control
// message header (RFC 3931) since fastd v22, so the L2TP kernel module never mistakes them
// for data. Declared once here; every reader and writer goes through these names.

/** First byte of a UDP payload (protocol.rst "Basic protocol design"). */
export const PacketType = {
  /** Data packet, both ends v22 or newer. */
  Data: 0x00,
  /** Handshake packet (also after an L2TP control header). */
  Handshake: 0x01,
  /** Data packet when one end predates v22 ("compat mode"). */
  DataCompat: 0x02,
  /** L2TP control message header: T, L and S flags set. */
  Control: 0xc8,
} as const;

/** The L2TP T bit: set on every control packet, never on a data packet. */
export const L2TP_T_FLAG = 0x80;

/**
 * L2TPv3 control message header as fastd writes it: flags/type, version, big-endian length
 * (the header alone), then control connection id, Ns and Nr, all zero.
 *
 *   | 0xC8 | 0x03 | length (BE16) = 12 | conn id (4) = 0 | Ns (2) = 0 | Nr (2) = 0 |
 */
export const L2tpHeader = {
  SIZE: 12,
  TYPE_OFFSET: 0,
  FLAGS_VER_OFFSET: 1,
  LENGTH_OFFSET: 2,
  /** Low nibble of the second byte; the only part besides the type fastd checks on receipt. */
  VERSION_MASK: 0x0f,
  VERSION: 3,
} as const;

/**
 * Handshake header, after the L2TP header when there is one:
 *
 *   | 0x01 | reserved 0x00 | TLV length (BE16) | TLV records ... |
 */
export const HandshakeHeader = {
  SIZE: 4,
  TYPE_OFFSET: 0,
  RESERVED_OFFSET: 1,
  TLV_LENGTH_OFFSET: 2,
} as const;

/** fastd never sends a larger handshake: it fits unfragmented into IPv6's 1280-byte minimum MTU. */
export const MAX_HANDSHAKE_SIZE = 1232;

/** Which of the two handshake framings a packet uses or should use. */
export const HandshakeFormat = {
  /** Bare handshake, as pre-v22 fastd sends and accepts it. */
  Bare: 'bare',
  /** Behind the L2TP control header (v22+). */
  L2tp: 'l2tp',
} as const;
export type HandshakeFormat = (typeof HandshakeFormat)[keyof typeof HandshakeFormat];

/** What a received UDP payload is, as fastd's receive path sorts it. */
export const PacketClass = {
  /** A control packet fastd discards (short, wrong L2TP version) or an unknown type. */
  Invalid: 0,
  Data: 1,
  Handshake: 2,
  /** Data behind an L2TP control header (null@l2tp keepalives); starts at L2tpHeader.SIZE. */
  L2tpData: 3,
  /** Handshake behind an L2TP control header; starts at L2tpHeader.SIZE. */
  L2tpHandshake: 4,
} as const;
export type PacketClass = (typeof PacketClass)[keyof typeof PacketClass];

/**
 * True for data packet types. Lenient like fastd: anything without the L2TP T bit that is
 * not a handshake, so future L2TP data header flags still reach the method.
 */
function isDataPacketType(type: number): boolean {
  return (type & L2TP_T_FLAG) === 0 && type !== PacketType.Handshake;
}

/** Writes fastd's L2TP control header at `offset`. */
export function writeL2tpHeader(out: Uint8Array, offset: number): void {
  out.fill(0, offset, offset + L2tpHeader.SIZE);
  out[offset + L2tpHeader.TYPE_OFFSET] = PacketType.Control;
  out[offset + L2tpHeader.FLAGS_VER_OFFSET] = L2tpHeader.VERSION;
  out[offset + L2tpHeader.LENGTH_OFFSET] = L2tpHeader.SIZE >> 8;
  out[offset + L2tpHeader.LENGTH_OFFSET + 1] = L2tpHeader.SIZE & 0xff;
}

/**
 * Sorts packet[offset, offset + length) without allocating. Behind an L2TP control header
 * fastd requires at least one more byte and version 3, and checks nothing else.
 */
export function classifyPacket(packet: Uint8Array, offset = 0, length = packet.length - offset): PacketClass {
  if (length < 1) return PacketClass.Invalid;
  let type = packet[offset]!;
  let l2tp = false;
  if (type === PacketType.Control) {
    if (length < L2tpHeader.SIZE + 1) return PacketClass.Invalid;
    const version = packet[offset + L2tpHeader.FLAGS_VER_OFFSET]! & L2tpHeader.VERSION_MASK;
    if (version !== L2tpHeader.VERSION) return PacketClass.Invalid;
    type = packet[offset + L2tpHeader.SIZE]!;
    l2tp = true;
  }
  if (type === PacketType.Handshake) return l2tp ? PacketClass.L2tpHandshake : PacketClass.Handshake;
  if (isDataPacketType(type)) return l2tp ? PacketClass.L2tpData : PacketClass.Data;
  return PacketClass.Invalid;
}
