// The handshakes of a receive batch packed for the control plane and read back: senders,
// local addresses (or none) and packets as they were, past the buffer's first size.
import { describe, expect, it } from 'vitest';
import { createDatagramBatch } from '../../../src/io/batch.js';
import { HandshakeRecords, readHandshakeRecords } from '../../../src/engine/datapath/handshake-records.js';
import type { Endpoint } from '../../../src/engine/datapath/messages.js';
import { writeSockaddr } from '../../../src/io/sockaddr.js';

describe('handshake records', () => {
  it('carries each handshake with its sender and local address, and starts over after take()', () => {
    const batch = createDatagramBatch(3);
    writeSockaddr(batch.addresses, 0, { address: '192.0.2.7', port: 10000 });
    writeSockaddr(batch.locals, 0, { address: '198.51.100.1', port: 0 });
    writeSockaddr(batch.addresses, 1, { address: 'fe80::1', port: 20000, scopeId: 3 });
    writeSockaddr(batch.addresses, 2, { address: '2001:db8::2', port: 1 });
    writeSockaddr(batch.locals, 2, { address: '2001:db8::1', port: 0 });
    const bytes = new Uint8Array(4096).map((_, i) => i & 0xff);
    const records = new HandshakeRecords(64);
    records.add(batch.addresses, batch.locals, 0, bytes, 10, 100);
    records.add(batch.addresses, batch.locals, 1, bytes, 0, 1500);
    records.add(batch.addresses, batch.locals, 2, bytes, 7, 1);
    expect(records.count).toBe(3);
    const read: { endpoint: Endpoint; local: Endpoint | undefined; packet: number[] }[] = [];
    readHandshakeRecords(records.take(), (endpoint, local, packet) => read.push({ endpoint, local, packet: [...packet] }));
    expect(read).toEqual([
      { endpoint: { family: 4, address: '192.0.2.7', port: 10000, scopeId: 0 }, local: { family: 4, address: '198.51.100.1', port: 0, scopeId: 0 }, packet: [...bytes.subarray(10, 110)] },
      { endpoint: { family: 6, address: 'fe80::1', port: 20000, scopeId: 3 }, local: undefined, packet: [...bytes.subarray(0, 1500)] },
      { endpoint: { family: 6, address: '2001:db8::2', port: 1, scopeId: 0 }, local: { family: 6, address: '2001:db8::1', port: 0, scopeId: 0 }, packet: [7] },
    ]);
    expect(records.count).toBe(0);
    expect(records.take().byteLength).toBe(0);
  });

  it('reads a sender or local address repeated from the record before into the same endpoint, and a changed one anew', () => {
    const batch = createDatagramBatch(4);
    const senders = ['192.0.2.7', '192.0.2.7', '192.0.2.8', '192.0.2.7'];
    senders.forEach((address, i) => writeSockaddr(batch.addresses, i, { address, port: 10000 }));
    for (const i of [0, 1, 2]) writeSockaddr(batch.locals, i, { address: '198.51.100.1', port: 0 });
    const records = new HandshakeRecords();
    for (let i = 0; i < senders.length; i++) records.add(batch.addresses, batch.locals, i, new Uint8Array([i]), 0, 1);
    const read: { endpoint: Endpoint; local: Endpoint | undefined }[] = [];
    readHandshakeRecords(records.take(), (endpoint, local) => read.push({ endpoint, local }));
    expect(read.map(({ endpoint }) => endpoint.address)).toEqual(senders);
    expect(read[1]!.endpoint).toBe(read[0]!.endpoint);
    expect(read[2]!.endpoint).not.toBe(read[1]!.endpoint);
    expect(read[3]!.endpoint).not.toBe(read[2]!.endpoint);
    expect(read[1]!.local).toBe(read[0]!.local);
    expect(read[2]!.local).toBe(read[0]!.local);
    expect(read[3]!.local).toBeUndefined();
  });
});
