import { afterEach, describe, expect, it } from 'vitest';
import { createDatagramBatch } from '../../src/io/batch.js';
import { FallbackDatagramIo } from '../../src/io/batch-fallback.js';
import type { PacketMemory } from '../../src/io/native-memory.js';
import { readSockaddr, writeSockaddr } from '../../src/io/sockaddr.js';
import { closeSocket, openUdpSocket, type UdpSocket } from '../../src/io/udp.js';
import { probeUring } from '../../src/io/uring/availability.js';
import { MULTISHOT_HEADROOM, MultishotReceiver } from '../../src/io/uring/multishot.js';
import { Ring } from '../../src/io/uring/ring.js';
import { fillPattern, hasPattern, testPacketMemory } from './memory.js';

const support = probeUring();
const SLOT = 2048;
const opened: { close(): void }[] = [];
afterEach(() => {
  for (const item of opened.splice(0).reverse()) item.close();
});

function socketPair(): { a: UdpSocket; b: UdpSocket } {
  const a = openUdpSocket({ address: '127.0.0.1', port: 0 });
  const b = openUdpSocket({ address: '127.0.0.1', port: 0 });
  opened.push({ close: () => closeSocket(a) }, { close: () => closeSocket(b) });
  return { a, b };
}

function sendFrom(a: UdpSocket, to: UdpSocket, mem: PacketMemory, count: number, seed: number): void {
  const io = new FallbackDatagramIo(a.fd, mem, { capacity: count, gso: false, gro: false });
  const batch = createDatagramBatch(count);
  for (let i = 0; i < count; i++) {
    batch.offsets[i] = (200 + i) * SLOT;
    batch.lengths[i] = 300 + i;
    fillPattern(mem.bytes, batch.offsets[i], batch.lengths[i], seed + i);
    writeSockaddr(batch.addresses, i, to.local);
  }
  batch.count = count;
  expect(io.send(batch)).toBe(count);
  io.close();
}

describe.runIf(support.available && support.multishotRecvmsg)('io_uring multishot RECVMSG with a provided-buffer ring', () => {
  it('one armed receive delivers every datagram into buffers from the ring, with peer addresses', () => {
    const mem = testPacketMemory();
    const { a, b } = socketPair();
    const ring = new Ring(8);
    opened.push(ring);
    const receiver = new MultishotReceiver(ring, b.fd, mem, { entries: 16, bufferSize: SLOT, groupId: 7 });
    opened.push(receiver);
    for (let i = 0; i < 16; i++) expect(receiver.provide(i * SLOT)).toBe(true);
    expect(receiver.provide(99 * SLOT)).toBe(false);

    const batch = createDatagramBatch(32);
    const starts = new Uint32Array(32);
    expect(receiver.receive(batch, starts, 0)).toBe(0);
    sendFrom(a, b, mem, 10, 0);
    let got = 0;
    const seen: number[] = [];
    while (got < 10) {
      const n = receiver.receive(batch, starts, -1);
      for (let i = 0; i < n; i++) {
        const index = batch.lengths[i] - 300;
        seen.push(index);
        expect(batch.offsets[i]).toBe(starts[i] + MULTISHOT_HEADROOM);
        expect(hasPattern(mem.bytes, batch.offsets[i], batch.lengths[i], index)).toBe(true);
        expect(readSockaddr(batch.addresses, i)).toEqual({ address: '127.0.0.1', port: a.local.port });
      }
      got += n;
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // nothing more: a bounded wait comes back empty
    expect(receiver.receive(batch, starts, 30)).toBe(0);
    // the arming submit plus at most one wait: no system call per datagram
    expect(ring.enterCalls).toBeLessThanOrEqual(4);
  });

  it('when the buffer ring runs dry the receive ends and re-arms once buffers come back, losing nothing', () => {
    const mem = testPacketMemory();
    const { a, b } = socketPair();
    const ring = new Ring(8);
    opened.push(ring);
    const receiver = new MultishotReceiver(ring, b.fd, mem, { entries: 4, bufferSize: SLOT, groupId: 1 });
    opened.push(receiver);
    for (let i = 0; i < 4; i++) receiver.provide(i * SLOT);
    sendFrom(a, b, mem, 10, 100);
    const batch = createDatagramBatch(16);
    const starts = new Uint32Array(16);
    const seen: number[] = [];
    for (let rounds = 0; seen.length < 10 && rounds < 50; rounds++) {
      const n = receiver.receive(batch, starts, -1);
      for (let i = 0; i < n; i++) {
        seen.push(batch.lengths[i] - 300);
        expect(hasPattern(mem.bytes, batch.offsets[i], batch.lengths[i], 100 + batch.lengths[i] - 300)).toBe(true);
        receiver.provide(starts[i]);
      }
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
