// TCP GRO on the write side: OffloadFrameIo.write coalesces consecutive segments of one
// flow into a super-frame with a GSO virtio_net_hdr and writes everything else alone.
import { describe, expect, it } from 'vitest';
import { OffloadFrameIo } from '../../../src/io/offload/offload-frame-io.js';
import { testPacketMemory } from '../../helpers/packet-memory.js';
import { FakeReader, FakeWriter, readSlots, resetRoom, writeBatch } from './fake-queue.js';
import { ACK, concat, ETH, FLOW_CASES, parseTcp, pattern, PSH, readVnet, segmentSizeOf, superFrame, tcpFrame, VNET, type TcpSpec } from './frames.js';

const MTU = 1500;
const ROOM = MTU + ETH;
const SCRATCH = 1 << 20;
const SLOTS_AT = 2 << 20;
const BATCH_AT = 3 << 20;

function setup(kind: 'tap' | 'tun') {
  const memory = testPacketMemory();
  const reader = new FakeReader(memory.bytes);
  const writer = new FakeWriter(memory.bytes);
  const io = new OffloadFrameIo(reader, writer, memory, { kind, scratch: SCRATCH, capacity: 64, frameRoom: ROOM, mtu: MTU });
  const write = (frames: Uint8Array[]) => {
    const batch = writeBatch(memory.bytes, frames, BATCH_AT);
    const next = io.write(batch);
    return { next, errors: Array.from(batch.errors.subarray(0, frames.length)) };
  };
  const segment = (kernelFrame: Uint8Array): Uint8Array[] => {
    reader.queue.push(kernelFrame);
    const batch = readSlots(64, SLOTS_AT, ROOM);
    resetRoom(batch, ROOM);
    const n = io.read(batch);
    return Array.from({ length: n }, (_, i) => memory.bytes.slice(batch.offsets[i], batch.offsets[i] + batch.lengths[i]));
  };
  return { io, writer, write, segment };
}

