// Property tests of what the receive path does with any datagram from the outside: the packet
// classifier and the handshake parser never throw, read nothing outside the datagram, and take
// apart exactly what our own handshake builder writes, in both framings.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildHandshake, frameHandshake, parseHandshake, TLV_TAG_BYTES } from '../../src/protocol/handshake-messages.js';
import { HandshakeFormat, PacketClass, PacketType, classifyPacket } from '../../src/protocol/wire.js';
import { HandshakeFlag, ModeId, RecordType, recordBytes, recordLength, recordString, recordStringList, recordUint } from '../../src/protocol/tlv.js';
import { FUZZ, FUZZ_TIMEOUT_MS } from '../helpers/fuzz.js';

const CLASSES = new Set<number>(Object.values(PacketClass));
/** A datagram inside a bigger buffer: random bytes around it must not matter. */
const framed = fc.record({ before: fc.uint8Array({ maxLength: 8 }), packet: fc.uint8Array({ maxLength: 1500 }), after: fc.uint8Array({ maxLength: 8 }) });

function embed({ before, packet, after }: { before: Uint8Array; packet: Uint8Array; after: Uint8Array }): Uint8Array {
  const buffer = new Uint8Array(before.length + packet.length + after.length);
  buffer.set(before);
  buffer.set(packet, before.length);
  buffer.set(after, before.length + packet.length);
  return buffer;
}

/** Datagrams that look like fastd's more often than random bytes do: a known type first. */
const fastdLike = fc
  .tuple(fc.constantFrom(PacketType.Handshake, PacketType.Control, 0x00, 0x02), fc.uint8Array({ maxLength: 300 }))
  .map(([type, rest]) => Uint8Array.of(type, ...rest));

describe('classifyPacket on any datagram', () => {
  it('gives one of the classes and looks only inside the datagram', () => {
    fc.assert(
      fc.property(framed, (parts) => {
        const buffer = embed(parts);
        const result = classifyPacket(buffer, parts.before.length, parts.packet.length);
        expect(CLASSES.has(result)).toBe(true);
        expect(result).toBe(classifyPacket(parts.packet.slice()));
      }),
      FUZZ,
    );
  }, FUZZ_TIMEOUT_MS);
});

describe('parseHandshake on any datagram', () => {
  it('never throws, and keeps only records that lie inside the packet', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 1500 }), fastdLike), fc.uint8Array({ maxLength: 8 }), (packet, junk) => {
        const buffer = Uint8Array.of(...packet, ...junk);
        const parsed = parseHandshake(buffer, 0, packet.length);
        expect(parsed).toEqual(parseHandshake(packet));
        if (!parsed.ok) return;
        const { records } = parsed.handshake;
        records.offsets.forEach((offset, type) => {
          if (offset >= 0) expect(offset + records.lengths[type]!, `record ${type}`).toBeLessThanOrEqual(records.bytes.length);
        });
        expect(classifyPacket(packet)).toBe(parsed.handshake.format === HandshakeFormat.L2tp ? PacketClass.L2tpHandshake : PacketClass.Handshake);
      }),
      FUZZ,
    );
  }, FUZZ_TIMEOUT_MS);
});

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
/** Printable ASCII without NUL, as names on the wire are read up to the first NUL. */
const name = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 24 });
const fields = fc.record({
  type: fc.constantFrom(1, 2, 3),
  l2tpSupport: fc.boolean(),
  mode: fc.constantFrom(ModeId.Tap, ModeId.Tun),
  mtu: fc.integer({ min: 0, max: 65535 }),
  versionName: name,
  methodName: fc.constant(undefined),
  methodList: fc.option(fc.array(name.filter((text) => text.length > 0), { minLength: 1, maxLength: 6 }), { nil: undefined }),
  replyCode: fc.constant(undefined),
  senderKey: key,
  recipientKey: fc.option(key, { nil: undefined }),
  senderHandshakeKey: key,
  recipientHandshakeKey: fc.option(key, { nil: undefined }),
  withTag: fc.boolean(),
});

describe('a handshake we build, parsed back', () => {
  it('gives every field as written, in either framing', () => {
    fc.assert(
      fc.property(fields, fc.constantFrom(HandshakeFormat.Bare, HandshakeFormat.L2tp), (written, format) => {
        const parsed = parseHandshake(frameHandshake(buildHandshake(written).bytes, format));
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        const { records, type, flags } = parsed.handshake;
        expect(parsed.handshake.format).toBe(format);
        expect(type).toBe(written.type);
        expect(flags).toBe(written.l2tpSupport ? HandshakeFlag.L2tpSupport : 0);
        expect(recordUint(records, RecordType.Mode)).toBe(written.mode);
        expect(recordUint(records, RecordType.Mtu)).toBe(written.mtu === 0 ? undefined : written.mtu);
        expect(recordString(records, RecordType.VersionName)).toBe(written.versionName);
        expect(recordStringList(records, RecordType.MethodList)).toEqual(written.methodList);
        expect(recordBytes(records, RecordType.SenderKey, 32)).toEqual(written.senderKey);
        expect(recordBytes(records, RecordType.RecipientKey, 32)).toEqual(written.recipientKey);
        expect(recordBytes(records, RecordType.SenderHandshakeKey, 32)).toEqual(written.senderHandshakeKey);
        expect(recordBytes(records, RecordType.RecipientHandshakeKey, 32)).toEqual(written.recipientHandshakeKey);
        expect(recordLength(records, RecordType.TlvAuthenticationTag)).toBe(written.withTag ? TLV_TAG_BYTES : -1);
      }),
      FUZZ,
    );
  }, FUZZ_TIMEOUT_MS);
});
