// The ec25519-fhmqvc handshake packets (protocol.rst "Handshake protocol"): building them
// record for record in the order fastd writes them, framing them bare or behind the L2TP
// control header, and taking received ones apart without trusting a byte of them.
import { HMAC_SHA256_BYTES } from '../crypto/kdf/hmac-sha256.js';
import {
  HandshakeFormat,
  HandshakeHeader,
  L2tpHeader,
  MAX_HANDSHAKE_SIZE,
  PacketType,
  writeL2tpHeader,
} from './wire.js';
import {
  HandshakeFlag,
  type ModeId,
  RecordType,
  type ReplyCode,
  type TlvRecords,
  TlvWriter,
  parseTlvs,
  recordLength,
  recordUint,
} from './tlv.js';

/** The one handshake protocol fastd speaks. */
export const PROTOCOL_NAME = 'ec25519-fhmqvc';

/** The TLV authentication tag is an HMAC-SHA256 output. */
export const TLV_TAG_BYTES = HMAC_SHA256_BYTES;

/** Room for the handshake once an L2TP header is put in front. */
const MAX_BODY_SIZE = MAX_HANDSHAKE_SIZE - L2tpHeader.SIZE;

/**
 * Everything a handshake packet can carry; which fields are set depends on its type. Every
 * field is always there (undefined when not sent), so each handshake built hands
 * buildHandshake an object of the same shape: V8 compiled it for one shape and threw the
 * code away when the next type of handshake came with another.
 */
interface HandshakeFields {
  /** HandshakeType: 1 init, 2 response, 3 finish. */
  readonly type: number;
  /** Send the Flags record with L2TP_SUPPORT (v22+). Without it we look like pre-v22 fastd. */
  readonly l2tpSupport: boolean;
  readonly mode: ModeId;
  /** Omitted when 0, as in fastd's initial handshake. */
  readonly mtu: number;
  readonly versionName: string;
  /** The chosen method (finish). */
  readonly methodName: string | undefined;
  /** Our methods in order of preference (response). */
  readonly methodList: readonly string[] | undefined;
  /** Present in response and finish. */
  readonly replyCode: ReplyCode | undefined;
  readonly senderKey: Uint8Array;
  /** Absent in an initial handshake to an unknown peer (fast reconnect). */
  readonly recipientKey: Uint8Array | undefined;
  readonly senderHandshakeKey: Uint8Array;
  readonly recipientHandshakeKey: Uint8Array | undefined;
  /** Reserve the TLV authentication tag (zeros until signed). */
  readonly withTag: boolean;
}

/** A built handshake without framing: handshake header plus TLV records. */
export interface HandshakeBody {
  readonly bytes: Uint8Array;
  /** Offset of the TLV authentication tag's value in `bytes`, -1 when there is none. */
  readonly tagOffset: number;
}

/**
 * Where every handshake is built, one after another on one thread; the body handed out is a
 * copy of exactly its length. A fresh zeroed buffer of the largest size per handshake was
 * ~13 % of an answered init's protocol work, and its garbage more.
 */
const scratch = new Uint8Array(MAX_BODY_SIZE);
scratch[HandshakeHeader.TYPE_OFFSET] = PacketType.Handshake;
const writer = new TlvWriter(scratch, HandshakeHeader.SIZE);

/** The writer, emptied, with the handshake header in front (its reserved byte stays zero). */
function startBody(): TlvWriter {
  writer.restart();
  return writer;
}

function finishBody(): Uint8Array {
  scratch[HandshakeHeader.TLV_LENGTH_OFFSET] = writer.length >> 8;
  scratch[HandshakeHeader.TLV_LENGTH_OFFSET + 1] = writer.length & 0xff;
  return scratch.slice(0, HandshakeHeader.SIZE + writer.length);
}

/**
 * Builds a handshake in fastd's record order. Throws RangeError only when our own fields
 * would exceed MAX_HANDSHAKE_SIZE (fastd treats that as a bug too): a configuration with
 * that many methods must be rejected before it gets here.
 */
export function buildHandshake(fields: HandshakeFields): HandshakeBody {
  const tlv = startBody();
  tlv.uint8(RecordType.HandshakeType, fields.type);
  if (fields.l2tpSupport) tlv.uint8(RecordType.Flags, HandshakeFlag.L2tpSupport);
  tlv.uint8(RecordType.Mode, fields.mode);
  if (fields.mtu) tlv.uint16(RecordType.Mtu, fields.mtu);
  tlv.string(RecordType.VersionName, fields.versionName);
  tlv.string(RecordType.ProtocolName, PROTOCOL_NAME);
  if (fields.methodName !== undefined && !fields.methodList) tlv.string(RecordType.MethodName, fields.methodName);
  if (fields.methodList) tlv.stringList(RecordType.MethodList, fields.methodList);
  if (fields.replyCode !== undefined) tlv.uint8(RecordType.ReplyCode, fields.replyCode);
  tlv.bytes(RecordType.SenderKey, fields.senderKey);
  if (fields.recipientKey) tlv.bytes(RecordType.RecipientKey, fields.recipientKey);
  tlv.bytes(RecordType.SenderHandshakeKey, fields.senderHandshakeKey);
  if (fields.recipientHandshakeKey) tlv.bytes(RecordType.RecipientHandshakeKey, fields.recipientHandshakeKey);
  const tagOffset = fields.withTag ? tlv.zeros(RecordType.TlvAuthenticationTag, TLV_TAG_BYTES) : -1;
  return { bytes: finishBody(), tagOffset };
}

