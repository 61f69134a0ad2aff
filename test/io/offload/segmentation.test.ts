// TSO super-frames as the kernel hands them over, cut into frames by OffloadFrameIo.read:
// every frame checked against the test's own parser and checksum code.
import { describe, expect, it } from 'vitest';
import { OffloadFrameIo } from '../../../src/io/offload/offload-frame-io.js';
import { testPacketMemory } from '../../helpers/packet-memory.js';
import { ACK, concat, CWR, ETH, FIN, FLOW_CASES, parseTcp, pattern, plainHeader, PSH, segmentSizeOf, superFrame, tcpFrame, VNET, vnetHeader } from './frames.js';
import { FakeReader, FakeWriter, readSlots, resetRoom } from './fake-queue.js';

const MTU = 1500;
const ROOM = MTU + ETH;
const SCRATCH = 1 << 20;
const SLOTS_AT = 2 << 20;

function setup(kind: 'tap' | 'tun', capacity = 64, mtu = MTU) {
  const memory = testPacketMemory();
  const reader = new FakeReader(memory.bytes);
  const io = new OffloadFrameIo(reader, new FakeWriter(memory.bytes), memory, { kind, scratch: SCRATCH, capacity, frameRoom: ROOM, mtu });
  const batch = readSlots(capacity, SLOTS_AT, ROOM);
  const readAll = (): Uint8Array[] => {
    const frames: Uint8Array[] = [];
    for (;;) {
      resetRoom(batch, ROOM);
      const n = io.read(batch);
      for (let i = 0; i < n; i++) frames.push(memory.bytes.slice(batch.offsets[i], batch.offsets[i] + batch.lengths[i]));
      if (n < batch.capacity) return frames;
    }
  };
  return { io, reader, readAll };
}

describe('TSO super-frames are cut into valid frames', () => {
  it.each(FLOW_CASES)('IPv$version $kind: count, sizes, sequence numbers, flags, IDs, checksums, payload', ({ version, kind, options }) => {
    const tap = kind === 'tap';
    const payload = pattern(20_000, version);
    const seq = 0xfffff000; // wraps around 2^32 within the super-frame
    const gso = segmentSizeOf(version, options);
    const { io, reader, readAll } = setup(kind);
    reader.queue.push(superFrame({ version, tap, seq, flags: ACK | PSH | FIN | CWR, payload, options, id: 0xfffe }, gso));
    const frames = readAll();
    const count = Math.ceil(payload.length / gso);
    expect(frames.length).toBe(count);
    expect(io.offload).toMatchObject({ segmented: 1, segments: count, dropped: 0 });
    const joined: Uint8Array[] = [];
    frames.forEach((frame, k) => {
      expect(frame.length).toBeLessThanOrEqual(ROOM - (tap ? 0 : ETH));
      const tcp = parseTcp(frame, tap)!;
      expect(tcp.ipChecksumOk).toBe(true);
      expect(tcp.tcpChecksumOk).toBe(true);
      expect(tcp.ipLength).toBe(frame.length - (tap ? ETH : 0));
      expect(tcp.payload.length).toBe(k < count - 1 ? gso : payload.length - gso * (count - 1));
      expect(tcp.seq).toBe((seq + k * gso) >>> 0);
      if (version === 4) expect(tcp.id).toBe((0xfffe + k) & 0xffff);
      const last = k === count - 1;
      expect(tcp.flags).toBe(ACK | (last ? PSH | FIN : 0) | (k === 0 ? CWR : 0));
      joined.push(tcp.payload);
    });
    expect(concat(...joined)).toEqual(payload);
  });

  it('a super-frame with more segments than free slots continues on the next read', () => {
    const { io, reader, readAll } = setup('tap', 8);
    const payload = pattern(30 * 1000, 3);
    reader.queue.push(superFrame({ version: 4, tap: true, seq: 1, flags: ACK, payload }, 1000));
    reader.queue.push(concat(plainHeader(), tcpFrame({ version: 4, tap: true, seq: 30_001, flags: ACK, payload: pattern(10, 4) })));
    const frames = readAll();
    expect(frames.length).toBe(31);
    expect(frames.map((f) => parseTcp(f, true)!.seq)).toEqual(Array.from({ length: 31 }, (_, k) => 1 + k * 1000));
    expect(io.offload.segments).toBe(30);
  });
});

