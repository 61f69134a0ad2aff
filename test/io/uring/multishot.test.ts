import { afterEach, describe, expect, it } from 'vitest';
import { PacketMemory as PoolMemory } from '../../../src/bufferpool/packet-memory.js';
import { BufferPool } from '../../../src/bufferpool/pool.js';
import { createDatagramBatch } from '../../../src/io/batch.js';
import { FallbackDatagramIo } from '../../../src/io/batch-fallback.js';
import { packetMemory, type PacketMemory } from '../../../src/io/native-memory.js';
import { readSockaddr, writeSockaddr } from '../../../src/io/sockaddr.js';
import { closeSocket, openUdpSocket, type UdpSocket } from '../../../src/io/udp.js';
import { probeUring } from '../../../src/io/uring/availability.js';
import { EventRing } from '../../../src/io/uring/event-ring.js';
import { MULTISHOT_HEADROOM, MultishotReceiver } from '../../../src/io/uring/multishot.js';
import { ProvidedRing } from '../../../src/io/uring/provided-ring.js';
import { fillPattern, hasPattern } from '../../helpers/packet-memory.js';

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

interface Setup {
  mem: PacketMemory;
  pool: BufferPool;
  /** Where the test's outgoing datagrams live, away from the receive buffers. */
  sendArea: number;
  a: UdpSocket;
  b: UdpSocket;
  events: EventRing;
  ring: ProvidedRing;
  receiver: MultishotReceiver;
}

function sendFrom({ a, b: to, mem, sendArea }: Setup, count: number, seed: number): void {
  const io = new FallbackDatagramIo(a.fd, mem, { capacity: count, gso: false });
  const batch = createDatagramBatch(count);
  for (let i = 0; i < count; i++) {
    batch.offsets[i] = sendArea + i * SLOT;
    batch.lengths[i] = 300 + (i % 1000);
    fillPattern(mem.bytes, batch.offsets[i], batch.lengths[i], seed + i);
    writeSockaddr(batch.addresses, i, to.local);
  }
  batch.count = count;
  expect(io.send(batch)).toBe(count);
  io.close();
}

/** A receiver fed from a pool of SLOT-byte buffers, `perChunk` to a chunk, at most `maxBuffers`. */
function setup(initialFill: number, ringEntries = initialFill, perChunk = initialFill, maxBuffers = 1024, idleMs = 60_000): Setup {
  const memory = new PoolMemory(16 << 20, 16 << 20);
  const sendArea = memory.reserve(1024 * SLOT);
  const pool = new BufferPool(memory, { bufferSize: SLOT, buffersPerChunk: perChunk, maxBuffers, minChunks: 1, idleReleaseMs: idleMs });
  const mem = packetMemory(memory.memory);
  const { a, b } = socketPair();
  const events = new EventRing(8);
  opened.push(events);
  const ring = new ProvidedRing(events, mem, { pool, ringEntries, initialFill, bufferSize: SLOT, idleMs, groupId: 7 });
  opened.push(ring);
  const receiver = new MultishotReceiver(events, b.fd, mem, ring);
  opened.push(receiver);
  return { mem, pool, sendArea, a, b, events, ring, receiver };
}

/** Receives until `expected` datagrams arrived (or 500 rounds passed), checking each one's bytes; returns their indices. */
function receiveAll({ mem, events, receiver }: Setup, expected: number, batchSize: number, seed: number): number[] {
  const batch = createDatagramBatch(batchSize);
  const seen: number[] = [];
  for (let rounds = 0; seen.length < expected && rounds < 500; rounds++) {
    events.wait(receiver.waiting() ? 0 : 1000);
    const n = receiver.receive(batch);
    for (let i = 0; i < n; i++) {
      const index = batch.lengths[i] - 300;
      seen.push(index);
      expect(hasPattern(mem.bytes, batch.offsets[i], batch.lengths[i], seed + index)).toBe(true);
    }
  }
  return seen;
}