/** The error reply fastd sends: the answered type + 1, reply code and the offending record. */
export function buildErrorReply(
  answeredType: number,
  replyCode: ReplyCode,
  errorDetail: number,
  l2tpSupport = true,
): Uint8Array {
  const tlv = startBody();
  tlv.uint8(RecordType.HandshakeType, answeredType + 1);
  if (l2tpSupport) tlv.uint8(RecordType.Flags, HandshakeFlag.L2tpSupport);
  tlv.uint8(RecordType.ReplyCode, replyCode);
  tlv.uint(RecordType.ErrorDetail, errorDetail);
  return finishBody();
}

/** The UDP payload for a body in the given format. */
export function frameHandshake(body: Uint8Array, format: HandshakeFormat): Uint8Array {
  if (format === HandshakeFormat.Bare) return body;
  const packet = new Uint8Array(L2tpHeader.SIZE + body.length);
  writeL2tpHeader(packet, 0);
  packet.set(body, L2tpHeader.SIZE);
  return packet;
}

/**
 * The formats to send a handshake in: both for an initial handshake whose peer's version we
 * do not know, otherwise the one the peer's L2TP_SUPPORT flag asks for (fastd_handshake_send_free).
 */
export function replyFormats(peerFlags: number | 'initial'): HandshakeFormat[] {
  if (peerFlags === 'initial') return [HandshakeFormat.Bare, HandshakeFormat.L2tp];
  return [(peerFlags & HandshakeFlag.L2tpSupport) !== 0 ? HandshakeFormat.L2tp : HandshakeFormat.Bare];
}

/** A received handshake, its records indexed in a private copy of the packet. */
export interface ReceivedHandshake {
  readonly format: HandshakeFormat;
  /** Value of the HandshakeType record. */
  readonly type: number;
  /** Value of the Flags record, 0 when absent (pre-v22 sender). */
  readonly flags: number;
  /** records.bytes is exactly the TLV record list: what the authentication tag covers. */
  readonly records: TlvRecords;
}

type HandshakeParse =
  | { readonly ok: true; readonly handshake: ReceivedHandshake }
  | {
      readonly ok: false;
      /** Why it was dropped, worded like fastd's log line. */
      readonly reason: string;
    };

/**
 * Takes a received handshake packet apart as fastd_handshake_handle does, up to the checks
 * that need configuration (Handshake.screen). The records are read in place, without a copy
 * (a flood of inits is ~1 KiB each): the caller must not reuse `packet` while the handshake is in use.
 */
export function parseHandshake(packet: Uint8Array, offset = 0, length = packet.length - offset): HandshakeParse {
  let start = offset;
  let format: HandshakeFormat = HandshakeFormat.Bare;
  if (length >= 1 && packet[offset] === PacketType.Control) {
    if (length < L2tpHeader.SIZE + 1) return { ok: false, reason: 'received short control packet' };
    if ((packet[offset + L2tpHeader.FLAGS_VER_OFFSET]! & L2tpHeader.VERSION_MASK) !== L2tpHeader.VERSION)
      return { ok: false, reason: 'received control packet with unknown version' };
    start += L2tpHeader.SIZE;
    format = HandshakeFormat.L2tp;
  }
  const available = offset + length - start;
  if (available < 1 || packet[start] !== PacketType.Handshake) return { ok: false, reason: 'not a handshake packet' };
  if (available < HandshakeHeader.SIZE) return { ok: false, reason: 'received a short handshake' };
  const tlvLength =
    (packet[start + HandshakeHeader.TLV_LENGTH_OFFSET]! << 8) | packet[start + HandshakeHeader.TLV_LENGTH_OFFSET + 1]!;
  if (available < HandshakeHeader.SIZE + tlvLength) return { ok: false, reason: 'received a short handshake' };

  const bytes = packet.subarray(start + HandshakeHeader.SIZE, start + HandshakeHeader.SIZE + tlvLength);
  const records = parseTlvs(bytes, 0, tlvLength);
  if (recordLength(records, RecordType.HandshakeType) !== 1)
    return { ok: false, reason: 'received handshake without handshake type' };
  const type = recordUint(records, RecordType.HandshakeType)!;
  const flags = recordLength(records, RecordType.Flags) >= 1 ? bytes[records.offsets[RecordType.Flags]!]! : 0;
  return { ok: true, handshake: { format, type, flags, records } };
}
