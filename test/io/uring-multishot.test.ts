import { afterEach, describe, expect, it } from 'vitest';
import { createDatagramBatch } from '../../src/io/batch.js';
import { FallbackDatagramIo } from '../../src/io/batch-fallback.js';
import type { PacketMemory } from '../../src/io/native-memory.js';
import { readSockaddr, writeSockaddr } from '../../src/io/sockaddr.js';
import { closeSocket, openUdpSocket, type UdpSocket } from '../../src/io/udp.js';
import { probeUring } from '../../src/io/uring/availability.js';
import { EventRing } from '../../src/io/uring/event-ring.js';
import { MULTISHOT_HEADROOM, MultishotReceiver } from '../../src/io/uring/multishot.js';
import { fillPattern, hasPattern, testPacketMemory } from './memory.js';

const support = probeUring();
const SLOT = 2048;
/** Where the test's outgoing datagrams live, away from the receive buffers. */
const SEND_AREA = 600 * SLOT;
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
    batch.offsets[i] = SEND_AREA + i * SLOT;
    batch.lengths[i] = 300 + (i % 1000);
    fillPattern(mem.bytes, batch.offsets[i], batch.lengths[i], seed + i);
    writeSockaddr(batch.addresses, i, to.local);
  }
  batch.count = count;
  expect(io.send(batch)).toBe(count);
  io.close();
}

function setup(buffers: number): { mem: PacketMemory; a: UdpSocket; b: UdpSocket; events: EventRing; receiver: MultishotReceiver } {
  const mem = testPacketMemory(128);
  const { a, b } = socketPair();
  const events = new EventRing(8);
  opened.push(events);
  const receiver = new MultishotReceiver(events, b.fd, mem, { buffers, bufferSize: SLOT, stride: SLOT, area: 0, groupId: 7 });
  opened.push(receiver);
  return { mem, a, b, events, receiver };
}

describe.runIf(support.available && support.multishotRecvmsg)('io_uring multishot RECVMSG on the event ring', () => {
  it('armed once, it delivers every datagram into the provided buffers, with peer addresses, one wait per burst', () => {
    const { mem, a, b, events, receiver } = setup(16);
    const batch = createDatagramBatch(8);
    events.wait(0);
    expect(receiver.receive(batch)).toBe(0);
    sendFrom(a, b, mem, 8, 0);
    const entersBefore = events.ring.enterCalls;
    events.wait(-1);
    const seen: number[] = [];
    for (let n = receiver.receive(batch); n > 0 || receiver.waiting(); n = receiver.receive(batch)) {
      for (let i = 0; i < n; i++) {
        const index = batch.lengths[i] - 300;
        seen.push(index);
        expect((batch.offsets[i] - MULTISHOT_HEADROOM) % SLOT).toBe(0);
        expect(hasPattern(mem.bytes, batch.offsets[i], batch.lengths[i], index)).toBe(true);
        expect(readSockaddr(batch.addresses, i)).toEqual({ address: '127.0.0.1', port: a.local.port });
      }
      if (!receiver.waiting() && seen.length < 8) events.wait(-1);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // all eight arrived before the wait: at most that one system call (the completions may
    // even be posted already), and nothing was re-armed
    expect(events.ring.enterCalls - entersBefore).toBeLessThanOrEqual(1);
    expect(receiver.counters.receiveArms).toBe(1);
    expect(receiver.counters.receiveExhausted).toBe(0);
  });

  it('a burst bigger than the buffer ring ends the receive with ENOBUFS: it is counted, re-armed, and nothing is lost', () => {
    const { mem, a, b, events, receiver } = setup(4);
    events.wait(0);
    sendFrom(a, b, mem, 40, 100);
    const batch = createDatagramBatch(2);
    const seen: number[] = [];
    for (let rounds = 0; seen.length < 40 && rounds < 500; rounds++) {
      events.wait(receiver.waiting() ? 0 : 1000);
      const n = receiver.receive(batch);
      for (let i = 0; i < n; i++) {
        const index = batch.lengths[i] - 300;
        seen.push(index);
        expect(hasPattern(mem.bytes, batch.offsets[i], batch.lengths[i], 100 + index)).toBe(true);
      }
    }
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(receiver.counters.receiveExhausted).toBeGreaterThan(0);
    expect(receiver.counters.receiveArms).toBe(receiver.counters.receiveExhausted + 1);
  });
});
