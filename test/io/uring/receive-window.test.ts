// The io_uring receive arms about as many linked RECVMSG ops as the traffic needs: on an
// idle link, a datagram costs one io_uring_enter with two SQEs (the datagram and the
// EAGAIN that ends the link) instead of a whole batch of ops the kernel cancels; a burst
// after an idle spell still comes back as one full batch from one receive() call.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createDatagramBatch, type DatagramBatch } from '../../../src/io/batch.js';
import { writeSockaddr } from '../../../src/io/sockaddr.js';
import { closeSocket, openUdpSocket, type UdpSocket } from '../../../src/io/udp.js';
import { probeUring } from '../../../src/io/uring/availability.js';
import { UringDatagramIo } from '../../../src/io/uring/batch-uring.js';
import { Ring } from '../../../src/io/uring/ring.js';
import { fillPattern, hasPattern, testPacketMemory } from '../../helpers/packet-memory.js';

const SLOT = 2048;
const CAPACITY = 64;
const DATAGRAM = 300;

const sockets: UdpSocket[] = [];
const rings: Ring[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) closeSocket(s);
});
afterAll(() => {
  for (const ring of rings.splice(0)) ring.close();
});

function open(): UdpSocket {
  const s = openUdpSocket({ address: '127.0.0.1', port: 0, gro: false });
  sockets.push(s);
  return s;
}

describe.runIf(probeUring().available)('io_uring receive window', () => {
  it('arms two ops per datagram on an idle link and still takes a burst in one receive()', () => {
    const mem = testPacketMemory();
    const a = open();
    const b = open();
    const txRing = new Ring(4 * CAPACITY);
    const rxRing = new Ring(4 * CAPACITY);
    rings.push(txRing, rxRing);
    const tx = new UringDatagramIo(txRing, a.fd, mem, { capacity: CAPACITY, gso: false });
    const rx = new UringDatagramIo(rxRing, b.fd, mem, { capacity: CAPACITY, gso: false });
    const out = createDatagramBatch(CAPACITY);
    const into = createDatagramBatch(CAPACITY);
    let seed = 0;

    const send = (count: number): void => {
      for (let i = 0; i < count; i++) {
        out.offsets[i] = i * SLOT;
        out.lengths[i] = DATAGRAM;
        fillPattern(mem.bytes, out.offsets[i], DATAGRAM, seed + i);
        writeSockaddr(out.addresses, i, b.local);
      }
      out.count = count;
      expect(tx.send(out)).toBe(count);
    };
    /** Receives once; returns the io_uring_enter calls and SQEs that took. */
    const receive = (expected: number): { enters: number; sqes: number } => {
      resetSlots(into);
      const enters = rxRing.enterCalls;
      const sqes = rxRing.sqesSubmitted;
      expect(rx.receive(into)).toBe(expected);
      for (let i = 0; i < expected; i++) expect(hasPattern(mem.bytes, into.offsets[i], into.lengths[i], seed + i)).toBe(true);
      seed += expected;
      return { enters: rxRing.enterCalls - enters, sqes: rxRing.sqesSubmitted - sqes };
    };

    // A first burst: the whole batch is armed, one call.
    send(CAPACITY);
    expect(receive(CAPACITY)).toEqual({ enters: 1, sqes: CAPACITY });
    // The first datagram after it may still find a whole batch armed; from then on, two ops each.
    send(1);
    receive(1);
    for (let ping = 0; ping < 10; ping++) {
      send(1);
      expect(receive(1)).toEqual({ enters: 1, sqes: 2 });
    }
    // Nothing there: one op, one EAGAIN, no exception.
    expect(receive(0).sqes).toBeLessThanOrEqual(2);
    // A burst after the idle spell: all of it from one receive(), the window grown on the way.
    send(CAPACITY);
    const burst = receive(CAPACITY);
    expect(burst.enters).toBeGreaterThan(1);
    expect(burst.enters).toBeLessThanOrEqual(4);
    // ...and the next burst is one call again.
    send(CAPACITY);
    expect(receive(CAPACITY)).toEqual({ enters: 1, sqes: CAPACITY });
  });
});

function resetSlots(batch: DatagramBatch): void {
  for (let i = 0; i < CAPACITY; i++) {
    batch.offsets[i] = (CAPACITY + i) * SLOT;
    batch.lengths[i] = SLOT;
  }
}
