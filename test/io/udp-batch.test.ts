import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDatagramBatch, type DatagramIo, type IoCounters } from '../../src/io/batch.js';
import { FallbackDatagramIo, type FallbackDatagramOptions } from '../../src/io/batch-fallback.js';
import type { PacketMemory } from '../../src/io/native-memory.js';
import { probeUring } from '../../src/io/uring/availability.js';
import { UringDatagramIo } from '../../src/io/uring/batch-uring.js';
import { Ring } from '../../src/io/uring/ring.js';
import { poll, setsockopt } from '../../src/io/libc.js';
import { PollEvent, Pollfd, SOL_SOCKET } from '../../src/io/linux-abi.js';
import { NativeArea } from '../../src/io/native-memory.js';

/** SO_NO_CHECK (asm-generic/socket.h): send UDP without checksums. */
const SO_NO_CHECK = 11;
import { closeSocket, enableReceiveTimestamps, openUdpSocket, probeUdpOffloads, type UdpSocket } from '../../src/io/udp.js';
import { readSockaddr, writeSockaddr } from '../../src/io/sockaddr.js';
import { splitSegments } from '../../src/io/gro.js';
import { fillPattern, hasPattern, testPacketMemory } from '../helpers/packet-memory.js';

const SLOT = 2048;
const sockets: UdpSocket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) closeSocket(s);
});

type Io = DatagramIo & { counters: IoCounters };
interface Backend {
  name: string;
  make(fd: number, mem: PacketMemory, options: FallbackDatagramOptions): Io;
}

const rings: Ring[] = [];
afterAll(() => {
  for (const ring of rings.splice(0)) ring.close();
});
const backends: Backend[] = [{ name: 'fallback (recvmmsg/sendmmsg)', make: (fd, mem, o) => new FallbackDatagramIo(fd, mem, o) }];
if (probeUring().available) {
  backends.push({
    name: 'io_uring',
    make: (fd, mem, o) => {
      const ring = new Ring(256);
      rings.push(ring);
      return new UringDatagramIo(ring, fd, mem, o);
    },
  });
}

function open(gro = false): UdpSocket {
  const s = openUdpSocket({ address: '127.0.0.1', port: 0, gro });
  sockets.push(s);
  return s;
}

