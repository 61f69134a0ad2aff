// A datapath worker whose TUN/TAP interface has a kernel MTU above fastd's `mtu` (the admin
// raised it, or multitap gave another peer a larger one, so the pool buffers are larger than
// this interface needs): a frame longer than the interface's MTU plus its link header must be
// dropped before it is sealed and counted as malformed, on every read path — the armed
// io_uring READ, plain reads on the io_uring backend, the fallback backend — in tap, tun and
// multitap mode, and the frames after it go through whole. One worker, one peer: the peer is a
// UDP socket of the test's own, which sees exactly what the worker put on the wire (the null
// method carries the frame as is). Runs the compiled worker: `npm run build` first.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMethodProvider } from '../../../../src/crypto/methods/registry.js';
import { DatapathWorker } from '../../../../src/engine/workers/worker-handle.js';
import { GLOBAL_STATS_FIELDS, GlobalStat, type Endpoint, type FromWorker, type InterfaceSpec } from '../../../../src/engine/datapath/messages.js';
import { FallbackDatagramIo } from '../../../../src/io/batch-fallback.js';
import { createDatagramBatch } from '../../../../src/io/batch.js';
import { Ethernet } from '../../../../src/io/offload/headers.js';
import { writeSockaddr } from '../../../../src/io/sockaddr.js';
import { closeTunTap, openTunTap, type TunTap } from '../../../../src/io/tuntap.js';
import { closeSocket, openUdpSocket, type UdpSocket } from '../../../../src/io/udp.js';
import { probeUring } from '../../../../src/io/uring/availability.js';
import { haveNetns, isRoot, requireSystem } from '../../../helpers/prereq.js';
import { testPacketMemory } from '../../../helpers/packet-memory.js';
import { Namespace } from '../../../../src/testbed/namespaces.js';
import { onlySocket, workerInit } from '../worker-init.js';
import { settle } from '../../../helpers/wait.js';

const WORKER = new URL('../../../../dist/engine/datapath/worker.js', import.meta.url);
const ok = requireSystem('over-MTU frames read from TAP/TUN interfaces in a private namespace', { root: isRoot, netns: haveNetns });
const haveUring = requireSystem('over-MTU frames on the io_uring read paths', { ioUring: probeUring().available });
/** fastd's `mtu` for the interface. */
const MTU = 1400;
/** What the admin set on the kernel's interface. */
const KERNEL_MTU = 3000;
/** Another peer's (multitap) MTU: the pool buffers would take even the kernel's largest frame whole. */
const LARGEST_MTU = 9000;
/** IPv4 and UDP headers in front of a datagram's payload. */
const IP_UDP_HEADERS = 28;
const PEER = 0;
const SLOT = 16384;
const REMOTE = '10.78.0.2';

type Mode = 'tap' | 'tun' | 'multitap';
type ReadPath = 'armed io_uring READ' | 'plain reads on io_uring' | 'fallback backend';

interface Setup {
  ns: Namespace;
  device: TunTap;
  workerSocket: UdpSocket;
  peerSocket: UdpSocket;
  worker: DatapathWorker;
  messages: FromWorker[];
  globalStats: Float64Array;
}

let setup: Setup | null = null;
/** The namespace of the running case, deleted after it even when its setup failed half-way. */
let namespace: Namespace | null = null;
let sequence = 0;

function endpoint(socket: UdpSocket): Endpoint {
  return { family: 4, address: socket.local.address, port: socket.local.port, scopeId: 0 };
}

