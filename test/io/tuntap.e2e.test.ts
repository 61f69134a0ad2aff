import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatagramBatch, createFrameBatch, type FrameIo } from '../../src/io/batch.js';
import { FallbackDatagramIo, FallbackFrameIo } from '../../src/io/batch-fallback.js';
import { TunOffload, VirtioNetHdr } from '../../src/io/linux-abi.js';
import { probeUring } from '../../src/io/uring/availability.js';
import { FixedBuffers } from '../../src/io/uring/fixed-buffers.js';
import { UringFrameIo } from '../../src/io/uring/batch-uring.js';
import { Ring } from '../../src/io/uring/ring.js';
import type { PacketMemory } from '../../src/io/native-memory.js';
import { readSockaddr, writeSockaddr } from '../../src/io/sockaddr.js';
import { closeTunTap, getMtu, hardwareAddress, openTunTap } from '../../src/io/tuntap.js';
import { closeSocket, openUdpSocket } from '../../src/io/udp.js';
import { haveNetns, isRoot, requireSystem } from '../helpers/prereq.js';
import { testPacketMemory } from '../helpers/packet-memory.js';
import { pause } from '../helpers/pause.js';
import { Namespace } from '../../src/testbed/namespaces.js';
import { ETHERNET_HEADER, ethernetIpv4, ipv4Udp, parseIpv4Udp, type ParsedUdp } from './packets.js';

const ok = requireSystem('TUN/TAP in a private network namespace', { root: isRoot, netns: haveNetns });
const SLOT = 2048;
const PAYLOAD = new TextEncoder().encode('fastd-ts tun/tap test payload');

interface FrameBackend {
  name: string;
  make(fd: number, mem: PacketMemory): FrameIo & { close(): void };
}
const rings: Ring[] = [];
function ring(): Ring {
  const r = new Ring(64);
  rings.push(r);
  return r;
}
const frameBackends: FrameBackend[] = [{ name: 'fallback read/write', make: (fd, mem) => new FallbackFrameIo(fd, mem) }];
if (probeUring().available) {
  frameBackends.push({ name: 'io_uring READ/WRITE', make: (fd, mem) => new UringFrameIo(ring(), fd, mem, null) });
  frameBackends.push({
    name: 'io_uring READ_FIXED/WRITE_FIXED',
    make: (fd, mem) => {
      // the whole test memory as one registered chunk
      const fixed = new FixedBuffers(ring(), mem, { base: 0, bytes: mem.bytes.length }, 1);
      fixed.chunkAdded(0, mem.bytes.length);
      return new UringFrameIo(rings[rings.length - 1], fd, mem, fixed);
    },
  });
}

/** Reads frames until one (after skipping `skip` header bytes) parses as the UDP packet we want. */
function readUdp(io: FrameIo, mem: PacketMemory, skip: number, want: (p: ParsedUdp) => boolean): ParsedUdp {
  const batch = createFrameBatch(8);
  for (let attempt = 0; attempt < 200; attempt++) {
    for (let i = 0; i < batch.capacity; i++) {
      batch.offsets[i] = i * SLOT;
      batch.lengths[i] = SLOT;
    }
    const n = io.read(batch);
    for (let i = 0; i < n; i++) {
      const parsed = parseIpv4Udp(mem.bytes.slice(batch.offsets[i] + skip, batch.offsets[i] + batch.lengths[i]));
      if (parsed !== null && want(parsed)) return parsed;
    }
    if (n === 0) pause(10);
  }
  throw new Error('expected packet never came out of the interface');
}

function writeFrame(io: FrameIo, mem: PacketMemory, frame: Uint8Array): void {
  const batch = createFrameBatch(1);
  batch.offsets[0] = 60 * SLOT;
  batch.lengths[0] = frame.length;
  mem.bytes.set(frame, batch.offsets[0]);
  batch.count = 1;
  expect(io.write(batch)).toBe(1);
  expect(batch.errors[0]).toBe(0);
}

function receiveOne(fd: number, mem: PacketMemory): { payload: Uint8Array; from: string } {
  const io = new FallbackDatagramIo(fd, mem, { capacity: 4, gso: false });
  const batch = createDatagramBatch(4);
  for (let attempt = 0; attempt < 200; attempt++) {
    for (let i = 0; i < 4; i++) {
      batch.offsets[i] = (40 + i) * SLOT;
      batch.lengths[i] = SLOT;
    }
    if (io.receive(batch) > 0) {
      const from = readSockaddr(batch.addresses, 0);
      io.close();
      return { payload: mem.bytes.slice(batch.offsets[0], batch.offsets[0] + batch.lengths[0]), from: `${from?.address}:${from?.port}` };
    }
    pause(10);
  }
  io.close();
  throw new Error('nothing arrived on the socket');
}

function sendOne(fd: number, mem: PacketMemory, to: string, port: number): void {
  const io = new FallbackDatagramIo(fd, mem, { capacity: 1, gso: false });
  const batch = createDatagramBatch(1);
  batch.offsets[0] = 50 * SLOT;
  batch.lengths[0] = PAYLOAD.length;
  mem.bytes.set(PAYLOAD, batch.offsets[0]);
  writeSockaddr(batch.addresses, 0, { address: to, port });
  batch.count = 1;
  expect(io.send(batch)).toBe(1);
  expect(batch.errors[0]).toBe(0);
  io.close();
}

