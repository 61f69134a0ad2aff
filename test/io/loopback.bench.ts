// Loopback packets/s of each backend: `npx vitest bench --run test/io/loopback.bench.ts`.
// One iteration sends a batch of 64 datagrams of 1200 bytes and receives them back, so
// packets/s = 64 × the reported hz. A measurement tool, not a test: it asserts nothing.
import { bench, describe } from 'vitest';
import { createDatagramBatch, type DatagramIo } from '../../src/io/batch.js';
import { createBackend, type BackendKind } from '../../src/io/backend.js';
import { writeSockaddr } from '../../src/io/sockaddr.js';
import { openUdpSocket, setSocketBuffers } from '../../src/io/udp.js';
import { MultishotReceiver } from '../../src/io/uring/multishot.js';
import { Ring } from '../../src/io/uring/ring.js';
import { testPacketMemory } from './memory.js';

const BATCH = 64;
const SIZE = 1200;
const SLOT = 2048;

function setup(kind: BackendKind, gso: boolean): () => void {
  const mem = testPacketMemory();
  const backend = createBackend(mem, { prefer: kind });
  const a = openUdpSocket({ address: '127.0.0.1', port: 0 });
  const b = openUdpSocket({ address: '127.0.0.1', port: 0 });
  setSocketBuffers(b.fd, 4 << 20, 4 << 20);
  const tx: DatagramIo = backend.datagrams(a.fd, { capacity: BATCH, gso, gro: false });
  const rx: DatagramIo = backend.datagrams(b.fd, { capacity: BATCH, gso: false, gro: false });
  const out = createDatagramBatch(BATCH);
  const into = createDatagramBatch(BATCH);
  for (let i = 0; i < BATCH; i++) {
    out.offsets[i] = i * SLOT;
    out.lengths[i] = SIZE;
    writeSockaddr(out.addresses, i, b.local);
  }
  return () => {
    out.count = BATCH;
    let sent = 0;
    while (sent < BATCH) sent = tx.send(out, sent);
    let received = 0;
    while (received < BATCH) {
      for (let i = 0; i < BATCH; i++) {
        into.offsets[i] = (BATCH + i) * SLOT;
        into.lengths[i] = SLOT;
      }
      received += rx.receive(into);
    }
  };
}

// io_uring SENDMSG batches out, one armed multishot RECVMSG with a provided-buffer ring in.
function setupMultishot(): () => void {
  const mem = testPacketMemory();
  const backend = createBackend(mem, { prefer: 'io_uring' });
  const a = openUdpSocket({ address: '127.0.0.1', port: 0 });
  const b = openUdpSocket({ address: '127.0.0.1', port: 0 });
  setSocketBuffers(b.fd, 4 << 20, 4 << 20);
  const tx = backend.datagrams(a.fd, { capacity: BATCH, gso: false, gro: false });
  const receiver = new MultishotReceiver(new Ring(8), b.fd, mem, { entries: 256, bufferSize: SLOT, groupId: 0 });
  for (let i = 0; i < 256; i++) receiver.provide((BATCH + i) * SLOT);
  const out = createDatagramBatch(BATCH);
  const into = createDatagramBatch(BATCH);
  const starts = new Uint32Array(BATCH);
  for (let i = 0; i < BATCH; i++) {
    out.offsets[i] = i * SLOT;
    out.lengths[i] = SIZE;
    writeSockaddr(out.addresses, i, b.local);
  }
  return () => {
    out.count = BATCH;
    let sent = 0;
    while (sent < BATCH) sent = tx.send(out, sent);
    let received = 0;
    while (received < BATCH) {
      const n = receiver.receive(into, starts, -1);
      for (let i = 0; i < n; i++) receiver.provide(starts[i]);
      received += n;
    }
  };
}

describe(`UDP loopback, ${BATCH} × ${SIZE} B per iteration`, () => {
  bench('fallback recvmmsg/sendmmsg', setup('fallback', false), { time: 2000 });
  bench('fallback, sendmmsg with GSO', setup('fallback', true), { time: 2000 });
  bench('io_uring RECVMSG/SENDMSG', setup('io_uring', false), { time: 2000 });
  bench('io_uring, SENDMSG with GSO', setup('io_uring', true), { time: 2000 });
  bench('io_uring SENDMSG, multishot RECVMSG', setupMultishot(), { time: 2000 });
});
