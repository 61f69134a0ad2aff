// Handshake TLV records (protocol.rst "TLV record types"): a 2-byte type and a 2-byte
// length, both little-endian, then the value; no alignment. Reading follows fastd's parser
// exactly: a truncated record ends the list silently, unknown types are skipped, and a
// repeated type overrides the earlier one. Reading never throws.

/** Record IDs, named after protocol.rst. */
export const RecordType = {
  HandshakeType: 0x0000,
  ReplyCode: 0x0001,
  ErrorDetail: 0x0002,
  Flags: 0x0003,
  Mode: 0x0004,
  ProtocolName: 0x0005,
  SenderKey: 0x0006,
  RecipientKey: 0x0007,
  SenderHandshakeKey: 0x0008,
  RecipientHandshakeKey: 0x0009,
  /** Pre-v11 handshake tag, no longer sent or read. */
  AuthenticationTagObsolete: 0x000a,
  Mtu: 0x000b,
  MethodName: 0x000c,
  VersionName: 0x000d,
  MethodList: 0x000e,
  TlvAuthenticationTag: 0x000f,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

/** Number of defined record types; higher IDs are ignored on receipt. */
export const RECORD_TYPE_COUNT = 16;

/** What fastd calls each record in its log messages, indexed by RecordType. */
export const RECORD_DESCRIPTIONS: readonly string[] = [
  'handshake type',
  'reply code',
  'error detail',
  'flags',
  'mode',
  'protocol name',
  'sender public key',
  'recipient public key',
  'sender ephemeral public key',
  'recipient ephemeral public key',
  'compat handshake authentication tag',
  'MTU',
  'method name',
  'version name',
  'method list',
  'TLV message authentication code',
];

/** Record header: type (LE16), length (LE16). */
const TLV_HEADER_SIZE = 4;

/** Values of the HandshakeType record. */
export const HandshakeType = { Init: 1, Response: 2, Finish: 3 } as const;

/** Values of the ReplyCode record. */
export const ReplyCode = { Success: 0, MandatoryMissing: 1, UnacceptableValue: 2 } as const;
export type ReplyCode = (typeof ReplyCode)[keyof typeof ReplyCode];

/** Bits of the Flags record. */
export const HandshakeFlag = {
  /** The sender understands L2TP control headers and v22+ data packets. */
  L2tpSupport: 0x01,
} as const;
/** Every flag this protocol version defines; anything else is an unacceptable value. */
export const HANDSHAKE_FLAGS_ALL = HandshakeFlag.L2tpSupport;

/** Values of the Mode record: fastd's multitap mode travels as TAP. */
export const ModeId = { Tap: 0, Tun: 1 } as const;
export type ModeId = (typeof ModeId)[keyof typeof ModeId];

/** The records of one handshake: where each value lies in the packet, -1 when absent. */
export interface TlvRecords {
  readonly bytes: Uint8Array;
  readonly offsets: Int32Array;
  readonly lengths: Uint16Array;
}

/** Indexes the records in bytes[start, start + length). */
export function parseTlvs(bytes: Uint8Array, start: number, length: number): TlvRecords {
  const offsets = new Int32Array(RECORD_TYPE_COUNT).fill(-1);
  const lengths = new Uint16Array(RECORD_TYPE_COUNT);
  const end = Math.min(start + length, bytes.length);
  let pos = start;
  while (pos + TLV_HEADER_SIZE <= end) {
    const type = bytes[pos]! | (bytes[pos + 1]! << 8);
    const valueLength = bytes[pos + 2]! | (bytes[pos + 3]! << 8);
    if (pos + TLV_HEADER_SIZE + valueLength > end) break;
    if (type < RECORD_TYPE_COUNT) {
      offsets[type] = pos + TLV_HEADER_SIZE;
      lengths[type] = valueLength;
    }
    pos += TLV_HEADER_SIZE + valueLength;
  }
  return { bytes, offsets, lengths };
}

function hasRecord(records: TlvRecords, type: RecordType): boolean {
  return records.offsets[type]! >= 0;
}

/** Length of a record's value, or -1 when the record is absent. */
export function recordLength(records: TlvRecords, type: RecordType): number {
  return hasRecord(records, type) ? records.lengths[type]! : -1;
}

/** A view of the record's value when it is present with exactly `length` bytes. */
export function recordBytes(records: TlvRecords, type: RecordType, length: number): Uint8Array | undefined {
  if (recordLength(records, type) !== length) return undefined;
  const offset = records.offsets[type]!;
  return records.bytes.subarray(offset, offset + length);
}

/** A view of the record's value whatever its length. */
function recordValue(records: TlvRecords, type: RecordType): Uint8Array | undefined {
  const length = recordLength(records, type);
  return length < 0 ? undefined : recordBytes(records, type, length);
}

/** The record as a little-endian integer of 1 to 4 bytes; undefined for other lengths. */
export function recordUint(records: TlvRecords, type: RecordType): number | undefined {
  const value = recordValue(records, type);
  if (!value || value.length < 1 || value.length > 4) return undefined;
  let result = 0;
  for (let i = value.length - 1; i >= 0; i--) result = result * 256 + value[i]!;
  return result;
}

/** Bytes as a string of the same code units, so comparing with ASCII names is exact. */
function byteString(bytes: Uint8Array): string {
  let result = '';
  for (const byte of bytes) result += String.fromCharCode(byte);
  return result;
}

/** The record as fastd reads a string: the value up to its first NUL. */
export function recordString(records: TlvRecords, type: RecordType): string | undefined {
  const value = recordValue(records, type);
  if (!value) return undefined;
  const nul = value.indexOf(0);
  return byteString(nul < 0 ? value : value.subarray(0, nul));
}

/**
 * Whether the record, read as recordString reads it, is `ascii`; false when absent. Compares
 * the bytes: every init's protocol name was a string built a character at a time to compare once.
 */
export function recordStringIs(records: TlvRecords, type: RecordType, ascii: string): boolean {
  const length = recordLength(records, type);
  if (length < 0) return false;
  const { bytes } = records;
  const offset = records.offsets[type]!;
  let end = offset;
  while (end < offset + length && bytes[end] !== 0) end++;
  if (end - offset !== ascii.length) return false;
  for (let i = 0; i < ascii.length; i++) if (bytes[offset + i] !== ascii.charCodeAt(i)) return false;
  return true;
}

/**
 * A zero-separated list (the method list) split as fastd splits it: a trailing NUL ends
 * the last name, empty names between NULs are kept. Absent or empty: undefined.
 */
export function recordStringList(records: TlvRecords, type: RecordType): string[] | undefined {
  const value = recordValue(records, type);
  if (!value || value.length === 0) return undefined;
  const names: string[] = [];
  let start = 0;
  while (start < value.length) {
    let nul = value.indexOf(0, start);
    if (nul < 0) nul = value.length;
    names.push(byteString(value.subarray(start, nul)));
    start = nul + 1;
  }
  return names;
}

/** Appends records to a buffer; grows the packet's TLV length as fastd_handshake_extend does. */
export class TlvWriter {
  private pos: number;

  constructor(
    private readonly out: Uint8Array,
    private readonly start: number,
  ) {
    this.pos = start;
  }

  /** Starts the record list over at `start`: the buffer is written again, not cleared. */
  restart(): void {
    this.pos = this.start;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos - this.start;
  }

  /** Reserves a record and returns where its value goes; throws when the buffer is too small. */
  private extend(type: RecordType, length: number): number {
    if (length > 0xffff || this.pos + TLV_HEADER_SIZE + length > this.out.length)
      throw new RangeError(`handshake record ${RECORD_DESCRIPTIONS[type]} does not fit the packet`);
    const out = this.out;
    out[this.pos] = type & 0xff;
    out[this.pos + 1] = type >> 8;
    out[this.pos + 2] = length & 0xff;
    out[this.pos + 3] = length >> 8;
    const valueOffset = this.pos + TLV_HEADER_SIZE;
    this.pos = valueOffset + length;
    return valueOffset;
  }

  bytes(type: RecordType, value: Uint8Array): void {
    this.out.set(value, this.extend(type, value.length));
  }

  /** A record of `length` zero bytes; returns its value's offset (for the authentication tag). */
  zeros(type: RecordType, length: number): number {
    const offset = this.extend(type, length);
    this.out.fill(0, offset, offset + length);
    return offset;
  }

  /** ASCII text without a terminating NUL, as fastd sends names. */
  string(type: RecordType, value: string): void {
    const offset = this.extend(type, value.length);
    for (let i = 0; i < value.length; i++) this.out[offset + i] = value.charCodeAt(i) & 0xff;
  }

  /** Names joined by NUL, no NUL after the last (fastd's create_method_list). */
  stringList(type: RecordType, values: readonly string[]): void {
    this.string(type, values.join('\0'));
  }

  uint8(type: RecordType, value: number): void {
    this.out[this.extend(type, 1)] = value & 0xff;
  }

  uint16(type: RecordType, value: number): void {
    const offset = this.extend(type, 2);
    this.out[offset] = value & 0xff;
    this.out[offset + 1] = (value >> 8) & 0xff;
  }

  /** The shortest little-endian encoding of 1 to 4 bytes (fastd_handshake_add_uint). */
  uint(type: RecordType, value: number): void {
    const size = value > 0xffffff ? 4 : value > 0xffff ? 3 : value > 0xff ? 2 : 1;
    const offset = this.extend(type, size);
    for (let i = 0; i < size; i++) this.out[offset + i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
  }
}
