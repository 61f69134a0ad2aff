// The generic-umac and composed-umac providers: sealed packets byte for byte as fastd builds
// them (reference-packets.ts), open(seal(p)) = p, and everything open must refuse.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseMethodName } from '../../../../src/crypto/methods/names.js';
import { PacketStatus, type MethodProvider, type PacketBatch } from '../../../../src/crypto/methods/provider.js';
import { REORDER_TIME } from '../../../../src/crypto/methods/reorder-window.js';
import { umacProvider } from '../../../../src/crypto/methods/umac/umac-provider.js';
import { PacketType } from '../../../../src/protocol/wire.js';
import { requireSystem } from '../../../helpers/prereq.js';
import { buildKernels } from '../../cipher/salsa20/kernels.js';
import { sharedMemory, toHex } from '../../../helpers/packet-memory.js';
import { haveLibsodium23 } from '../../cipher/salsa20/libsodium23.js';
import { referenceSeal, UHASH_KEY_BYTES, type MethodKeys } from './reference-packets.js';

beforeAll(buildKernels);

const OVERHEAD = 24;
const initiator = { initiator: true, compat: false };
const responder = { initiator: false, compat: false };

function providerFor(name: string): MethodProvider {
  const spec = parseMethodName(name);
  if (!spec || (spec.provider !== 'generic-umac' && spec.provider !== 'composed-umac'))
    throw new Error(`${name} is not a umac method`);
  // TypeScript does not narrow a union whose discriminant is itself a union of literals
  return umacProvider(spec as Parameters<typeof umacProvider>[0]);
}

function keysFor(name: string, secret: Uint8Array): MethodKeys {
  const spec = parseMethodName(name);
  if (spec?.provider === 'generic-umac') return { cipher: spec.cipher, secret };
  if (spec?.provider === 'composed-umac') return { cipher: spec.cipher, macCipher: spec.macCipher, secret };
  throw new Error(name);
}

/** Payloads laid out with headroom for the overhead, spaced apart, in one batch. */
class Packets {
  readonly batch: PacketBatch;
  private next = 4096 + 3;

  constructor(
    readonly memory: WebAssembly.Memory,
    capacity: number,
  ) {
    this.batch = {
      memory,
      count: 0,
      offsets: new Uint32Array(capacity),
      lengths: new Uint32Array(capacity),
      status: new Uint8Array(capacity),
    };
  }

