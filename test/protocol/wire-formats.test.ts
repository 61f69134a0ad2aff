// The wire formats on their own: the L2TP control header and handshake header as
// protocol.rst draws them, TLV records little-endian as it specifies, fastd's parsing rules
// (truncation, repeats, unknown types, NUL-terminated strings), and packet classification.
import { describe, expect, it } from 'vitest';
import {
  buildErrorReply,
  buildHandshake,
  frameHandshake,
  parseHandshake,
} from '../../src/protocol/handshake-messages.js';
import {
  ModeId,
  RecordType,
  TlvWriter,
  parseTlvs,
  recordBytes,
  recordLength,
  recordString,
  recordStringIs,
  recordStringList,
  recordUint,
} from '../../src/protocol/tlv.js';
import { classifyPacket, HandshakeFormat, PacketClass } from '../../src/protocol/wire.js';
import { toHex } from '../helpers/packet-memory.js';

const key = (fill: number) => new Uint8Array(32).fill(fill);

function tlvs(build: (writer: TlvWriter) => void): Uint8Array {
  const out = new Uint8Array(512);
  const writer = new TlvWriter(out, 0);
  build(writer);
  return out.slice(0, writer.length);
}

describe('framing (protocol.rst)', () => {
  const body = buildHandshake({
    type: 2,
    l2tpSupport: true,
    mode: ModeId.Tap,
    mtu: 1400,
    versionName: 'v23',
    methodName: undefined,
    methodList: ['salsa2012+umac', 'aes128-gcm', 'null@l2tp', 'null'],
    replyCode: 0,
    senderKey: key(1),
    recipientKey: key(2),
    senderHandshakeKey: key(3),
    recipientHandshakeKey: key(4),
    withTag: true,
  }).bytes;

  it('starts a handshake with 0x01, a zero byte and the big-endian TLV length', () => {
    expect(Array.from(body.subarray(0, 2))).toEqual([0x01, 0x00]);
    expect((body[2]! << 8) | body[3]!).toBe(body.length - 4);
    expect(body.length - 4).toBeGreaterThan(255); // so the byte order is exercised
  });

  it('puts the L2TP header c8 03 00 0c and eight zero bytes in front for v22+', () => {
    const framed = frameHandshake(body, HandshakeFormat.L2tp);
    expect(toHex(framed.subarray(0, 12))).toBe('c803000c0000000000000000');
    expect(framed.subarray(12)).toEqual(body);
    expect(frameHandshake(body, HandshakeFormat.Bare)).toBe(body);
  });

  it('classifies packets by their first byte, looking behind a valid L2TP header', () => {
    const l2tp = (inner: number[], versionByte = 0x03) =>
      new Uint8Array([0xc8, versionByte, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, ...inner]);
    expect(classifyPacket(new Uint8Array([0x00]))).toBe(PacketClass.Data);
    expect(classifyPacket(new Uint8Array([0x02, 1, 2]))).toBe(PacketClass.Data);
    expect(classifyPacket(new Uint8Array([0x03]))).toBe(PacketClass.Data); // lenient, as fastd
    expect(classifyPacket(new Uint8Array([0x01, 0]))).toBe(PacketClass.Handshake);
    expect(classifyPacket(l2tp([0x01]))).toBe(PacketClass.L2tpHandshake);
    expect(classifyPacket(l2tp([0x00, 9]))).toBe(PacketClass.L2tpData);
    expect(classifyPacket(l2tp([0x01], 0x13))).toBe(PacketClass.L2tpHandshake); // only the version nibble counts
    expect(classifyPacket(l2tp([0x01], 0x02))).toBe(PacketClass.Invalid);
    expect(classifyPacket(l2tp([]))).toBe(PacketClass.Invalid);
    expect(classifyPacket(new Uint8Array([0x80, 0]))).toBe(PacketClass.Invalid);
    expect(classifyPacket(new Uint8Array(0))).toBe(PacketClass.Invalid);
    const inBuffer = new Uint8Array([9, 9, 0x01, 0]);
    expect(classifyPacket(inBuffer, 2, 2)).toBe(PacketClass.Handshake);
  });
});

