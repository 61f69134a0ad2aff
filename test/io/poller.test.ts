import { afterEach, describe, expect, it } from 'vitest';
import { createDatagramBatch } from '../../src/io/batch.js';
import { FallbackDatagramIo } from '../../src/io/batch-fallback.js';
import { Poller } from '../../src/io/poller.js';
import { writeSockaddr } from '../../src/io/sockaddr.js';
import { closeSocket, openUdpSocket, type UdpSocket } from '../../src/io/udp.js';
import { testPacketMemory } from './memory.js';

const opened: UdpSocket[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) closeSocket(s);
});

describe('Poller (fallback backend waits)', () => {
  it('times out with nothing to read, then reports exactly the socket that has a datagram', () => {
    const mem = testPacketMemory(1);
    const [a, b, c] = [0, 1, 2].map(() => openUdpSocket({ address: '127.0.0.1', port: 0 }));
    opened.push(a, b, c);
    const poller = new Poller([b.fd, c.fd]);
    try {
      expect(poller.wait(20)).toBe(0);
      const io = new FallbackDatagramIo(a.fd, mem, { capacity: 1, gso: false, gro: false });
      const batch = createDatagramBatch(1);
      batch.lengths[0] = 8;
      batch.count = 1;
      writeSockaddr(batch.addresses, 0, c.local);
      expect(io.send(batch)).toBe(1);
      io.close();
      expect(poller.wait(1000)).toBe(1);
      expect(poller.readable(0)).toBe(false);
      expect(poller.readable(1)).toBe(true);
    } finally {
      poller.close();
    }
  });
});
