import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PacketStatus } from '../../../src/crypto/methods/provider.js';
import { createMethodProvider } from '../../../src/crypto/methods/registry.js';
import { sharedMemory } from '../../helpers/packet-memory.js';
import { open, seal } from './harness.js';

// Every method of C2's providers; the umac ones are tested by their own suite.
const AUTHENTICATED = [
  'salsa2012+gmac',
  'salsa20+gmac',
  'aes128-gcm',
  'null+salsa2012+gmac',
  'null+salsa20+gmac',
  'null+aes128-gmac',
  'salsa2012+aes128-gmac',
  'aes128-ctr+salsa20+gmac',
  'salsa2012+poly1305',
  'salsa20+poly1305',
  'aes128-ctr+poly1305',
];
const UNAUTHENTICATED = ['salsa2012+cipher-test', 'aes128-ctr+cipher-test', 'null+cipher-test'];
const NONCED = [...AUTHENTICATED, ...UNAUTHENTICATED];
const ALL = [...NONCED, 'null', 'null@l2tp'];

function pair(name: string) {
  const provider = createMethodProvider(name);
  if (!provider) throw new Error(`no provider for ${name}`);
  const memory = sharedMemory();
  const secret = randomBytes(provider.keyLength);
  return {
    provider,
    memory,
    initiator: provider.createSession(secret, { initiator: true, compat: false }, 0, memory),
    responder: provider.createSession(secret, { initiator: false, compat: false }, 0, memory),
  };
}

const payloadsOf = (lengths: number[]) => lengths.map((n) => new Uint8Array(randomBytes(n)));
const hexes = (list: (Uint8Array | undefined)[]) => list.map((b) => (b ? Buffer.from(b).toString('hex') : b));

describe.each(ALL)('method %s', (name) => {
  it('opens what it sealed, for every length 0..1500 and some up to 9000, both ways', () => {
    const { provider, memory, initiator, responder } = pair(name);
    const lengths = [...Array(1501).keys(), 2000, 4096, 8999, 9000];
    for (let i = 0; i < lengths.length; i += 64) {
      const payloads = payloadsOf(lengths.slice(i, i + 64));
      const sealed = seal(initiator, memory, payloads);
      expect(sealed.status.every((s) => s === PacketStatus.Ok)).toBe(true);
      // null@l2tp keepalives carry a 12-byte control header, which the datapath strips on receipt
      const keepalive = (j: number) => name === 'null@l2tp' && payloads[j].length === 0;
      sealed.frames.forEach((f, j) => expect(f.length).toBe(payloads[j].length + provider.overhead + (keepalive(j) ? 12 : 0)));
      const frames = sealed.frames.map((f, j) => (keepalive(j) ? f.subarray(12) : f));
      const opened = open(responder, memory, frames);
      expect(hexes(opened.payloads)).toEqual(hexes(payloads));
      expect(opened.status.every((s) => s === PacketStatus.Ok)).toBe(true);
    }
    const back = payloadsOf([1, 100, 1400]);
    expect(hexes(open(initiator, memory, seal(responder, memory, back).frames).payloads)).toEqual(hexes(back));
  });

  it('drops malformed descriptors with a status, never an exception', () => {
    const { memory, initiator, responder } = pair(name);
    const end = memory.buffer.byteLength;
    const bad = {
      memory,
      count: 4,
      offsets: Uint32Array.from([0, end - 4, end + 100, 0xffff_fff0]),
      lengths: Uint32Array.from([10, 100, 10, 0xffff_ffff]),
      status: new Uint8Array(4),
    };
    expect(() => initiator.seal(bad, 0)).not.toThrow();
    expect(Array.from(bad.status)).toEqual([2, 2, 2, 2].map(() => PacketStatus.DropMalformed));
    const short = { ...bad, offsets: Uint32Array.from([1000, end - 2, end + 100, 0xffff_fff0]), lengths: Uint32Array.from([0, 100, 10, 0xffff_ffff]) };
    expect(() => responder.open(short, 0)).not.toThrow();
    expect(Array.from(short.status)).toEqual([2, 2, 2, 2].map(() => PacketStatus.DropMalformed));
    // a count beyond the arrays: only the entries that exist are touched
    const before = new Uint8Array(memory.buffer).slice(0, 4096);
    const overlong = { memory, count: 9, offsets: Uint32Array.of(1000), lengths: Uint32Array.of(8), status: new Uint8Array(1) };
    expect(() => responder.open(overlong, 0)).not.toThrow();
    expect(() => initiator.seal({ ...overlong, count: 9 }, 0)).not.toThrow();
    const after = new Uint8Array(memory.buffer).slice(0, 4096);
    after.fill(0, 1000 - 64, 1000 + 8);
    before.fill(0, 1000 - 64, 1000 + 8);
    expect(Buffer.from(after).equals(Buffer.from(before))).toBe(true);
  });
});