describe('TLV records', () => {
  it('writes type and length little-endian, integers in their shortest form', () => {
    expect(toHex(tlvs((w) => w.uint16(RecordType.Mtu, 1400)))).toBe('0b0002007805');
    expect(toHex(tlvs((w) => w.uint(RecordType.ErrorDetail, 11)))).toBe('020001000b');
    expect(toHex(tlvs((w) => w.uint(RecordType.ErrorDetail, 0x1234)))).toBe('0200020034' + '12');
    expect(toHex(tlvs((w) => w.uint(RecordType.ErrorDetail, 0x123456)))).toBe('0200030056' + '3412');
    expect(toHex(tlvs((w) => w.stringList(RecordType.MethodList, ['a', 'bc'])))).toBe('0e000400' + '610062' + '63');
  });

  it('ends the list at a truncated record, skips unknown types, lets a repeat win', () => {
    const bytes = tlvs((w) => {
      w.uint8(RecordType.Mode, 0);
      w.bytes(0x0100 as RecordType, new Uint8Array([1, 2, 3]));
      w.uint8(RecordType.Mode, 1);
      w.string(RecordType.VersionName, 'v22');
    });
    const full = parseTlvs(bytes, 0, bytes.length);
    expect(recordUint(full, RecordType.Mode)).toBe(1);
    expect(recordString(full, RecordType.VersionName)).toBe('v22');
    const cut = parseTlvs(bytes, 0, bytes.length - 1);
    expect(recordLength(cut, RecordType.VersionName)).toBe(-1);
    expect(recordUint(cut, RecordType.Mode)).toBe(1);
    expect(recordBytes(full, RecordType.Mode, 2)).toBeUndefined();
  });

  it('reads strings up to their first NUL and splits lists as fastd does', () => {
    const bytes = tlvs((w) => {
      w.bytes(RecordType.ProtocolName, new TextEncoder().encode('ec25519-fhmqvc\0junk'));
      w.bytes(RecordType.MethodList, new TextEncoder().encode('a\0\0b\0'));
      w.bytes(RecordType.MethodName, new Uint8Array(0));
    });
    const records = parseTlvs(bytes, 0, bytes.length);
    expect(recordString(records, RecordType.ProtocolName)).toBe('ec25519-fhmqvc');
    expect(recordStringList(records, RecordType.MethodList)).toEqual(['a', '', 'b']);
    expect(recordString(records, RecordType.MethodName)).toBe('');
    expect(recordStringIs(records, RecordType.ProtocolName, 'ec25519-fhmqvc')).toBe(true);
    expect(recordStringIs(records, RecordType.ProtocolName, 'ec25519-fhmqv')).toBe(false);
    expect(recordStringIs(records, RecordType.ProtocolName, 'ec25519-fhmqvd')).toBe(false);
    expect(recordStringIs(records, RecordType.ProtocolName, 'ec25519-fhmqvc\0junk')).toBe(false);
    expect(recordStringIs(records, RecordType.MethodName, '')).toBe(true);
    expect(recordStringIs(records, RecordType.VersionName, '')).toBe(false);
    expect(recordStringList(records, RecordType.MethodName)).toBeUndefined();
    expect(recordUint(records, RecordType.MethodName)).toBeUndefined();
  });

  it('refuses to build a handshake larger than fastd ever sends', () => {
    const methods = Array.from({ length: 100 }, (_, i) => `salsa2012+umac-${i}`);
    expect(() =>
      buildHandshake({
        type: 2,
        l2tpSupport: true,
        mode: ModeId.Tap,
        mtu: 1400,
        versionName: 'v23',
        methodName: undefined,
        methodList: methods,
        replyCode: undefined,
        senderKey: key(1),
        recipientKey: undefined,
        senderHandshakeKey: key(2),
        recipientHandshakeKey: undefined,
        withTag: true,
      }),
    ).toThrow(RangeError);
  });
});