  get bytes(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  /** Adds a payload (for seal) with garbage in its headroom. */
  addPayload(payload: Uint8Array): number {
    const at = this.next + OVERHEAD;
    this.bytes.set(randomBytes(OVERHEAD), at - OVERHEAD);
    this.bytes.set(payload, at);
    this.next = at + payload.length + 16 + (this.batch.count % 16);
    return this.add(at, payload.length);
  }

  /** Adds a received packet. */
  addPacket(packet: Uint8Array): number {
    const at = this.next;
    this.bytes.set(packet, at);
    this.next = at + packet.length + 16 + (this.batch.count % 16);
    return this.add(at, packet.length);
  }

  /** Adds an entry as given, e.g. one that is not inside the memory. */
  add(offset: number, length: number): number {
    const i = this.batch.count++;
    this.batch.offsets[i] = offset;
    this.batch.lengths[i] = length;
    this.batch.status[i] = 0xff;
    return i;
  }

  content(i: number): Uint8Array {
    return this.bytes.slice(this.batch.offsets[i], this.batch.offsets[i] + this.batch.lengths[i]);
  }

  reset(): void {
    this.batch.count = 0;
  }
}

function sealOne(provider: MethodProvider, session: ReturnType<MethodProvider['createSession']>, payload: Uint8Array, memory: WebAssembly.Memory): Uint8Array {
  const packets = new Packets(memory, 1);
  packets.addPayload(payload);
  session.seal(packets.batch, 0);
  expect(packets.batch.status[0]).toBe(PacketStatus.Ok);
  expect(packets.batch.lengths[0]).toBe(payload.length + provider.overhead);
  return packets.content(0);
}

/** Opens copies of `packets` in one batch; returns statuses and the opened payloads. */
function openAll(session: ReturnType<MethodProvider['createSession']>, memory: WebAssembly.Memory, packets: Uint8Array[], now = 0) {
  const batch = new Packets(memory, packets.length);
  for (const packet of packets) batch.addPacket(packet);
  session.open(batch.batch, now);
  return packets.map((_, i) => ({ status: batch.batch.status[i], content: batch.content(i) }));
}

const METHODS = [
  'salsa2012+umac',
  'salsa20+umac',
  'aes128-ctr+umac',
  'null+salsa2012+umac',
  'null+salsa20+umac',
  'null+aes128-ctr+umac',
  'salsa20+salsa2012+umac',
  'aes128-ctr+salsa20+umac',
];

const needsLibsodium = METHODS.some((name) => name.includes('salsa2012'));
const haveReference = !needsLibsodium || requireSystem('umac packets with Salsa20/12 against libsodium23', { libsodium23: haveLibsodium23 });

describe.each(METHODS)('%s', (name) => {
  const provider = providerFor(name);
  const secret = randomBytes(provider.keyLength);
  const usesSalsa2012 = name.includes('salsa2012');

  it('declares fastd’s key length and overhead', () => {
    const cipherKeys = name.split('+').slice(0, -1).map((c) => ({ null: 0, salsa20: 32, salsa2012: 32, 'aes128-ctr': 16 })[c]!);
    expect(provider.keyLength).toBe(cipherKeys.reduce((a, b) => a + b, UHASH_KEY_BYTES));
    expect(provider.overhead).toBe(OVERHEAD);
  });

  it.runIf(!usesSalsa2012 || haveReference)('seals exactly as fastd: header, pad XOR UHASH(ciphertext), ciphertext', () => {
    const memory = sharedMemory(16);
    const session = provider.createSession(secret, initiator, 0, memory);
    const packets = new Packets(memory, 64);
    const payloads: Uint8Array[] = [];
    for (const length of [0, 1, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 255, 256, 257, 1000, 1023, 1024, 1025, 1400, 1500, 2049, 9000]) {
      payloads.push(randomBytes(length));
      packets.addPayload(payloads[payloads.length - 1]);
    }
    session.seal(packets.batch, 0);
    payloads.forEach((payload, i) => {
      expect(packets.batch.status[i]).toBe(PacketStatus.Ok);
      const expected = referenceSeal(keysFor(name, secret), PacketType.Data, 3 + 2 * i, payload);
      expect(toHex(packets.content(i)), `payload length ${payload.length}`).toBe(toHex(expected));
    });
    session.destroy();
  });

  it('open(seal(p)) = p for every length 0..1500 and some up to 9000', () => {
    const memory = sharedMemory(64);
    const sealer = provider.createSession(secret, initiator, 0, memory);
    const opener = provider.createSession(secret, responder, 0, memory);
    const lengths = [...Array.from({ length: 1501 }, (_, i) => i), 4096, 8191, 8192, 9000];
    for (let from = 0; from < lengths.length; from += 200) {
      const packets = new Packets(memory, 200);
      const payloads = lengths.slice(from, from + 200).map((length) => randomBytes(length));
      for (const payload of payloads) packets.addPayload(payload);
      sealer.seal(packets.batch, 0);
      expect([...packets.batch.status.subarray(0, payloads.length)].every((s) => s === PacketStatus.Ok)).toBe(true);
      opener.open(packets.batch, 0);
      payloads.forEach((payload, i) => {
        expect(packets.batch.status[i], `length ${payload.length}`).toBe(PacketStatus.Ok);
        expect(toHex(packets.content(i))).toBe(toHex(payload));
      });
    }
  });

  it('rejects every single-bit flip in header, tag and payload, leaving the packet as received', () => {
    const memory = sharedMemory(16);
    const sealer = provider.createSession(secret, initiator, 0, memory);
    const opener = provider.createSession(secret, responder, 0, memory);
    const packet = sealOne(provider, sealer, randomBytes(300), memory);
    const flipped: Uint8Array[] = [];
    for (let bit = 0; bit < 8 * packet.length; bit += bit < 8 * 40 ? 1 : 13) {
      const copy = Uint8Array.from(packet);
      copy[bit >> 3] ^= 1 << (bit & 7);
      flipped.push(copy);
    }
    const results = openAll(opener, memory, flipped);
    results.forEach(({ status, content }, i) => {
      expect(status === PacketStatus.DropAuth || status === PacketStatus.DropHeader, `flip ${i}`).toBe(true);
      expect(toHex(content)).toBe(toHex(flipped[i]));
    });
    // Type, flags and the nonce's parity bit are refused before authentication.
    expect(results[0].status).toBe(PacketStatus.DropHeader);
    expect(results[8].status).toBe(PacketStatus.DropHeader);
    expect(results[7 * 8].status).toBe(PacketStatus.DropHeader);
    expect(results[7 * 8 + 1].status).toBe(PacketStatus.DropAuth);
    expect(openAll(opener, memory, [packet])[0].status).toBe(PacketStatus.Ok);
  });

  it('refuses replays, wrong parity, packets older than the window or the reorder time; accepts reordered ones once', () => {
    const memory = sharedMemory(16);
    const sealer = provider.createSession(secret, initiator, 0, memory);
    const opener = provider.createSession(secret, responder, 0, memory);
    const sealed = Array.from({ length: 70 }, () => sealOne(provider, sealer, randomBytes(40), memory));
    const open = (packet: Uint8Array, now = 0) => openAll(opener, memory, [packet], now)[0].status;

    expect(open(sealed[2])).toBe(PacketStatus.Ok);
    expect(open(sealed[2])).toBe(PacketStatus.DropReplay);
    expect(open(sealed[0])).toBe(PacketStatus.Reordered);
    expect(open(sealed[1])).toBe(PacketStatus.Reordered);
    expect(open(sealed[0])).toBe(PacketStatus.DropReplay);
    expect(open(sealed[69])).toBe(PacketStatus.Ok);
    expect(open(sealed[4])).toBe(PacketStatus.DropReplay); // 65 steps back: outside the window
    expect(open(sealed[5])).toBe(PacketStatus.Reordered); // 64 steps back: the window's edge
    expect(open(sealed[60], REORDER_TIME)).toBe(PacketStatus.DropReplay); // reorder time passed

    // Our own packets reflected back have our parity.
    const ownSealer = provider.createSession(secret, responder, 0, memory);
    expect(open(sealOne(provider, ownSealer, randomBytes(40), memory))).toBe(PacketStatus.DropHeader);

    // A pre-v22 peer's packet type is refused by a v22 session and vice versa.
    const compatSealer = provider.createSession(secret, { initiator: true, compat: true }, 0, memory);
    const compatPacket = sealOne(provider, compatSealer, randomBytes(40), memory);
    expect(compatPacket[0]).toBe(PacketType.DataCompat);
    expect(open(compatPacket)).toBe(PacketStatus.DropHeader);
    const compatOpener = provider.createSession(secret, { initiator: false, compat: true }, 0, memory);
    expect(openAll(compatOpener, memory, [compatPacket])[0].status).toBe(PacketStatus.Ok);
  });

  it('a batch mixing good, forged, short and out-of-memory entries: each gets its own status, nothing throws', () => {
    const memory = sharedMemory(16);
    const sealer = provider.createSession(secret, initiator, 0, memory);
    const opener = provider.createSession(secret, responder, 0, memory);
    const good = sealOne(provider, sealer, randomBytes(500), memory);
    const keepalive = sealOne(provider, sealer, new Uint8Array(0), memory);
    const forged = Uint8Array.from(sealOne(provider, sealer, randomBytes(500), memory));
    forged[400] ^= 0x80;
    const packets = new Packets(memory, 8);
    packets.addPacket(good);
    packets.addPacket(forged);
    packets.addPacket(good.subarray(0, 23));
    packets.add(10, 0);
    packets.add(memory.buffer.byteLength - 100, 200);
    packets.add(0xffff_ff00, 0x1000);
    packets.addPacket(keepalive);
    const forgedAt = packets.batch.offsets[1];
    expect(() => opener.open(packets.batch, 0)).not.toThrow();
    expect([...packets.batch.status.subarray(0, 7)]).toEqual([
      PacketStatus.Ok,
      PacketStatus.DropAuth,
      PacketStatus.DropMalformed,
      PacketStatus.DropMalformed,
      PacketStatus.DropMalformed,
      PacketStatus.DropMalformed,
      PacketStatus.Ok,
    ]);
    expect(packets.batch.lengths[0]).toBe(500);
    expect(packets.batch.lengths[6]).toBe(0);
    expect(toHex(packets.bytes.subarray(forgedAt, forgedAt + forged.length))).toBe(toHex(forged));
  });

  it('seal refuses payloads without headroom or past the memory; a destroyed session drops everything', () => {
    const memory = sharedMemory(4);
    const sealer = provider.createSession(secret, initiator, 0, memory);
    const packets = new Packets(memory, 3);
    packets.add(10, 100);
    packets.add(memory.buffer.byteLength - 50, 100);
    packets.addPayload(randomBytes(100));
    expect(() => sealer.seal(packets.batch, 0)).not.toThrow();
    expect([...packets.batch.status]).toEqual([PacketStatus.DropMalformed, PacketStatus.DropMalformed, PacketStatus.Ok]);

    sealer.destroy();
    expect(sealer.isValid(0)).toBe(false);
    packets.reset();
    packets.addPayload(randomBytes(100));
    sealer.seal(packets.batch, 0);
    expect(packets.batch.status[0]).toBe(PacketStatus.DropSession);
  });
});

describe('key handling', () => {
  it('a session key of the wrong length is refused with a clear error', () => {
    const provider = providerFor('salsa2012+umac');
    expect(() => provider.createSession(new Uint8Array(10), initiator, 0, sharedMemory(2))).toThrow(/session key must be 1472 bytes/);
  });

  it('generic and composed sessions under different keys do not open each other’s packets', () => {
    const memory = sharedMemory(16);
    const provider = providerFor('salsa20+umac');
    const a = provider.createSession(randomBytes(provider.keyLength), initiator, 0, memory);
    const b = provider.createSession(randomBytes(provider.keyLength), responder, 0, memory);
    const packet = sealOne(provider, a, randomBytes(64), memory);
    expect(openAll(b, memory, [packet])[0].status).toBe(PacketStatus.DropAuth);
  });
});