describe.each(NONCED)('method %s: nonces and replay', (name) => {
  it('drops replays and packets older than the window, accepts a reordered one once', () => {
    const { memory, initiator, responder } = pair(name);
    const payloads = payloadsOf(Array.from({ length: 70 }, () => 50));
    const { frames } = seal(initiator, memory, payloads);
    const first = open(responder, memory, [frames[1], frames[0], frames[0], frames[1]]);
    expect(first.status).toEqual([PacketStatus.Ok, PacketStatus.Reordered, PacketStatus.DropReplay, PacketStatus.DropReplay]);
    expect(hexes(first.payloads.slice(0, 2))).toEqual(hexes([payloads[1], payloads[0]]));
    // frames[69] is 68 steps after frames[1]: frames[4] (65 steps older than 69) is then too old, frames[5] not
    const later = open(responder, memory, [frames[69], frames[4], frames[5]]);
    expect(later.status).toEqual([PacketStatus.Ok, PacketStatus.DropReplay, PacketStatus.Reordered]);
  });

  it('drops its own packets reflected back (wrong nonce parity) and a wrong packet type', () => {
    const { memory, initiator, responder } = pair(name);
    const { frames } = seal(initiator, memory, payloadsOf([30]));
    expect(open(initiator, memory, frames).status).toEqual([PacketStatus.DropHeader]);
    const compat = frames[0].slice();
    compat[0] = 0x02;
    expect(open(responder, memory, [compat]).status).toEqual([PacketStatus.DropHeader]);
  });

  it('stops sealing and opening when expired, and soon after being superseded', () => {
    const { memory, initiator, responder } = pair(name);
    const { frames } = seal(initiator, memory, payloadsOf([30, 30]), 0);
    responder.supersede(1000);
    expect(open(responder, memory, [frames[0]], 1000 + 59_999).status).toEqual([PacketStatus.Ok]);
    expect(open(responder, memory, [frames[1]], 1000 + 60_000).status).toEqual([PacketStatus.DropSession]);
    expect(responder.isValid(1000 + 60_000)).toBe(false);
    expect(seal(initiator, memory, payloadsOf([1]), 3_600_000).status).toEqual([PacketStatus.DropSession]);
  });
});

describe.each(AUTHENTICATED)('method %s: authentication', (name) => {
  it.each([0, 1, 40])('rejects every single bit flip of a %i-byte packet and leaves it as it was', (length) => {
    const { memory, initiator, responder } = pair(name);
    const { frames } = seal(initiator, memory, payloadsOf([length]));
    const flipped: Uint8Array[] = [];
    for (let bit = 0; bit < 8 * frames[0].length; bit++) {
      const f = frames[0].slice();
      f[bit >> 3] ^= 0x80 >> (bit & 7);
      flipped.push(f);
    }
    for (let i = 0; i < flipped.length; i += 64) {
      const batch = flipped.slice(i, i + 64);
      const opened = open(responder, memory, batch);
      opened.status.forEach((s, j) => {
        expect(s, `bit ${i + j}`).toBeGreaterThan(PacketStatus.Reordered);
        expect(Buffer.from(opened.after[j]).equals(batch[j]), `bit ${i + j} left intact`).toBe(true);
      });
    }
    // the genuine packet still opens afterwards: failed attempts did not touch the window
    expect(open(responder, memory, frames).status).toEqual([PacketStatus.Ok]);
  });

  it('rejects packets of a session with another key', () => {
    const { provider, memory, initiator } = pair(name);
    const stranger = provider.createSession(randomBytes(provider.keyLength), { initiator: false, compat: false }, 0, memory);
    const { frames } = seal(initiator, memory, payloadsOf([0, 64, 1400]));
    expect(open(stranger, memory, frames).status).toEqual([PacketStatus.DropAuth, PacketStatus.DropAuth, PacketStatus.DropAuth]);
  });
});
