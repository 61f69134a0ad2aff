// One datapath worker with a TUN in a private namespace, and the test as its peer, sealing
// packets with the same method code. Sent out of order, the worker must deliver each
// in-window packet once, count the late ones as rx_reordered (fastd's statistic), and drop
// the replayed one; sent as one UDP GSO send, the packets reach the worker as one UDP GRO
// bundle, and a forged packet inside it must cost only itself. Runs the compiled worker:
// `npm run build` first.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMethodProvider } from '../../../../src/crypto/methods/registry.js';
import { PacketStatus, type MethodSession, type PacketBatch } from '../../../../src/crypto/methods/provider.js';
import { DatapathWorker } from '../../../../src/engine/workers/worker-handle.js';
import { GLOBAL_STATS_FIELDS, GlobalStat, PEER_STATS_FIELDS, PeerStat, type FromWorker } from '../../../../src/engine/datapath/messages.js';
import { FallbackDatagramIo } from '../../../../src/io/batch-fallback.js';
import { createDatagramBatch } from '../../../../src/io/batch.js';
import { packetMemory } from '../../../../src/io/native-memory.js';
import { writeSockaddr } from '../../../../src/io/sockaddr.js';
import { closeTunTap, openTunTap, type TunTap } from '../../../../src/io/tuntap.js';
import { closeSocket, openUdpSocket, type UdpSocket } from '../../../../src/io/udp.js';
import { haveNetns, isRoot, requireSystem } from '../../../helpers/prereq.js';
import { Namespace } from '../../../../src/testbed/namespaces.js';
import { ipv4Udp } from '../../../io/packets.js';
import { onlySocket, workerInit } from '../worker-init.js';
import { settle } from '../../../helpers/wait.js';

const WORKER = new URL('../../../../dist/engine/datapath/worker.js', import.meta.url);
const ok = requireSystem('a datapath worker with a TUN in a private namespace', { root: isRoot, netns: haveNetns });
const METHOD = 'salsa2012+umac';
const SLOT = 4096;
const LISTEN_PORT = 5555;