describe('bad super-frames are dropped and counted; what follows still arrives', () => {
  const good = () => concat(plainHeader(), tcpFrame({ version: 4, tap: true, seq: 5, flags: ACK, payload: pattern(100, 9) }));
  const base = () => superFrame({ version: 4, tap: true, seq: 1, flags: ACK, payload: pattern(5000, 8) }, 1448);
  const cases: [string, () => Uint8Array][] = [
    ['truncated (IP total length says more)', () => base().subarray(0, 3000)],
    ['hdr_len past the end', () => { const f = base(); new DataView(f.buffer).setUint16(2, f.length, true); return f; }],
    ['gso_size 0', () => { const f = base(); new DataView(f.buffer).setUint16(4, 0, true); return f; }],
    ['UDP gso_type', () => { const f = base(); f[1] = 3; return f; }],
    ['TCPV6 on an IPv4 frame', () => { const f = base(); f[1] = 4; return f; }],
    ['IPv4 header length past the frame', () => { const f = base().subarray(0, VNET + ETH + 30); f[VNET + ETH] = 0x4f; return f; }],
    ['TCP data offset past the frame', () => { const f = base(); f[VNET + ETH + 20 + 12] = 0xf0; return f.subarray(0, VNET + ETH + 20 + 40); }],
    ['segments larger than the slots', () => superFrame({ version: 4, tap: true, seq: 1, flags: ACK, payload: pattern(5000, 8) }, 1600)],
    ['shorter than a virtio_net_hdr', () => new Uint8Array(VNET - 2)],
    ['NEEDS_CSUM pointing past the end', () => concat(vnetHeader({ flags: 1, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 60, csumOffset: 16 }), tcpFrame({ version: 4, tap: true, seq: 5, flags: ACK, payload: new Uint8Array(0) }))],
  ];
  it.each(cases)('%s', (_, bad) => {
    const { io, reader, readAll } = setup('tap');
    reader.queue.push(bad(), good());
    const frames = readAll();
    expect(io.offload.dropped).toBe(1);
    expect(frames.length).toBe(1);
    expect(parseTcp(frames[0], true)!.seq).toBe(5);
  });
});

describe('nothing longer than the MTU is read, even where the slots would hold it', () => {
  // an MTU below the slots' room: only the MTU can refuse these
  const mtu = 1400;
  const good = () => concat(plainHeader(), tcpFrame({ version: 4, tap: true, seq: 5, flags: ACK, payload: pattern(100, 9) }));
  const cases: [string, () => Uint8Array][] = [
    ['a super-frame whose segments exceed the MTU', () => superFrame({ version: 4, tap: true, seq: 1, flags: ACK, payload: pattern(5000, 8) }, 1448)],
    ['a plain frame over the MTU', () => concat(plainHeader(), tcpFrame({ version: 4, tap: true, seq: 1, flags: ACK, payload: pattern(mtu, 8) }))],
  ];
  it.each(cases)('%s', (_, bad) => {
    const { io, reader, readAll } = setup('tap', 64, mtu);
    reader.queue.push(bad(), good());
    const frames = readAll();
    expect(io.offload.dropped).toBe(1);
    expect(frames.length).toBe(1);
    expect(parseTcp(frames[0], true)!.seq).toBe(5);
  });

  it('a super-frame over the MTU that ends a read leaves no segments behind for the next read', () => {
    const { io, reader, readAll } = setup('tap', 64, mtu);
    reader.queue.push(superFrame({ version: 4, tap: true, seq: 1, flags: ACK, payload: pattern(5000, 8) }, 1448));
    expect(readAll()).toHaveLength(0);
    reader.queue.push(good());
    const frames = readAll();
    expect(frames.map((f) => parseTcp(f, true)!.seq)).toEqual([5]);
    expect(io.offload.dropped).toBe(1);
  });

  it('a super-frame whose segments fit the MTU exactly is cut', () => {
    const { io, reader, readAll } = setup('tap', 64, mtu);
    reader.queue.push(superFrame({ version: 4, tap: true, seq: 1, flags: ACK, payload: pattern(5000, 8) }, mtu - 40));
    const frames = readAll();
    expect(io.offload.dropped).toBe(0);
    expect(frames.length).toBe(Math.ceil(5000 / (mtu - 40)));
    expect(Math.max(...frames.map((f) => f.length))).toBe(ETH + mtu);
  });
});

describe('partial checksums of frames that are not segmented', () => {
  it('a UDP frame with NEEDS_CSUM gets its checksum completed', () => {
    const { io, reader, readAll } = setup('tun');
    const payload = pattern(333, 2);
    const udp = new Uint8Array(8 + payload.length);
    const uv = new DataView(udp.buffer);
    uv.setUint16(0, 1234);
    uv.setUint16(2, 5678);
    uv.setUint16(4, udp.length);
    udp.set(payload, 8);
    const ip = Uint8Array.from([0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    new DataView(ip.buffer).setUint16(2, 20 + udp.length);
    // the pseudo-header sum in the checksum field, as the kernel leaves it
    const pseudo = Uint8Array.from([10, 0, 0, 1, 10, 0, 0, 2, 0, 17, udp.length >> 8, udp.length & 0xff]);
    const reference = referenceSum(pseudo);
    uv.setUint16(6, reference);
    reader.queue.push(concat(vnetHeader({ flags: 1, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 20, csumOffset: 6 }), ip, udp));
    const [frame] = readAll();
    expect(io.offload.checksummed).toBe(1);
    const out = frame.subarray(20);
    expect(out.subarray(8)).toEqual(payload);
    // the complete checksum: pseudo header + UDP datagram sum to all ones
    expect(fold(referenceSum(pseudo) + referenceSum(out))).toBe(0xffff);
  });
});

function referenceSum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  return fold(sum);
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return sum;
}