describe.each(backends)('$name: UDP batches on loopback', ({ make }) => {
  it('sends a batch with one system call and receives it with one, addresses and payloads intact', () => {
    const mem = testPacketMemory();
    const a = open();
    const b = open();
    const tx = make(a.fd, mem, { capacity: 64, gso: false });
    const rx = make(b.fd, mem, { capacity: 64, gso: false });
    const out = createDatagramBatch(32);
    for (let i = 0; i < 32; i++) {
      out.offsets[i] = i * SLOT;
      out.lengths[i] = 100 + i;
      fillPattern(mem.bytes, out.offsets[i], out.lengths[i], i);
      writeSockaddr(out.addresses, i, b.local);
    }
    out.count = 32;
    expect(tx.send(out)).toBe(32);
    expect(tx.counters.syscalls).toBe(1);

    const into = createDatagramBatch(64);
    for (let i = 0; i < 64; i++) {
      into.offsets[i] = (100 + i) * SLOT;
      into.lengths[i] = SLOT;
    }
    expect(rx.receive(into)).toBe(32);
    expect(rx.counters.syscalls).toBe(1);
    for (let i = 0; i < 32; i++) {
      expect(into.lengths[i]).toBe(100 + i);
      expect(hasPattern(mem.bytes, into.offsets[i], into.lengths[i], i)).toBe(true);
      expect(readSockaddr(into.addresses, i)).toEqual({ address: '127.0.0.1', port: a.local.port });
      expect(into.segmentSizes[i]).toBe(0);
    }
    expect(rx.receive(into)).toBe(0);
  });

  it('GSO: 20 same-size datagrams go out as one UDP_SEGMENT message and arrive as 20 datagrams', () => {
    expect(probeUdpOffloads().gso).toBe(true);
    const mem = testPacketMemory();
    const a = open();
    const b = open();
    const tx = make(a.fd, mem, { capacity: 64, gso: true });
    const rx = make(b.fd, mem, { capacity: 64, gso: false });
    const out = createDatagramBatch(21);
    for (let i = 0; i < 21; i++) {
      out.offsets[i] = i * SLOT + 17; // buffers are not contiguous: the iovecs gather them
      out.lengths[i] = i < 19 ? 1200 : i === 19 ? 500 : 1200;
      fillPattern(mem.bytes, out.offsets[i], out.lengths[i], i);
      writeSockaddr(out.addresses, i, b.local);
    }
    out.count = 21;
    expect(tx.send(out)).toBe(21);
    // 19 × 1200 + one shorter tail form one message; the 21st starts a new run
    expect(tx.counters.syscalls).toBe(1);
    expect(tx.counters.gsoSends).toBe(1);
    expect(tx.counters.gsoSegments).toBe(20);

    const into = createDatagramBatch(64);
    for (let i = 0; i < 64; i++) {
      into.offsets[i] = (100 + i) * SLOT;
      into.lengths[i] = SLOT;
    }
    expect(rx.receive(into)).toBe(21);
    for (let i = 0; i < 21; i++) {
      expect(into.lengths[i]).toBe(out.lengths[i]);
      expect(hasPattern(mem.bytes, into.offsets[i], into.lengths[i], i)).toBe(true);
    }
  });

  it('reports a per-entry error and carries on with the rest of the batch', () => {
    const mem = testPacketMemory();
    const a = open();
    const b = open();
    const tx = make(a.fd, mem, { capacity: 8, gso: false });
    const out = createDatagramBatch(3);
    for (let i = 0; i < 3; i++) {
      out.offsets[i] = i * SLOT;
      out.lengths[i] = 64;
      writeSockaddr(out.addresses, i, b.local);
    }
    writeSockaddr(out.addresses, 1, { address: '::1', port: b.local.port }); // wrong family for an AF_INET socket
    out.count = 3;
    expect(tx.send(out)).toBe(3);
    expect(out.errors[0]).toBe(0);
    expect(out.errors[1]).not.toBe(0);
    expect(out.errors[2]).toBe(0);
  });

  it('a wildcard socket learns where each datagram came to and answers from there, GSO runs included', () => {
    const mem = testPacketMemory();
    const server = openUdpSocket({ address: '0.0.0.0', port: 0, pktinfo: true });
    sockets.push(server);
    const client = open();
    const tx = make(client.fd, mem, { capacity: 64, gso: false });
    const srv = make(server.fd, mem, { capacity: 64, gso: true });
    const out = createDatagramBatch(2);
    ['127.0.0.1', '127.0.0.2'].forEach((address, i) => {
      out.offsets[i] = i * SLOT;
      out.lengths[i] = 100;
      writeSockaddr(out.addresses, i, { address, port: server.local.port });
    });
    out.count = 2;
    expect(tx.send(out)).toBe(2);
    const into = createDatagramBatch(8);
    for (let i = 0; i < 8; i++) {
      into.offsets[i] = (100 + i) * SLOT;
      into.lengths[i] = SLOT;
    }
    expect(srv.receive(into)).toBe(2);
    expect(readSockaddr(into.locals, 0)).toEqual({ address: '127.0.0.1', port: 0 });
    expect(readSockaddr(into.locals, 1)).toEqual({ address: '127.0.0.2', port: 0 });

    // four same-size answers from 127.0.0.2 (one GSO message), then one from an address the
    // host does not have: the kernel refuses it, and it goes from the route's address instead
    const reply = createDatagramBatch(5);
    for (let i = 0; i < 5; i++) {
      reply.offsets[i] = (20 + i) * SLOT;
      reply.lengths[i] = 300;
      fillPattern(mem.bytes, reply.offsets[i], reply.lengths[i], i);
      writeSockaddr(reply.addresses, i, client.local);
      writeSockaddr(reply.locals, i, { address: i < 4 ? '127.0.0.2' : '192.0.2.77', port: 0 });
    }
    reply.count = 5;
    expect(srv.send(reply)).toBe(5);
    expect([...reply.errors.subarray(0, 5)]).toEqual([0, 0, 0, 0, 0]);
    expect(srv.counters.gsoSends).toBe(1);
    const back = createDatagramBatch(8);
    for (let i = 0; i < 8; i++) {
      back.offsets[i] = (200 + i) * SLOT;
      back.lengths[i] = SLOT;
    }
    expect(tx.receive(back)).toBe(5);
    for (let i = 0; i < 5; i++) {
      expect(readSockaddr(back.addresses, i)).toEqual({ address: i < 4 ? '127.0.0.2' : '127.0.0.1', port: server.local.port });
      expect(hasPattern(mem.bytes, back.offsets[i], back.lengths[i], i)).toBe(true);
      // a socket bound to one address reports none
      expect(readSockaddr(back.locals, i)).toBeNull();
    }
  });
});

