// A real datapath worker (the compiled dist/engine/datapath/worker.js: `npm run build` first)
// on the io_uring backend, fed 1000 datagrams: its socket's multishot RECVMSG is armed once
// and serves them all, the worker wakes from one io_uring_enter per burst rather than per
// datagram, and receiving costs no io_uring_enter of its own.
import { afterEach, describe, expect, it } from 'vitest';
import { DatapathWorker } from '../../../src/engine/workers/worker-handle.js';
import { GLOBAL_STATS_FIELDS, GlobalStat, type FromWorker } from '../../../src/engine/datapath/messages.js';
import { FallbackDatagramIo } from '../../../src/io/batch-fallback.js';
import { createDatagramBatch } from '../../../src/io/batch.js';
import { writeSockaddr } from '../../../src/io/sockaddr.js';
import { closeSocket, openUdpSocket, probeUdpOffloads, type UdpSocket } from '../../../src/io/udp.js';
import { probeUring } from '../../../src/io/uring/availability.js';
import { requireSystem } from '../../helpers/prereq.js';
import { testPacketMemory } from '../../helpers/packet-memory.js';
import { onlySocket, workerInit } from '../../engine/datapath/worker-init.js';
import { settle } from '../../helpers/wait.js';

const WORKER = new URL('../../../dist/engine/datapath/worker.js', import.meta.url);
const support = probeUring();
const offloads = probeUdpOffloads();
const ok = requireSystem('multishot receive in a datapath worker', {
  multishotRecvmsg: support.available && support.multishotRecvmsg,
  udpGso: offloads.gso && offloads.gro,
});
const DATAGRAMS = 1000;
const BURST = 100;
const SIZE = 200;
/** Not a fastd packet type: each datagram is classified, counted as malformed and dropped. */
const NOT_A_PACKET_TYPE = 0xff;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function startWorker(socket: UdpSocket): { globalStats: Float64Array; messages: FromWorker[] } {
  const globalStats = new SharedArrayBuffer(GLOBAL_STATS_FIELDS * 8);
  const worker = new DatapathWorker(WORKER);
  const messages: FromWorker[] = [];
  worker.on('message', (message) => messages.push(message));
  worker.post(workerInit({ sockets: onlySocket(socket.fd), globalStats, memoryCeiling: 32 << 20, ioBackend: 'io_uring' }));
  cleanups.push(async () => void (await worker.stop()));
  return { globalStats: new Float64Array(globalStats), messages };
}

describe.runIf(ok)('multishot receive in a datapath worker', () => {
  it('1000 datagrams: one RECVMSG armed, about one wait per burst, no io_uring_enter for receiving', async () => {
    const target = openUdpSocket({ address: '127.0.0.1', port: 0 });
    const sender = openUdpSocket({ address: '127.0.0.1', port: 0 });
    cleanups.push(() => closeSocket(sender), () => closeSocket(target));
    const { globalStats, messages } = startWorker(target);
    await settle(() => messages.some((m) => m.type === 'ready' || m.type === 'fatal'), 20_000);
    expect(messages.filter((m) => m.type === 'fatal')).toEqual([]);
    expect(messages.find((m) => m.type === 'ready')).toMatchObject({ backend: 'io_uring' });

    // same-size datagrams sent with UDP GSO reach the worker's GRO socket as a few bundles per burst
    const memory = testPacketMemory();
    const io = new FallbackDatagramIo(sender.fd, memory, { capacity: BURST, gso: true });
    cleanups.push(() => io.close());
    const batch = createDatagramBatch(BURST);
    for (let i = 0; i < BURST; i++) {
      batch.offsets[i] = i * 256;
      batch.lengths[i] = SIZE;
      memory.bytes.fill(NOT_A_PACKET_TYPE, batch.offsets[i], batch.offsets[i] + SIZE);
      writeSockaddr(batch.addresses, i, target.local);
    }
    const started = Date.now();
    for (let sent = 0; sent < DATAGRAMS; sent += BURST) {
      batch.count = BURST;
      expect(io.send(batch)).toBe(BURST);
      await settle(() => globalStats[GlobalStat.DropMalformed] === sent + BURST, 20_000);
    }
    expect(globalStats[GlobalStat.DropMalformed]).toBe(DATAGRAMS);
    // the running totals are published with the timers, once a second
    await settle(() => globalStats[GlobalStat.ReceiveArms] > 0 && globalStats[GlobalStat.UringWaits] > 0, 20_000);
    const seconds = Math.ceil((Date.now() - started) / 1000);
    expect(globalStats[GlobalStat.ReceiveArms]).toBe(1);
    expect(globalStats[GlobalStat.ReceiveExhausted]).toBe(0);
    expect(globalStats[GlobalStat.GroDatagrams]).toBeGreaterThan(0);
    // nothing was sent, and receiving needs no io_uring_enter besides the waits
    expect(globalStats[GlobalStat.IoSyscalls]).toBe(0);
    // a GSO burst of 100 is two bundles (64 segments at most each): at most two wake-ups per
    // burst, plus the timers' once a second and the start
    const bursts = DATAGRAMS / BURST;
    expect(globalStats[GlobalStat.UringWaits]).toBeLessThanOrEqual(2 * bursts + seconds + 4);
  });
});