describe.runIf(support.available && support.multishotRecvmsg)('io_uring multishot RECVMSG on the event ring', () => {
  it('armed once, it delivers every datagram into the provided buffers, with peer addresses, one wait per burst', () => {
    const context = setup(16);
    const { mem, a, events, receiver } = context;
    const batch = createDatagramBatch(8);
    events.wait(0);
    expect(receiver.receive(batch)).toBe(0);
    sendFrom(context, 8, 0);
    const entersBefore = events.ring.enterCalls;
    events.wait(-1);
    const seen: number[] = [];
    for (let n = receiver.receive(batch); n > 0 || receiver.waiting(); n = receiver.receive(batch)) {
      for (let i = 0; i < n; i++) {
        const index = batch.lengths[i] - 300;
        seen.push(index);
        expect((batch.offsets[i] - MULTISHOT_HEADROOM - context.pool.offsetOf(0)) % SLOT).toBe(0);
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
    const context = setup(4, 4, 4, 8);
    const { mem, events, receiver } = context;
    events.wait(0);
    sendFrom(context, 40, 100);
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
  it('fed from the buffer pool: a burst beyond the initial fill runs the ring dry, which grows the fill and the pool; nothing is lost', () => {
    const context = setup(4, 32, 4, 1024);
    const { pool, events, ring, receiver } = context;
    expect(ring.heldByKernel).toBe(4);
    expect(pool.stats().grows).toBe(1);
    events.wait(0);
    sendFrom(context, 40, 200);
    expect(receiveAll(context, 40, 2, 200)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(receiver.counters.receiveExhausted).toBeGreaterThan(0);
    expect(ring.heldByKernel).toBeGreaterThan(4);
    expect(pool.stats().grows).toBeGreaterThan(1);
    expect(pool.stats().size).toBeGreaterThan(4);
    // every buffer is the kernel's or lent to the last batch: none leaked
    expect(pool.stats().inUse).toBeLessThanOrEqual(ring.heldByKernel + 2);
  });

  it("at the pool's ceiling the ring holds fewer buffers: ENOBUFS is counted and the socket keeps the rest", () => {
    const context = setup(8, 8, 4, 4);
    const { pool, events, ring, receiver } = context;
    expect(ring.heldByKernel).toBe(4);
    events.wait(0);
    sendFrom(context, 30, 300);
    expect(receiveAll(context, 30, 2, 300)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(pool.stats().exhausted).toBeGreaterThan(0);
    expect(receiver.counters.receiveExhausted).toBeGreaterThan(0);
  });

  it('after an idle spell trim() takes the extra buffers back, the pool releases their chunks, and receiving goes on', async () => {
    const idleMs = 50;
    const context = setup(4, 32, 4, 1024, idleMs);
    const { pool, events, ring, receiver } = context;
    events.wait(0);
    sendFrom(context, 40, 400);
    expect(receiveAll(context, 40, 2, 400)).toHaveLength(40);
    const grown = pool.stats().size;
    expect(grown).toBeGreaterThan(8);
    // give the last batch back (an empty receive), as the datapath's next turn would
    events.wait(0);
    receiver.receive(createDatagramBatch(2));
    for (let tries = 0; pool.stats().shrinks === 0 && tries < 500; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const now = performance.now();
      ring.trim(now);
      pool.maintain(now);
    }
    expect(ring.heldByKernel).toBe(4);
    expect(pool.stats().shrinks).toBeGreaterThan(0);
    expect(pool.stats().size).toBeLessThan(grown);
    expect(pool.stats().inUse).toBe(4);
    // the re-registered ring and re-armed receive still deliver
    sendFrom(context, 10, 500);
    expect(receiveAll(context, 10, 2, 500)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('trim() while the CQ overflows: no buffer is free in the pool while the kernel still holds it', () => {
    const idleMs = 50;
    const context = setup(4, 64, 4, 1024, idleMs);
    const { pool, events, ring, receiver } = context;
    const batch = createDatagramBatch(4);
    /** Gives the last batch back, as the datapath's next turn would: then every buffer in use is the kernel's. */
    const giveBack = () => {
      events.wait(0);
      receiver.receive(batch);
    };
    events.wait(0);
    sendFrom(context, 100, 600);
    expect(receiveAll(context, 100, 4, 600)).toHaveLength(100);
    expect(receiver.counters.receiveExhausted).toBeGreaterThan(0);
    giveBack();
    expect(pool.stats().inUse).toBe(ring.heldByKernel);
    // a burst lands between two waits; an enter in the same turn (another socket's trim)
    // posts its completions: the CQ fills up and the rest wait in the kernel's overflow list
    sendFrom(context, 40, 700);
    events.flush();
    expect(events.ring.ready()).toBe(events.ring.cqEntries);
    expect(events.ring.cqOverflowing()).toBe(true);
    ring.trim(performance.now() + idleMs);
    expect(receiveAll(context, 40, 4, 700)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    giveBack();
    expect(pool.stats().inUse).toBe(ring.heldByKernel);
    sendFrom(context, 60, 800);
    expect(receiveAll(context, 60, 4, 800)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    giveBack();
    expect(pool.stats().inUse).toBe(ring.heldByKernel);
  });
  it('one ring serves every socket: an idle socket holds no buffer, and each gets its datagrams', () => {
    const context = setup(4, 16, 4, 64);
    const { mem, events, ring, receiver } = context;
    // two more sockets on the same ring, armed without buffers of their own
    const others = [socketPair(), socketPair()].map(({ a, b }) => {
      const other = new MultishotReceiver(events, b.fd, mem, ring);
      opened.push(other);
      return { ...context, a, b, receiver: other };
    });
    expect(ring.heldByKernel).toBe(4);
    expect(context.pool.stats().inUse).toBe(4);
    events.wait(0);
    sendFrom(others[1]!, 3, 900);
    expect(receiveAll(others[1]!, 3, 4, 900)).toEqual([0, 1, 2]);
    sendFrom(context, 5, 1000);
    expect(receiveAll(context, 5, 4, 1000)).toEqual([0, 1, 2, 3, 4]);
    for (const r of [receiver, ...others.map((o) => o.receiver)]) r.release();
    // every buffer is back in the ring or the pool: none is held for a socket
    expect(context.pool.stats().inUse).toBe(ring.heldByKernel);
    expect(others[0]!.receiver.counters.receiveArms).toBe(1);
  });

  it('a receive that finds the ring empty waits for buffers instead of re-arming, then gets the datagrams the socket kept', () => {
    // the pool's ceiling is the ring's fill: while a batch holds them, the ring is empty
    const context = setup(4, 8, 4, 4);
    const { events, ring, receiver } = context;
    events.wait(0);
    sendFrom(context, 8, 1100);
    const batch = createDatagramBatch(8);
    const seen: number[] = [];
    const take = (n: number) => {
      for (let i = 0; i < n; i++) seen.push(batch.lengths[i] - 300);
    };
    // four datagrams fill the four buffers, the fifth ends the receive (ENOBUFS): one batch takes them all
    events.wait(0);
    take(receiver.receive(batch));
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(receiver.counters.receiveExhausted).toBe(1);
    expect(ring.heldByKernel).toBe(0);
    expect(ring.waitingForBuffers).toBe(1);
    // while the batch holds the buffers: no re-arm, no ENOBUFS, nothing to wake for
    const arms = receiver.counters.receiveArms;
    const enters = events.ring.enterCalls;
    for (let i = 0; i < 20; i++) {
      events.wait(0);
      expect(receiver.waiting()).toBe(false);
    }
    expect(receiver.counters.receiveArms).toBe(arms);
    expect(receiver.counters.receiveExhausted).toBe(1);
    expect(events.ring.enterCalls - enters).toBe(20);
    // the datapath is done with the batch: the buffers go back, the receive is armed again
    receiver.release();
    expect(ring.waitingForBuffers).toBe(0);
    expect(receiver.counters.receiveArms).toBe(arms + 1);
    for (let rounds = 0; seen.length < 8 && rounds < 50; rounds++) {
      events.wait(receiver.waiting() ? 0 : 1000);
      take(receiver.receive(batch));
      receiver.release();
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
  it('trim() with several sockets on the ring: every receive is cancelled and armed again, and no buffer is lost', async () => {
    const idleMs = 50;
    const context = setup(4, 32, 4, 1024, idleMs);
    const { mem, events, ring, pool } = context;
    const sockets = [context, ...[socketPair(), socketPair()].map(({ a, b }) => {
      const receiver = new MultishotReceiver(events, b.fd, mem, ring);
      opened.push(receiver);
      return { ...context, a, b, receiver };
    })];
    events.wait(0);
    // a burst on one socket grows the ring
    sendFrom(context, 40, 1200);
    expect(receiveAll(context, 40, 2, 1200)).toHaveLength(40);
    expect(ring.heldByKernel).toBeGreaterThan(4);
    context.receiver.release();
    for (let tries = 0; ring.heldByKernel > 4 && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      ring.trim(performance.now());
    }
    expect(ring.heldByKernel).toBe(4);
    const arms = sockets.map((s) => s.receiver.counters.receiveArms);
    // each socket still receives: its cancelled op's end re-arms it
    sockets.forEach((socket, k) => {
      sendFrom(socket, 6, 1300 + k * 10);
      expect(receiveAll(socket, 6, 2, 1300 + k * 10)).toEqual([0, 1, 2, 3, 4, 5]);
      socket.receiver.release();
    });
    sockets.forEach((socket, k) => expect(socket.receiver.counters.receiveArms).toBeGreaterThan(arms[k]!));
    events.wait(0);
    for (const socket of sockets) socket.receiver.receive(createDatagramBatch(2));
    for (const socket of sockets) socket.receiver.release();
    expect(pool.stats().inUse).toBe(ring.heldByKernel);
  });
});