describe.each(backends)('$name: receive timestamps', ({ make }) => {
  // The kernel turns receive stamping on for the whole system a moment after the first socket
  // asks (a deferred static key) and off after the last closes; until then a datagram is
  // stamped when it is read. One socket asking for the whole block keeps it on.
  let keeper: UdpSocket | undefined;
  beforeAll(() => {
    keeper = openUdpSocket({ address: '127.0.0.1', port: 0, gro: false });
    enableReceiveTimestamps(keeper.fd);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  });
  afterAll(() => closeSocket(keeper!));

  it('with SO_TIMESTAMPNS each datagram carries when the kernel took it in, also through a GRO split; without, none', () => {
    const mem = testPacketMemory();
    const a = open();
    const b = open(true);
    const plain = open();
    enableReceiveTimestamps(b.fd);
    const tx = make(a.fd, mem, { capacity: 64, gso: true });
    const out = createDatagramBatch(4);
    for (let i = 0; i < 4; i++) {
      out.offsets[i] = i * SLOT;
      out.lengths[i] = 500;
      writeSockaddr(out.addresses, i, b.local);
    }
    out.count = 4;
    const before = performance.timeOrigin + performance.now();
    expect(tx.send(out)).toBe(4);
    // Waits until the kernel has queued the datagram: on a busy machine loopback delivery may be
    // deferred until a later system call on this core runs the pending softirq, the read itself.
    const pollfd = new NativeArea(Pollfd.SIZE, 'pollfd');
    pollfd.view.setInt32(Pollfd.FD, b.fd, true);
    pollfd.view.setInt16(Pollfd.EVENTS, PollEvent.IN, true);
    expect(poll(pollfd.address, 1, 5_000)).toBe(1);
    pollfd.release();
    const queuedAt = performance.timeOrigin + performance.now();
    // then lies queued a while before it is read (slept, not spun)
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    const into = createDatagramBatch(4);
    for (let i = 0; i < 4; i++) {
      into.offsets[i] = (100 + i * 32) * SLOT;
      into.lengths[i] = 65536;
    }
    const rx = make(b.fd, mem, { capacity: 4, gso: false });
    expect(rx.receive(into)).toBe(1);
    const datagrams = createDatagramBatch(8);
    splitSegments(into, datagrams);
    expect(datagrams.count).toBe(4);
    for (let i = 0; i < 4; i++) {
      expect(datagrams.receivedAt[i]).toBeGreaterThanOrEqual(before - 1);
      // stamped when queued, not when read 100 ms later (1 ms for the two clocks' rounding)
      expect(datagrams.receivedAt[i]).toBeLessThanOrEqual(queuedAt + 1);
    }

    writeSockaddr(out.addresses, 0, plain.local);
    out.count = 1;
    expect(tx.send(out)).toBe(1);
    into.receivedAt.fill(1);
    expect(make(plain.fd, mem, { capacity: 4, gso: false }).receive(into)).toBe(1);
    expect(into.receivedAt[0]).toBe(0);
  });
});

describe.each(backends)('$name: UDP GRO', ({ make }) => {
  it('receives a GSO burst as one coalesced buffer and splits it back into the original datagrams', () => {
    expect(probeUdpOffloads().gro).toBe(true);
    const mem = testPacketMemory();
    const a = open();
    const b = open(true);
    const tx = make(a.fd, mem, { capacity: 64, gso: true });
    const rx = make(b.fd, mem, { capacity: 8, gso: false });
    const out = createDatagramBatch(10);
    for (let i = 0; i < 10; i++) {
      out.offsets[i] = i * SLOT;
      out.lengths[i] = i < 9 ? 1000 : 333;
      fillPattern(mem.bytes, out.offsets[i], out.lengths[i], i);
      writeSockaddr(out.addresses, i, b.local);
    }
    out.count = 10;
    expect(tx.send(out)).toBe(10);

    const into = createDatagramBatch(8);
    for (let i = 0; i < 8; i++) {
      into.offsets[i] = (100 + i * 32) * SLOT; // 64 KiB room each: a coalesced receive is big
      into.lengths[i] = 65536;
    }
    expect(rx.receive(into)).toBe(1);
    expect(into.segmentSizes[0]).toBe(1000);
    expect(into.lengths[0]).toBe(9 * 1000 + 333);

    const datagrams = createDatagramBatch(16);
    expect(splitSegments(into, datagrams)).toBe(1);
    expect(datagrams.count).toBe(10);
    for (let i = 0; i < 10; i++) {
      expect(datagrams.lengths[i]).toBe(out.lengths[i]);
      expect(hasPattern(mem.bytes, datagrams.offsets[i], datagrams.lengths[i], i)).toBe(true);
      expect(readSockaddr(datagrams.addresses, i)).toEqual({ address: '127.0.0.1', port: a.local.port });
    }
  });
});