describe.runIf(ok)('TUN/TAP through /dev/net/tun in a private namespace', () => {
  let ns: Namespace;
  beforeAll(() => {
    ns = Namespace.create(`fastdts-io-${process.pid}`);
  });
  afterAll(() => {
    for (const r of rings.splice(0)) r.close();
    ns?.delete();
  });

  it.each(frameBackends)('TUN ($name): a name template, MTU and up; a UDP packet routed into it is read back, one written into it is delivered', ({ make }) => {
    const mem = testPacketMemory();
    ns.inside(() => {
      const tun = openTunTap({ kind: 'tun', name: 'fio%d', mtu: 1400, up: true });
      try {
        expect(tun.name).toBe('fio0');
        expect(getMtu(tun.name)).toBe(1400);
        ns.ip('addr', 'add', '10.99.0.1/24', 'dev', tun.name);
        const sock = openUdpSocket({ address: '10.99.0.1', port: 0 });
        try {
          const frames = make(tun.fd, mem);
          sendOne(sock.fd, mem, '10.99.0.2', 7777);
          const out = readUdp(frames, mem, 0, (p) => p.dstPort === 7777);
          expect(out).toMatchObject({ src: '10.99.0.1', dst: '10.99.0.2', srcPort: sock.local.port });
          expect(out.payload).toEqual(PAYLOAD);

          writeFrame(frames, mem, ipv4Udp('10.99.0.2', '10.99.0.1', 7777, sock.local.port, PAYLOAD));
          const back = receiveOne(sock.fd, mem);
          expect(back.payload).toEqual(PAYLOAD);
          expect(back.from).toBe('10.99.0.2:7777');
        } finally {
          closeSocket(sock);
        }
      } finally {
        closeTunTap(tun);
      }
    });
  });

  it.each(frameBackends)('TAP ($name): reads the MAC, carries Ethernet frames both ways', ({ make }) => {
    const mem = testPacketMemory();
    ns.inside(() => {
      const tap = openTunTap({ kind: 'tap', name: 'fiotap%d', mtu: 1500, up: true });
      try {
        const mac = hardwareAddress(tap.name);
        expect(mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
        expect(mac).toBe(ns.ip('-j', 'link', 'show', tap.name).match(/"address":"([^"]+)"/)?.[1]);
        ns.ip('addr', 'add', '10.98.0.1/24', 'dev', tap.name);
        ns.ip('neigh', 'add', '10.98.0.2', 'lladdr', '02:00:00:00:00:02', 'dev', tap.name);
        const sock = openUdpSocket({ address: '10.98.0.1', port: 0 });
        try {
          const frames = make(tap.fd, mem);
          sendOne(sock.fd, mem, '10.98.0.2', 7778);
          const out = readUdp(frames, mem, ETHERNET_HEADER, (p) => p.dstPort === 7778);
          expect(out.payload).toEqual(PAYLOAD);

          const packet = ipv4Udp('10.98.0.2', '10.98.0.1', 7778, sock.local.port, PAYLOAD);
          writeFrame(frames, mem, ethernetIpv4(mac, '02:00:00:00:00:02', packet));
          expect(receiveOne(sock.fd, mem).from).toBe('10.98.0.2:7778');
        } finally {
          closeSocket(sock);
        }
      } finally {
        closeTunTap(tap);
      }
    });
  });

  it('multi-queue: two queues of one TAP', () => {
    ns.inside(() => {
      const q0 = openTunTap({ kind: 'tap', name: 'fiomq0', multiQueue: true });
      const q1 = openTunTap({ kind: 'tap', name: 'fiomq0', multiQueue: true });
      expect(q1.name).toBe(q0.name);
      expect(() => openTunTap({ kind: 'tap', name: 'fiomq0' })).toThrow(/TUNSETIFF/);
      closeTunTap(q0);
      closeTunTap(q1);
    });
  });

  it('vnet header: frames come with a virtio_net_hdr in front', () => {
    const mem = testPacketMemory();
    ns.inside(() => {
      const tun = openTunTap({ kind: 'tun', name: 'fiov0', vnetHeader: true, offloads: TunOffload.CSUM | TunOffload.TSO4 | TunOffload.TSO6, up: true });
      try {
        ns.ip('addr', 'add', '10.97.0.1/24', 'dev', tun.name);
        const sock = openUdpSocket({ address: '10.97.0.1', port: 0 });
        try {
          sendOne(sock.fd, mem, '10.97.0.2', 7779);
          const out = readUdp(new FallbackFrameIo(tun.fd, mem), mem, VirtioNetHdr.SIZE, (p) => p.dstPort === 7779);
          expect(out.payload).toEqual(PAYLOAD);
        } finally {
          closeSocket(sock);
        }
      } finally {
        closeTunTap(tun);
      }
    });
  });
});