async function start(mode: Mode, path: ReadPath): Promise<Setup> {
  const ns = Namespace.create(`mtu-dp-${process.pid}-${sequence++}`);
  namespace = ns;
  // no IPv6 and a static neighbour: the only frames on the interface are the test's own
  ns.exec('sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  ns.ip('link', 'set', 'lo', 'up');
  const kind = mode === 'tun' ? 'tun' : 'tap';
  const name = 'mtu0';
  const device = ns.inside(() => openTunTap({ kind, name, mtu: MTU, up: true }));
  ns.ip('link', 'set', name, 'mtu', String(KERNEL_MTU));
  if (kind === 'tun') ns.ip('addr', 'add', '10.78.0.1', 'peer', REMOTE, 'dev', name);
  else {
    ns.ip('addr', 'add', '10.78.0.1/24', 'dev', name);
    ns.ip('neigh', 'add', REMOTE, 'lladdr', '02:00:00:00:00:02', 'dev', name);
  }
  const workerSocket = ns.inside(() => openUdpSocket({ address: '127.0.0.1', port: 0 }));
  const peerSocket = ns.inside(() => openUdpSocket({ address: '127.0.0.1', port: 0 }));
  const globalStats = new SharedArrayBuffer(GLOBAL_STATS_FIELDS * 8);
  const spec: InterfaceSpec = { interfaceId: 0, fd: device.fd, name, kind, mtu: MTU };
  const worker = new DatapathWorker(WORKER);
  setup = { ns, device, workerSocket, peerSocket, worker, messages: [], globalStats: new Float64Array(globalStats) };
  const messages = setup.messages;
  worker.on('message', (message: FromWorker) => messages.push(message));
  worker.post(
    workerInit({
      mode,
      sockets: onlySocket(workerSocket.fd),
      interfaces: mode === 'tap' ? [spec] : [],
      globalStats,
      memoryCeiling: 32 << 20,
      maxMtu: LARGEST_MTU,
      ioBackend: path === 'fallback backend' ? 'fallback' : 'io_uring',
      // FASTD_TS_URING_WAIT=0's setting: io_uring batches, but poll(2) waits and plain reads
      eventRing: path !== 'plain reads on io_uring',
    }),
  );
  worker.post({ type: 'addPeer', peerId: PEER, interface: mode === 'tap' ? undefined : spec });
  worker.post({ type: 'setPeerAddress', peerId: PEER, socketId: 0, endpoint: endpoint(peerSocket) });
  const key = randomBytes(createMethodProvider('null')!.keyLength);
  worker.post({ type: 'installSession', peerId: PEER, method: 'null', key, initiator: true, compat: false, sendEmpty: false });
  await settle(() => messages.some((m) => m.type === 'ready' || m.type === 'fatal'));
  expect(messages.filter((m) => m.type === 'fatal')).toEqual([]);
  expect(messages.find((m) => m.type === 'ready')).toMatchObject({ backend: path === 'fallback backend' ? 'fallback' : 'io_uring' });
  return setup;
}

async function stop(): Promise<void> {
  const ns = namespace;
  namespace = null;
  if (setup) {
    const { device, workerSocket, peerSocket, worker } = setup;
    setup = null;
    await worker.stop();
    closeTunTap(device);
    closeSocket(workerSocket);
    closeSocket(peerSocket);
  }
  ns?.delete();
}

/** Sends UDP datagrams of these payload sizes to REMOTE through the interface, each filled with its index + 1. */
function sendThroughInterface(s: Setup, payloads: readonly number[]): void {
  const memory = testPacketMemory(8);
  const socket = s.ns.inside(() => openUdpSocket({ address: '0.0.0.0', port: 0 }));
  try {
    const io = new FallbackDatagramIo(socket.fd, memory, { capacity: payloads.length, gso: false });
    const batch = createDatagramBatch(payloads.length);
    payloads.forEach((size, i) => {
      batch.offsets[i] = i * SLOT;
      batch.lengths[i] = size;
      memory.bytes.fill(i + 1, i * SLOT, i * SLOT + size);
      writeSockaddr(batch.addresses, i, { address: REMOTE, port: 9, scopeId: 0 });
    });
    batch.count = payloads.length;
    expect(io.send(batch)).toBe(payloads.length);
    expect(Array.from(batch.errors.subarray(0, payloads.length))).toEqual(payloads.map(() => 0));
    io.close();
  } finally {
    closeSocket(socket);
  }
}

/** The datagrams the peer got so far: their lengths and last bytes (the sent datagram's index + 1). */
function receiveAtPeer(s: Setup, into: { length: number; mark: number }[], memory = testPacketMemory(8)): void {
  const io = new FallbackDatagramIo(s.peerSocket.fd, memory, { capacity: 8, gso: false });
  const batch = createDatagramBatch(8);
  for (;;) {
    for (let i = 0; i < 8; i++) {
      batch.offsets[i] = i * SLOT;
      batch.lengths[i] = SLOT;
    }
    const count = io.receive(batch);
    if (count === 0) break;
    for (let i = 0; i < count; i++) into.push({ length: batch.lengths[i], mark: memory.bytes[batch.offsets[i] + batch.lengths[i] - 1] });
  }
  io.close();
}

describe.runIf(ok)('frames longer than the interface MTU, read from TUN/TAP', () => {
  beforeAll(() => {
    if (!existsSync(WORKER)) throw new Error(`${WORKER.pathname} is missing: run "npm run build" first`);
  });
  afterEach(stop);

  const paths: ReadPath[] = ['armed io_uring READ', 'plain reads on io_uring', 'fallback backend'];
  for (const path of paths) {
    for (const mode of ['tap', 'tun', 'multitap'] as const) {
      it.runIf(path === 'fallback backend' || haveUring)(`${mode}, ${path}: are dropped and counted as malformed, and the frames after them go through whole`, async () => {
        const s = await start(mode, path);
        const link = mode === 'tun' ? 0 : Ethernet.SIZE;
        const fits = MTU - IP_UDP_HEADERS;
        // one byte over the limit; the kernel's largest; exactly the limit; a small one
        sendThroughInterface(s, [fits + 1, KERNEL_MTU - IP_UDP_HEADERS, fits, 100]);
        const got: { length: number; mark: number }[] = [];
        await settle(() => {
          receiveAtPeer(s, got);
          return got.length >= 2;
        });
        expect(got.map((d) => d.mark)).toEqual([3, 4]);
        // the frames' lengths differ on the wire as they did on the interface: both went whole
        expect(got[0].length - got[1].length).toBe(fits - 100);
        expect(got[0].length).toBeGreaterThanOrEqual(MTU + link);
        expect(s.globalStats[GlobalStat.DropMalformed]).toBe(2);
        expect(s.messages.filter((m) => m.type === 'fatal')).toEqual([]);
      });
    }
  }
});