describe('splitSegments', () => {
  it('splitSegments stops before an entry that does not fit and says where to resume', () => {
    const from = createDatagramBatch(2);
    from.count = 2;
    from.offsets.set([0, 10000]);
    from.lengths.set([3000, 100]);
    from.segmentSizes.set([1000, 0]);
    const to = createDatagramBatch(3);
    expect(splitSegments(from, to)).toBe(1);
    expect(to.count).toBe(3);
    expect(Array.from(to.offsets)).toEqual([0, 1000, 2000]);
    const roomy = createDatagramBatch(4);
    expect(splitSegments(from, roomy)).toBe(2);
    expect(Array.from(roomy.offsets)).toEqual([0, 1000, 2000, 10000]);
    expect(Array.from(roomy.lengths)).toEqual([1000, 1000, 1000, 100]);
  });
});

describe.runIf(probeUring().available)('io_uring: system calls per packet', () => {
  it('moves 1024 datagrams each way with one io_uring_enter per 64-datagram batch', () => {
    const mem = testPacketMemory();
    const a = open();
    const b = open();
    const txRing = new Ring(64);
    const rxRing = new Ring(64);
    rings.push(txRing, rxRing);
    const tx = new UringDatagramIo(txRing, a.fd, mem, { capacity: 64, gso: false });
    const rx = new UringDatagramIo(rxRing, b.fd, mem, { capacity: 64, gso: false });
    const out = createDatagramBatch(64);
    const into = createDatagramBatch(64);
    let received = 0;
    for (let round = 0; round < 16; round++) {
      for (let i = 0; i < 64; i++) {
        out.offsets[i] = i * SLOT;
        out.lengths[i] = 200;
        fillPattern(mem.bytes, out.offsets[i], 200, round * 64 + i);
        writeSockaddr(out.addresses, i, b.local);
        into.offsets[i] = (64 + i) * SLOT;
        into.lengths[i] = SLOT;
      }
      out.count = 64;
      expect(tx.send(out)).toBe(64);
      expect(rx.receive(into)).toBe(64);
      for (let i = 0; i < 64; i++) expect(hasPattern(mem.bytes, into.offsets[i], into.lengths[i], round * 64 + i)).toBe(true);
      received += into.count;
    }
    expect(received).toBe(1024);
    expect(txRing.enterCalls).toBe(16);
    expect(rxRing.enterCalls).toBe(16);
  });
});

describe.each(backends)('$name: when the kernel refuses GSO', ({ make }) => {
  it('sends the refused run one datagram at a time and counts the fallback', () => {
    const mem = testPacketMemory();
    const a = open();
    const b = open();
    // SO_NO_CHECK makes the kernel reject UDP_SEGMENT sends (EINVAL), as a device without
    // checksum offload or an IPsec route makes it reject them with EIO.
    const scratch = new NativeArea(8, 'option');
    scratch.view.setInt32(0, 1, true);
    expect(setsockopt(a.fd, SOL_SOCKET, SO_NO_CHECK, scratch.address, 4)).toBe(0);
    scratch.release();
    const tx = make(a.fd, mem, { capacity: 16, gso: true });
    const rx = make(b.fd, mem, { capacity: 16, gso: false });
    const out = createDatagramBatch(8);
    for (let i = 0; i < 8; i++) {
      out.offsets[i] = i * SLOT;
      out.lengths[i] = 700;
      fillPattern(mem.bytes, out.offsets[i], 700, i);
      writeSockaddr(out.addresses, i, b.local);
    }
    out.count = 8;
    expect(tx.send(out)).toBe(8);
    expect(Array.from(out.errors)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(tx.counters.gsoFallbacks).toBe(1);
    expect(tx.counters.gsoSends).toBe(0);
    const into = createDatagramBatch(16);
    for (let i = 0; i < 16; i++) {
      into.offsets[i] = (100 + i) * SLOT;
      into.lengths[i] = SLOT;
    }
    expect(rx.receive(into)).toBe(8);
    for (let i = 0; i < 8; i++) expect(hasPattern(mem.bytes, into.offsets[i], into.lengths[i], i)).toBe(true);
  });
});
