import { describe, expect, it } from 'vitest';
import { PacketStatus } from '../../../src/crypto/methods/provider.js';
import { createMethodProvider } from '../../../src/crypto/methods/registry.js';
import { sharedMemory } from '../../helpers/packet-memory.js';
import { open, seal } from './harness.js';

const session = (name: string, initiator: boolean, compat = false) => {
  const memory = sharedMemory();
  return { memory, session: createMethodProvider(name)!.createSession(new Uint8Array(0), { initiator, compat }, 0, memory) };
};

describe('null', () => {
  it('frames with the session’s data packet type and opens either data type only', () => {
    const { memory, session: compat } = session('null', true, true);
    expect(Array.from(seal(compat, memory, [Uint8Array.of(7)]).frames[0])).toEqual([0x02, 7]);
    const frames = [Uint8Array.of(0x00, 1), Uint8Array.of(0x02, 2), Uint8Array.of(0x01, 3), Uint8Array.of(0xc8, 4)];
    expect(open(compat, memory, frames).status).toEqual([
      PacketStatus.Ok,
      PacketStatus.Ok,
      PacketStatus.DropHeader,
      PacketStatus.DropHeader,
    ]);
  });

  it('is invalid at once when superseded, and never wants a refresh', () => {
    const { memory, session: s } = session('null', false);
    expect(s.wantsRefresh(1e12)).toBe(false);
    expect(s.isValid(1e12)).toBe(true);
    s.supersede(0);
    expect(s.isValid(0)).toBe(false);
    expect(open(s, memory, [Uint8Array.of(0, 1)]).status).toEqual([PacketStatus.DropSession]);
  });
});

describe('null@l2tp', () => {
  const header = (type: number, flagsVersion: number, id: number[]) => Uint8Array.from([type, flagsVersion, 0xaa, 0xbb, ...id, 9]);
  it('accepts fastd’s session header (reserved bits ignored) and nothing else', () => {
    const { memory, session: s } = session('null@l2tp', true);
    const opened = open(s, memory, [
      header(0x00, 0x03, [0, 0, 0, 1]),
      header(0x00, 0x13, [0, 0, 0, 1]), // flag bits above the version are not checked
      header(0x00, 0x02, [0, 0, 0, 1]), // version 2
      header(0x80, 0x03, [0, 0, 0, 1]), // T bit: a control message
      header(0x00, 0x03, [0, 0, 0, 2]), // another session
      header(0x00, 0x03, [1, 0, 0, 1]),
    ]);
    expect(opened.status).toEqual([
      PacketStatus.Ok,
      PacketStatus.Ok,
      PacketStatus.DropHeader,
      PacketStatus.DropHeader,
      PacketStatus.DropHeader,
      PacketStatus.DropHeader,
    ]);
    expect(Array.from(opened.payloads[0]!)).toEqual([9]);
  });

  it('needs room for the control header in front of a keepalive', () => {
    const { memory, session: s } = session('null@l2tp', true);
    const batch = { memory, count: 2, offsets: Uint32Array.from([10, 30]), lengths: Uint32Array.from([0, 0]), status: new Uint8Array(2) };
    s.seal(batch, 0);
    expect(Array.from(batch.status)).toEqual([PacketStatus.DropMalformed, PacketStatus.Ok]);
    expect([batch.offsets[1], batch.lengths[1]]).toEqual([10, 20]);
  });
});