describe('TCP segments of one flow are written as one super-frame', () => {
  it.each(FLOW_CASES)('IPv$version $kind: segment -> coalesce gives back the same super-frame', ({ version, kind, options }) => {
    const tap = kind === 'tap';
    const gso = segmentSizeOf(version, options);
    const original = superFrame({ version, tap, seq: 0xffffff00, flags: ACK | PSH, payload: pattern(30_000, 7), options, id: 65530 }, gso);
    const { io, writer, write, segment } = setup(kind);
    const frames = segment(original);
    expect(frames.length).toBe(Math.ceil(30_000 / gso));
    expect(write(frames).next).toBe(frames.length);
    expect(writer.written.length).toBe(1);
    expect(writer.written[0]).toEqual(original);
    expect(io.offload).toMatchObject({ coalesced: 1, coalescedFrames: frames.length });
  });

  it('a forged segment in the middle is written alone; the segments around it are still coalesced', () => {
    const { io, writer, write, segment } = setup('tap');
    const frames = segment(superFrame({ version: 4, tap: true, seq: 1000, flags: ACK, payload: pattern(7 * 1400, 5), id: 1 }, 1400));
    expect(frames.length).toBe(7);
    const forged = frames[3].slice();
    forged[forged.length - 1] ^= 0x55; // payload changed, checksum not
    write([...frames.slice(0, 3), forged, ...frames.slice(4)]);
    expect(writer.written.length).toBe(3);
    const [before, alone, after] = writer.written;
    expect(readVnet(before)).toMatchObject({ gsoType: 1, gsoSize: 1400, flags: 1 });
    expect(parseTcp(before.subarray(VNET), true)!.payload.length).toBe(3 * 1400);
    expect(readVnet(alone)).toEqual({ flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0 });
    expect(alone.subarray(VNET)).toEqual(forged);
    expect(readVnet(after)).toMatchObject({ gsoType: 1, gsoSize: 1400 });
    const tail = parseTcp(after.subarray(VNET), true)!;
    expect(tail.seq).toBe(1000 + 4 * 1400);
    expect(tail.payload).toEqual(concat(...frames.slice(4).map((f) => parseTcp(f, true)!.payload)));
    expect(io.offload).toMatchObject({ coalesced: 2, coalescedFrames: 6 });
  });

  it('a forged first segment is written alone (its checksum is checked once the next asks to join); the rest are coalesced', () => {
    const { io, writer, write, segment } = setup('tap');
    const frames = segment(superFrame({ version: 4, tap: true, seq: 1000, flags: ACK, payload: pattern(4 * 1400, 6), id: 1 }, 1400));
    const forged = frames[0].slice();
    forged[forged.length - 1] ^= 0x55;
    write([forged, ...frames.slice(1)]);
    expect(writer.written.length).toBe(2);
    expect(readVnet(writer.written[0])).toEqual({ flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0 });
    expect(writer.written[0].subarray(VNET)).toEqual(forged);
    expect(readVnet(writer.written[1])).toMatchObject({ gsoType: 1, gsoSize: 1400 });
    expect(io.offload).toMatchObject({ coalesced: 1, coalescedFrames: 3 });
  });

  const flow = (overrides: Partial<TcpSpec>[], spec: Partial<TcpSpec> = {}): Uint8Array[] => {
    let seq = 1;
    return overrides.map((o, k) => {
      const payload = o.payload ?? pattern(1000, k);
      const frame = tcpFrame({ version: 4, tap: true, seq, flags: ACK, payload, id: 100 + k, ...spec, ...o });
      seq += payload.length;
      return frame;
    });
  };
  it.each([
    ['another flow (port) in between', [{}, { srcPort: 1 }, {}], 3],
    ['a gap in the sequence numbers', [{}, {}, { seq: 5000 }], 2],
    ['a different ACK number', [{}, {}, { ack: 1 }], 2],
    ['a different window', [{}, { window: 1 }, {}], 3],
    ['IPv4 IDs not consecutive', [{}, { id: 7 }, {}], 3],
    ['PSH ends the run', [{}, { flags: ACK | PSH }, {}], 2],
    ['a shorter segment ends the run', [{}, { payload: pattern(10, 1) }, {}], 2],
    ['a longer segment does not join', [{}, {}, { payload: pattern(1200, 2) }], 2],
    ['SYN is never coalesced', [{}, { flags: ACK | 0x02 }], 2],
    ['a pure ACK (no payload) stays alone', [{}, { payload: new Uint8Array(0) }], 2],
    ['another source MAC', [{}, { srcMac: [2, 0, 0, 0, 0, 9] }], 2],
  ] as [string, Partial<TcpSpec>[], number][])('%s', (_, overrides, writes) => {
    const { writer, write } = setup('tap');
    const frames = flow(overrides);
    write(frames);
    expect(writer.written.length).toBe(writes);
    // every byte still arrives: the payloads of all writes in order are those of the frames
    const payloads = (list: Uint8Array[], skip: number) => concat(...list.map((f) => parseTcp(f.subarray(skip), true)!.payload));
    expect(payloads(writer.written, VNET)).toEqual(payloads(frames, 0));
  });

  it('frames that are not TCP are written as they are, behind a plain header', () => {
    const { writer, write } = setup('tap');
    const arp = Uint8Array.from({ length: 42 }, (_, i) => (i === 12 ? 0x08 : i === 13 ? 0x06 : i));
    const tcp = flow([{}, {}]);
    write([arp, ...tcp, arp]);
    expect(writer.written.map((w) => w.length)).toEqual([VNET + 42, VNET + tcp[0].length + 1000, VNET + 42]);
    expect(writer.written[0]).toEqual(concat(new Uint8Array(VNET), arp));
  });

  it('a full queue (EAGAIN): the index of the first frame not written is returned', () => {
    const { writer, write } = setup('tap');
    writer.accept = 1;
    const other = tcpFrame({ version: 4, tap: true, seq: 1, flags: ACK, payload: pattern(100, 1), srcPort: 9 });
    const result = write([...flow([{}, {}, {}]), other, other]);
    expect(result.next).toBe(3);
    expect(writer.written.length).toBe(1);
  });

  it('super-frames stay within the IPv4 length limit', () => {
    const { writer, write } = setup('tun');
    const frames = flow(Array.from({ length: 60 }, () => ({ payload: pattern(1400, 3) })), { tap: false });
    write(frames);
    const lengths = writer.written.map((w) => parseTcp(w.subarray(VNET), false)!.ipLength);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(65535);
    expect(lengths.reduce((a, b) => a + b, 0) - lengths.length * 40).toBe(60 * 1400);
    expect(writer.written.length).toBe(2);
  });
});