describe.runIf(ok)('a worker receiving from a peer the test plays', () => {
  let ns: Namespace;
  let device: TunTap;
  let workerSocket: UdpSocket;
  let peerSocket: UdpSocket;
  let listener: UdpSocket;
  let worker: DatapathWorker;
  const messages: FromWorker[] = [];
  const peerStats = new Float64Array(new SharedArrayBuffer(PEER_STATS_FIELDS * 8));
  const globalStats = new Float64Array(new SharedArrayBuffer(GLOBAL_STATS_FIELDS * 8));
  // the test's own packet memory, with room for the method's state to grow into
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 256, shared: true });
  const io = packetMemory(memory);
  /** The test's end of the peer's session (it initiated). */
  let session: MethodSession;

  beforeAll(async () => {
    if (!existsSync(WORKER)) throw new Error(`${WORKER.pathname} is missing: run "npm run build" first`);
    ns = Namespace.create(`dp-reorder-${process.pid}`);
    ns.ip('link', 'set', 'lo', 'up');
    device = ns.inside(() => openTunTap({ kind: 'tun', name: 'dpr', mtu: 1400, up: true }));
    ns.ip('addr', 'add', '10.78.0.2', 'peer', '10.78.0.1', 'dev', 'dpr');
    [workerSocket, peerSocket, listener] = ns.inside(() => [
      openUdpSocket({ address: '127.0.0.1', port: 0 }),
      openUdpSocket({ address: '127.0.0.1', port: 0 }),
      openUdpSocket({ address: '10.78.0.2', port: LISTEN_PORT }),
    ]);
    worker = new DatapathWorker(WORKER);
    worker.post(
      workerInit({
        mode: 'tun',
        sockets: onlySocket(workerSocket.fd),
        peerStats: peerStats.buffer as SharedArrayBuffer,
        globalStats: globalStats.buffer as SharedArrayBuffer,
      }),
    );
    worker.on('message', (message) => messages.push(message));
    await settle(() => messages.some((m) => m.type === 'ready'));
    const provider = createMethodProvider(METHOD)!;
    const key = randomBytes(provider.keyLength);
    worker.post({ type: 'addPeer', peerId: 0, interface: { interfaceId: 0, fd: device.fd, name: 'dpr', kind: 'tun', mtu: 1400 } });
    worker.post({ type: 'setPeerAddress', peerId: 0, socketId: 0, endpoint: { family: 4, ...peerSocket.local, scopeId: 0 } });
    worker.post({ type: 'installSession', peerId: 0, method: METHOD, key, initiator: false, compat: false, sendEmpty: false });
    session = provider.createSession(key, { initiator: true, compat: false }, performance.now(), memory);
  });

  afterAll(async () => {
    session?.destroy();
    await worker?.stop();
    for (const socket of [workerSocket, peerSocket, listener]) if (socket) closeSocket(socket);
    if (device) closeTunTap(device);
    ns?.delete();
  });

  /** Sends sealed packets [offset, length) from the peer's socket to the worker's (with `gso`: as one UDP_SEGMENT send). */
  function send(packets: readonly [number, number][], gso = false): void {
    const out = new FallbackDatagramIo(peerSocket.fd, io, { capacity: packets.length, gso });
    const batch = createDatagramBatch(packets.length);
    packets.forEach(([offset, length], i) => {
      batch.offsets[i] = offset;
      batch.lengths[i] = length;
      writeSockaddr(batch.addresses, i, workerSocket.local);
    });
    batch.count = packets.length;
    expect(out.send(batch)).toBe(packets.length);
    out.close();
  }

  /** The payloads of the datagrams that reached the listener behind the worker's TUN. */
  function delivered(): string[] {
    const input = new FallbackDatagramIo(listener.fd, io, { capacity: 16, gso: false });
    const batch = createDatagramBatch(16);
    const payloads: string[] = [];
    for (;;) {
      for (let i = 0; i < 16; i++) {
        batch.offsets[i] = (40 + i) * SLOT;
        batch.lengths[i] = SLOT;
      }
      const n = input.receive(batch);
      for (let i = 0; i < n; i++) payloads.push(Buffer.from(io.bytes.subarray(batch.offsets[i], batch.offsets[i] + batch.lengths[i])).toString());
      if (n === 0) break;
    }
    input.close();
    return payloads;
  }

  /** Seals UDP datagrams carrying `payloads` to the listener with the test's session, in slots 1.. of its memory. */
  function seal(payloads: readonly string[]): PacketBatch {
    const count = payloads.length;
    const batch: PacketBatch = { memory, count, offsets: new Uint32Array(count), lengths: new Uint32Array(count), status: new Uint8Array(count) };
    const bytes = new Uint8Array(memory.buffer);
    payloads.forEach((payload, i) => {
      const packet = ipv4Udp('10.78.0.1', '10.78.0.2', 4000, LISTEN_PORT, new TextEncoder().encode(payload));
      batch.offsets[i] = (i + 1) * SLOT + 64;
      batch.lengths[i] = packet.length;
      bytes.set(packet, batch.offsets[i]);
    });
    session.seal(batch, performance.now());
    expect(Array.from(batch.status)).toEqual(new Array(count).fill(PacketStatus.Ok));
    return batch;
  }

  it('delivers late packets inside the window once, counts them as reordered, and drops a replay', async () => {
    const batch = seal(['packet 0', 'packet 1', 'packet 2', 'packet 3', 'packet 4']);
    const sealed = (i: number): [number, number] => [batch.offsets[i], batch.lengths[i]];

    send([sealed(0), sealed(2), sealed(1), sealed(4), sealed(3)]);
    await settle(() => peerStats[PeerStat.RxPackets] >= 5);
    expect(peerStats[PeerStat.RxPackets]).toBe(5);
    expect(peerStats[PeerStat.RxReorderedPackets]).toBe(2);
    const received: string[] = [];
    await settle(() => received.push(...delivered()) >= 5);
    expect(received.sort()).toEqual(['packet 0', 'packet 1', 'packet 2', 'packet 3', 'packet 4']);

    send([sealed(2)]);
    await settle(() => globalStats[GlobalStat.DropReplay] >= 1);
    expect(globalStats[GlobalStat.DropReplay]).toBe(1);
    expect(peerStats[PeerStat.RxPackets]).toBe(5);
    expect(messages.filter((m) => m.type === 'fatal')).toEqual([]);
  });

  it('opens a UDP GRO bundle with one forged packet: only that one is dropped, and counted', async () => {
    const before = { rx: peerStats[PeerStat.RxPackets], auth: globalStats[GlobalStat.DropAuth], gro: globalStats[GlobalStat.GroDatagrams] };
    const COUNT = 16;
    const FORGED = 7;
    // same-size payloads, so that one UDP_SEGMENT send carries them all
    const payloads = Array.from({ length: COUNT }, (_, i) => `bundle ${String(i).padStart(2, '0')}`);
    const batch = seal(payloads);
    const bytes = new Uint8Array(memory.buffer);
    bytes[batch.offsets[FORGED] + batch.lengths[FORGED] - 1] ^= 0x01;
    send(Array.from({ length: COUNT }, (_, i): [number, number] => [batch.offsets[i], batch.lengths[i]]), true);
    await settle(() => globalStats[GlobalStat.DropAuth] > before.auth && peerStats[PeerStat.RxPackets] >= before.rx + COUNT - 1);
    expect(globalStats[GlobalStat.DropAuth] - before.auth).toBe(1);
    expect(peerStats[PeerStat.RxPackets] - before.rx).toBe(COUNT - 1);
    const received: string[] = [];
    await settle(() => received.push(...delivered()) >= COUNT - 1);
    expect(received.sort()).toEqual(payloads.filter((_, i) => i !== FORGED));
    // the statistics are published once a second: the bundle arrived coalesced
    await settle(() => globalStats[GlobalStat.GroDatagrams] >= before.gro + COUNT, 3000);
    expect(globalStats[GlobalStat.GroDatagrams] - before.gro).toBeGreaterThanOrEqual(COUNT);
    expect(messages.filter((m) => m.type === 'fatal')).toEqual([]);
  });
});