describe('error replies', () => {
  it('answer type n with type n+1, flags, reply code and the record at fault', () => {
    const parsed = parseHandshake(buildErrorReply(1, 2, RecordType.Mtu));
    if (!parsed.ok) throw new Error(parsed.reason);
    const { records } = parsed.handshake;
    expect(parsed.handshake.type).toBe(2);
    expect(parsed.handshake.flags).toBe(1);
    expect(recordUint(records, RecordType.ReplyCode)).toBe(2);
    expect(recordBytes(records, RecordType.ErrorDetail, 1)).toEqual(new Uint8Array([RecordType.Mtu]));
    const old = parseHandshake(buildErrorReply(2, 1, RecordType.MethodName, false));
    expect(old.ok && old.handshake.flags).toBe(0);
    expect(old.ok && recordLength(old.handshake.records, RecordType.Flags)).toBe(-1);
  });
});

describe('parsing received handshakes', () => {
  const body = buildHandshake({
    type: 2,
    l2tpSupport: true,
    mode: ModeId.Tun,
    mtu: 1280,
    versionName: 'v22',
    methodName: undefined,
    methodList: ['null', 'salsa2012+umac'],
    replyCode: 0,
    senderKey: key(1),
    recipientKey: key(2),
    senderHandshakeKey: key(3),
    recipientHandshakeKey: key(4),
    withTag: true,
  }).bytes;
  const packet = frameHandshake(body, HandshakeFormat.L2tp);

  it('reads back every field it was built with', () => {
    const parsed = parseHandshake(packet);
    if (!parsed.ok) throw new Error(parsed.reason);
    const { records } = parsed.handshake;
    expect(parsed.handshake).toMatchObject({ format: HandshakeFormat.L2tp, type: 2, flags: 1 });
    expect(recordUint(records, RecordType.Mode)).toBe(ModeId.Tun);
    expect(recordUint(records, RecordType.Mtu)).toBe(1280);
    expect(recordStringList(records, RecordType.MethodList)).toEqual(['null', 'salsa2012+umac']);
    expect(recordBytes(records, RecordType.RecipientHandshakeKey, 32)).toEqual(key(4));
    expect(recordBytes(records, RecordType.TlvAuthenticationTag, 32)).toEqual(new Uint8Array(32));
  });

  it('reads the records in place, without a copy', () => {
    const buffer = packet.slice();
    const parsed = parseHandshake(buffer);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.handshake.records.bytes.buffer).toBe(buffer.buffer);
    expect(recordString(parsed.handshake.records, RecordType.VersionName)).toBe('v22');
  });

  it('drops every truncation cleanly and ignores bytes after the TLV records', () => {
    for (let length = 0; length < packet.length; length++) {
      const parsed = parseHandshake(packet, 0, length);
      expect(parsed.ok, `length ${length}`).toBe(false);
    }
    const longer = new Uint8Array(packet.length + 7);
    longer.set(packet);
    expect(parseHandshake(longer).ok).toBe(true);
  });

  it('drops what fastd drops: a bad L2TP version, no handshake type, not a handshake', () => {
    const badVersion = packet.slice();
    badVersion[1] = 0x02;
    expect(parseHandshake(badVersion)).toMatchObject({
      ok: false,
      reason: 'received control packet with unknown version',
    });
    const noType = tlvs((w) => w.uint8(RecordType.Mode, 0));
    const bare = new Uint8Array([0x01, 0x00, 0x00, noType.length, ...noType]);
    expect(parseHandshake(bare)).toMatchObject({ ok: false, reason: 'received handshake without handshake type' });
    expect(parseHandshake(new Uint8Array([0x00, 0x01]))).toMatchObject({ ok: false, reason: 'not a handshake packet' });
  });
});
