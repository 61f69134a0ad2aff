// Two datapath workers, each with a TAP or TUN interface in its own private namespace,
// joined by UDP over a namespace's loopback; sessions are installed directly with a fixed
// key (no handshake). The kernel's own traffic (ARP, ping with full-size packets) must pass
// through both workers, for the null method and salsa2012+umac. Runs the compiled worker
// (dist/engine/datapath/worker.js): `npm run build` first.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DatapathWorker } from '../../../src/engine/workers/worker-handle.js';
import {
  GLOBAL_STATS_FIELDS,
  GlobalStat,
  PEER_STATS_FIELDS,
  PeerStat,
  type Endpoint,
  type FromWorker,
  type InterfaceSpec,
} from '../../../src/engine/datapath/messages.js';
import { createMethodProvider } from '../../../src/crypto/methods/registry.js';
import { ControlSender } from '../../../src/engine/net/control-sender.js';
import { readHandshakeRecords } from '../../../src/engine/datapath/handshake-records.js';
import { FallbackDatagramIo } from '../../../src/io/batch-fallback.js';
import { createDatagramBatch } from '../../../src/io/batch.js';
import { writeSockaddr } from '../../../src/io/sockaddr.js';
import { closeTunTap, hardwareAddress, openTunTap, type TunTap } from '../../../src/io/tuntap.js';
import { closeSocket, forceSocketBuffers, openUdpSocket, type UdpSocket } from '../../../src/io/udp.js';
import { SOCKET_BUFFER_BYTES } from '../../../src/engine/net/sockets.js';
import { MIN_RECEIVE_BUFFER } from '../../../src/engine/datapath/receive-buffer.js';
import { BATCH } from '../../../src/engine/datapath/sizes.js';
import { haveNetns, isRoot, requireSystem } from '../../helpers/prereq.js';
import { testPacketMemory } from '../../helpers/packet-memory.js';
import { Namespace } from '../../../src/testbed/namespaces.js';
import { HANDSHAKE_CREDIT_BYTES, HANDSHAKES_IN_FLIGHT, takeHandshakes } from '../../../src/engine/datapath/tables/handshake-credit.js';
import { onlySocket, workerInit } from './worker-init.js';
import { settle } from '../../helpers/wait.js';

const run = promisify(execFile);
const WORKER = new URL('../../../dist/engine/datapath/worker.js', import.meta.url);
const ok = requireSystem('datapath workers between TAP/TUN interfaces in private namespaces', { root: isRoot, netns: haveNetns });
const MTU = 1400;
const haveIperf3 = requireSystem('iperf3 for a TCP transfer through the tunnel', { iperf3: existsSync('/usr/bin/iperf3') });
const PEER = 0;

/** Resolves once `check` holds; gives up (and lets the assertion after it fail) after `ms`. */
/** One handshake of a `handshakes` message. */
interface HandshakeSeen {
  readonly type: 'handshake';
  readonly socketId: number;
  readonly endpoint: Endpoint;
  readonly local?: Endpoint;
  readonly packet: Uint8Array;
  readonly worker: number;
}

interface Side {
  ns: Namespace;
  /** The namespace whose loopback carries the tunnel. */
  wire: Namespace;
  device: TunTap;
  spec: InterfaceSpec;
  mode: Mode;
  /** The test closed its copy of the interface fd: the worker's is the only one left. */
  handedOver?: boolean;
  socket: UdpSocket;
  worker: DatapathWorker;
  /** Every message, and each handshake of a `handshakes` message after it, read as the daemon reads them. */
  messages: (FromWorker | HandshakeSeen)[];
  peerStats: Float64Array;
  globalStats: Float64Array;
  /** The worker's count of handshakes taken; the harness takes each message's as the daemon does, unless told not to. */
  handshakesTaken: Int32Array;
  takeHandshakes: boolean;
}

const namespaces: Namespace[] = [];
const sides: Side[] = [];
let sequence = 0;

async function cleanup(): Promise<void> {
  for (const side of sides.splice(0)) {
    await side.worker.stop();
    if (!side.handedOver) closeTunTap(side.device);
    closeSocket(side.socket);
  }
  for (const ns of namespaces.splice(0)) ns.delete();
}

type Mode = 'tap' | 'tun' | 'multitap';
type Backend = 'io_uring' | 'fallback';

/** A namespace, without IPv6 unless asked, so that the only broadcasts on its interfaces are the tests' own ARP. */
function namespace(role: string, ipv6 = false): Namespace {
  const ns = Namespace.create(`dp-${role}-${process.pid}-${sequence++}`);
  namespaces.push(ns);
  if (!ipv6) ns.exec('sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  return ns;
}

/**
 * A worker with one interface in `ns` (addressed `address`, or not at all) and one UDP socket
 * on the loopback of `wire`. In tun/multitap mode the interface is handed over with the
 * worker's one peer (see link), in tap mode with init.
 */
function startSide(ns: Namespace, wire: Namespace, mode: Mode, forward: boolean, address: string[] | null, ioBackend: Backend = 'io_uring', loopback = '127.0.0.1'): Side {
  const kind = mode === 'tun' ? 'tun' : 'tap';
  const name = `dp${sides.length}`;
  const device = ns.inside(() => openTunTap({ kind, name, mtu: MTU, up: true }));
  if (address) ns.ip('addr', 'add', ...address, 'dev', name);
  const socket = wire.inside(() => openUdpSocket({ address: loopback, port: 0 }));
  const peerStats = new SharedArrayBuffer(4 * PEER_STATS_FIELDS * 8);
  const globalStats = new SharedArrayBuffer(GLOBAL_STATS_FIELDS * 8);
  const handshakeCredit = new SharedArrayBuffer(HANDSHAKE_CREDIT_BYTES);
  const spec: InterfaceSpec = { interfaceId: 0, fd: device.fd, name, kind, mtu: MTU };
  const init = workerInit({
    mode,
    forward,
    sockets: onlySocket(socket.fd, loopback.includes(':') ? 6 : 4),
    interfaces: mode === 'tap' ? [spec] : [],
    peerStats,
    globalStats,
    handshakeCredit,
    memoryCeiling: 32 << 20,
    ioBackend,
  });
  const worker = new DatapathWorker(WORKER);
  worker.post(init);
  const side: Side = {
    ...{ ns, wire, device, spec, mode, socket, worker, messages: [] },
    ...{ peerStats: new Float64Array(peerStats), globalStats: new Float64Array(globalStats), handshakesTaken: new Int32Array(handshakeCredit), takeHandshakes: true },
  };
  worker.on('message', (message: FromWorker) => {
    side.messages.push(message);
    if (message.type !== 'handshakes') return;
    if (side.takeHandshakes) takeHandshakes(side.handshakesTaken, message.count);
    readHandshakeRecords(message.records, (endpoint, local, packet) => {
      side.messages.push({ type: 'handshake', socketId: message.socketId, endpoint, ...(local ? { local } : {}), packet: packet.slice(), worker: message.worker });
    });
  });
  sides.push(side);
  return side;
}

/** Makes x's peer xPeer and y's peer yPeer each other, with a session on a fixed key (x initiates). */
function link(x: Side, xPeer: number, y: Side, yPeer: number, method: string): void {
  const key = randomBytes(createMethodProvider(method)!.keyLength);
  for (const [self, peerId, other, initiator] of [[x, xPeer, y, true], [y, yPeer, x, false]] as const) {
    self.worker.post({ type: 'addPeer', peerId, interface: self.mode === 'tap' ? undefined : self.spec });
    self.worker.post({ type: 'setPeerAddress', peerId, socketId: 0, endpoint: endpoint(other.socket) });
    self.worker.post({ type: 'installSession', peerId, method, key, initiator, compat: false, sendEmpty: false });
  }
}

async function ready(...started: Side[]): Promise<void> {
  await settle(() => started.every((side) => side.messages.some((m) => m.type === 'ready' || m.type === 'fatal')));
  for (const side of started) expect(side.messages.filter((m) => m.type === 'fatal')).toEqual([]);
}

/** Two namespaces: A holds both UDP sockets (on its loopback) and A's interface; B holds B's interface. */
async function tunnel(mode: Mode, method: string, ioBackend: Backend = 'io_uring', loopback = '127.0.0.1'): Promise<[Side, Side]> {
  const nsA = namespace('a', loopback.includes(':'));
  const nsB = namespace('b');
  nsA.ip('link', 'set', 'lo', 'up');
  const ends = [nsA, nsB].map((ns, i) => {
    const local = `10.77.0.${i + 1}`;
    const address = mode === 'tun' ? [local, 'peer', `10.77.0.${2 - i}`] : [`${local}/24`];
    return startSide(ns, nsA, mode, false, address, ioBackend, loopback);
  });
  link(ends[0], PEER, ends[1], PEER, method);
  await ready(...ends);
  return [ends[0], ends[1]];
}

function endpoint(socket: UdpSocket): Endpoint {
  const family = socket.local.address.includes(':') ? 6 : 4;
  return { family, address: socket.local.address, port: socket.local.port, scopeId: socket.local.scopeId ?? 0 };
}

function peerStat(side: Side, field: number): number {
  return side.peerStats[PEER * PEER_STATS_FIELDS + field];
}

/** ping's summary, also when pings were lost (ping then exits non-zero). */
async function ping(from: Side, to: string, count: number, size: number): Promise<string> {
  try {
    const { stdout } = await run('ip', ['netns', 'exec', from.ns.name, 'ping', '-c', String(count), '-i', '0.2', '-W', '2', '-s', String(size), '-M', 'do', to]);
    return stdout;
  } catch (error) {
    return String((error as { stdout?: string }).stdout);
  }
}

/**
 * Sends raw datagrams to a worker's socket from a socket of the test's own, in one sendmmsg;
 * or, with `between`, one by one, `between` running after each.
 */
function inject(side: Side, packets: Uint8Array[], between?: () => void): void {
  const memory = testPacketMemory(Math.max(4, Math.ceil((packets.length * 2048) / 65536)));
  const socket = side.wire.inside(() => openUdpSocket({ address: '127.0.0.1', port: 0 }));
  try {
    const io = new FallbackDatagramIo(socket.fd, memory, { capacity: packets.length, gso: false });
    const batch = createDatagramBatch(packets.length);
    for (const group of between ? packets.map((packet) => [packet]) : [packets]) {
      group.forEach((packet, i) => {
        batch.offsets[i] = i * 2048;
        batch.lengths[i] = packet.length;
        memory.bytes.set(packet, i * 2048);
        writeSockaddr(batch.addresses, i, endpoint(side.socket));
      });
      batch.count = group.length;
      expect(io.send(batch)).toBe(group.length);
      between?.();
    }
    io.close();
  } finally {
    closeSocket(socket);
  }
}

describe.runIf(ok)('datapath workers end to end', () => {
  beforeAll(() => {
    if (!existsSync(WORKER)) throw new Error(`${WORKER.pathname} is missing: run "npm run build" first`);
  });
  afterEach(cleanup);
  afterAll(cleanup);

  // ICMP payload + 28 bytes of IPv4/ICMP headers fill the MTU exactly (ping -M do forbids fragments)
  const FULL = MTU - 28;

  for (const mode of ['tap', 'tun', 'multitap'] as const) {
    for (const method of ['null', 'salsa2012+umac']) {
      it(`carries full-size pings in ${mode} mode with ${method}, confirming both sessions`, async () => {
        const [a, b] = await tunnel(mode, method);
        const output = await ping(a, '10.77.0.2', 5, FULL);
        expect(output).toMatch(/5 received/);
        // A send is counted when its completion is reaped, which can be a loop turn after
        // the packet left; the last reply may already be on its way but not counted yet.
        await settle(() => [a, b].every((side) => peerStat(side, PeerStat.TxPackets) >= 5), 5000);
        for (const side of [a, b]) {
          expect(side.messages.filter((m) => m.type === 'sessionConfirmed')).toEqual([{ type: 'sessionConfirmed', peerId: PEER }]);
          expect(peerStat(side, PeerStat.RxPackets)).toBeGreaterThanOrEqual(5);
          expect(peerStat(side, PeerStat.TxPackets)).toBeGreaterThanOrEqual(5);
          expect(peerStat(side, PeerStat.LastReceive)).toBeGreaterThan(0);
          expect(side.globalStats[GlobalStat.DropAuth]).toBe(0);
        }
        // a full-size ping's frame is counted with its payload size, as fastd counts it
        const frame = FULL + 28 + (mode === 'tun' ? 0 : 14);
        expect(peerStat(b, PeerStat.RxBytes)).toBeGreaterThanOrEqual(5 * frame);
      });
    }
  }

  it("registers the packet pool's chunks with io_uring, not the receive pool's (pinned, its GRO buffers would stay resident whole)", async () => {
    const [a, b] = await tunnel('tap', 'salsa2012+umac');
    const ready = b.messages.find((m) => m.type === 'ready') as Extract<FromWorker, { type: 'ready' }>;
    // with the fallback backend (io_uring refused) there is nothing to register
    if (ready.backend !== 'io_uring') return;
    expect(ready.fixedRefusal).toBeNull();
    expect(await ping(a, '10.77.0.2', 5, FULL)).toMatch(/5 received/);
    // the counters are published once a second
    await settle(() => [a, b].every((side) => side.globalStats[GlobalStat.ReceivePoolSize] > 0 && side.globalStats[GlobalStat.FixedChunks] > 0));
    for (const side of [a, b]) {
      // no queue with offloads here, so no scratch: every registered chunk is the packet pool's
      expect(side.globalStats[GlobalStat.FixedChunks]).toBe(side.globalStats[GlobalStat.PoolSize]! / BATCH);
    }
  });

  for (const method of ['null@l2tp', 'aes128-gcm', 'salsa20+poly1305', 'salsa2012+gmac', 'aes128-ctr+umac', 'null+salsa2012+umac']) {
    it(`carries pings with ${method}, keepalives included`, async () => {
      const [a, b] = await tunnel('tun', method);
      expect(await ping(a, '10.77.0.2', 2, FULL)).toMatch(/2 received/);
      const seen = peerStat(b, PeerStat.LastReceive);
      a.worker.post({ type: 'keepalive', peerIds: [PEER] });
      await settle(() => peerStat(b, PeerStat.LastReceive) > seen);
      expect(peerStat(b, PeerStat.LastReceive)).toBeGreaterThan(seen);
      for (const side of [a, b]) expect(side.globalStats.subarray(GlobalStat.DropMalformed, GlobalStat.DropReplay + 1)).toEqual(new Float64Array(4));
    });
  }

  it('keeps serving an interface whose fd the control plane closed after handing it over', async () => {
    const [a, b] = await tunnel('tun', 'salsa2012+umac');
    for (const side of [a, b]) {
      closeTunTap(side.device);
      side.handedOver = true;
    }
    expect(await ping(a, '10.77.0.2', 3, FULL)).toMatch(/3 received/);
    // removing the peer lets the worker close its copy, and with it the interface goes
    b.worker.post({ type: 'removePeer', peerId: PEER });
    await settle(() => !b.ns.ip('link', 'show').includes(b.spec.name));
    expect(b.ns.ip('link', 'show')).not.toContain(b.spec.name);
  });

  it('reports, once, that an interface it reads from was deleted underneath it', async () => {
    const [, b] = await tunnel('tun', 'null');
    b.ns.ip('link', 'del', b.spec.name);
    await settle(() => b.messages.some((m) => m.type === 'fatal'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const fatal = b.messages.filter((m) => m.type === 'fatal');
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({ message: expect.stringContaining(`reading from ${b.spec.name}`) });
  });

  it('runs the tunnel over IPv6 and finds the peer by its IPv6 endpoint', async () => {
    const [a, b] = await tunnel('tap', 'salsa2012+umac', 'io_uring', '::1');
    expect(await ping(a, '10.77.0.2', 3, FULL)).toMatch(/3 received/);
    expect(peerStat(b, PeerStat.RxPackets)).toBeGreaterThanOrEqual(3);
    const packet = Uint8Array.of(0x01, 0, 0, 0);
    new ControlSender().send(a.socket.fd, endpoint(b.socket), undefined, packet);
    await settle(() => b.messages.some((m) => m.type === 'handshake'));
    expect(b.messages.find((m) => m.type === 'handshake')).toEqual({ type: 'handshake', socketId: 0, endpoint: { family: 6, address: '::1', port: a.socket.local.port, scopeId: 0 }, packet, worker: 0 });
  });

  it('forwards between peers through a tap hub with `forward`, unicast only where the MAC was learned', async () => {
    const wire = namespace('wire');
    wire.ip('link', 'set', 'lo', 'up');
    const hub = startSide(namespace('hub'), wire, 'tap', true, null);
    const spokes = ['10.77.0.1/24', '10.77.0.2/24', '10.77.0.3/24'].map((address, i) => startSide(namespace(`s${i}`), wire, 'tap', false, [address]));
    spokes.forEach((spoke, i) => link(spoke, PEER, hub, i, 'salsa2012+umac'));
    await ready(hub, ...spokes);
    const [a, b, c] = spokes;
    expect(await ping(a, '10.77.0.2', 10, FULL)).toMatch(/10 received/);
    const frame = FULL + 28 + 14;
    expect(peerStat(b, PeerStat.RxBytes)).toBeGreaterThanOrEqual(10 * frame);
    expect(peerStat(a, PeerStat.RxBytes)).toBeGreaterThanOrEqual(10 * frame);
    // the third spoke saw the broadcast (A's ARP request), not one of the pings
    expect(peerStat(c, PeerStat.RxPackets)).toBeGreaterThan(0);
    expect(peerStat(c, PeerStat.RxBytes)).toBeLessThan(frame);
    for (const side of [hub, ...spokes]) expect(side.messages.filter((m) => m.type === 'fatal')).toEqual([]);
    // the hub reports where it learned the spokes' interface addresses
    const macs = spokes.slice(0, 2).map((spoke) => spoke.ns.inside(() => hardwareAddress(spoke.spec.name)));
    const reported = () => hub.messages.filter((m) => m.type === 'macAddresses').at(-1) as Extract<FromWorker, { type: 'macAddresses' }> | undefined;
    await settle(() => (reported()?.peers.length ?? 0) >= 2);
    const byPeer = Object.fromEntries(reported()!.peers.map((p) => [p.peerId, p.addresses]));
    expect(byPeer[0]).toEqual([macs[0]]);
    expect(byPeer[1]).toEqual([macs[1]]);
  });

  it('carries the same traffic through the recvmmsg/sendmmsg fallback backend, and says which backend it uses', async () => {
    const [a, b] = await tunnel('tap', 'salsa2012+umac', 'fallback');
    expect(await ping(a, '10.77.0.2', 5, FULL)).toMatch(/5 received/);
    for (const side of [a, b]) expect(side.messages.find((m) => m.type === 'ready')).toEqual({ type: 'ready', backend: 'fallback', fallbackReason: null, fixedRefusal: null });
    const [c] = await tunnel('tap', 'null');
    const ready = c.messages.find((m) => m.type === 'ready') as Extract<FromWorker, { type: 'ready' }>;
    // io_uring unless the kernel refuses it, and then the reason is given
    if (ready.backend === 'io_uring') expect(ready.fallbackReason).toBeNull();
    else expect(ready.fallbackReason).toMatch(/\w/);
  });

  it('reports a peer whose packets open from a new address (float), and hands the handshakes it receives out as they are', async () => {
    const [a, b] = await tunnel('tun', 'salsa2012+umac');
    await ping(a, '10.77.0.2', 1, 56);
    // B believes A moved away; A's packets now come from an address B has no peer for
    b.worker.post({ type: 'setPeerAddress', peerId: PEER, socketId: 0, endpoint: { family: 4, address: '127.0.0.1', port: 9, scopeId: 0 } });
    await ping(a, '10.77.0.2', 2, 56);
    await settle(() => b.messages.some((m) => m.type === 'peerMoved'));
    expect(b.messages.filter((m) => m.type === 'peerMoved')).toEqual([{ type: 'peerMoved', peerId: PEER, socketId: 0, endpoint: endpoint(a.socket) }]);
    expect(b.messages.filter((m) => m.type === 'unknownData')).toEqual([]);

    const packet = Uint8Array.from([0x01, 0, 0, 2, 0xab, 0xcd]);
    new ControlSender().send(a.socket.fd, endpoint(b.socket), undefined, packet);
    await settle(() => b.messages.some((m) => m.type === 'handshake'));
    expect(b.messages.filter((m) => m.type === 'handshake')).toEqual([{ type: 'handshake', socketId: 0, endpoint: endpoint(a.socket), packet, worker: 0 }]);
  });

  it('stops sending on a reset peer and asks for a handshake when its packets cannot be opened', async () => {
    const [a, b] = await tunnel('tun', 'salsa2012+umac');
    await ping(a, '10.77.0.2', 1, 56);
    b.worker.post({ type: 'resetPeer', peerId: PEER });
    expect(await ping(a, '10.77.0.2', 2, 56)).toMatch(/ 0 received/);
    // B's peer has no session: A's packets are data from a peer without a connection
    expect(b.messages.filter((m) => m.type === 'unknownData')).toEqual([{ type: 'unknownData', socketId: 0, endpoint: endpoint(a.socket), compat: false }]);
    const dropped = peerStat(b, PeerStat.TxDroppedPackets);
    // an empty packet that cannot be sealed is dropped uncounted, as fastd counts no 0-byte payload
    b.worker.post({ type: 'keepalive', peerIds: [PEER] });
    b.worker.post({ type: 'removePeer', peerId: PEER });
    b.worker.post({ type: 'keepalive', peerIds: [PEER] });
    await settle(() => b.messages.some((m) => m.type === 'fatal'));
    expect(b.messages.filter((m) => m.type === 'fatal')).toEqual([{ type: 'fatal', message: 'keepalive: no peer 0 in the datapath' }]);
    expect(peerStat(b, PeerStat.TxDroppedPackets)).toBe(dropped);
  });

  it.runIf(haveIperf3)('batches a TCP transfer: sends with UDP GSO, receives coalesced by UDP GRO', async () => {
    const [a, b] = await tunnel('tun', 'salsa2012+umac');
    const server = spawn('ip', ['netns', 'exec', b.ns.name, 'iperf3', '-s', '-1', '-B', '10.77.0.2'], { stdio: 'ignore' });
    try {
      await settle(() => {
        try {
          return b.ns.exec('ss', '-ltn').includes(':5201');
        } catch {
          return false;
        }
      });
      await run('ip', ['netns', 'exec', a.ns.name, 'iperf3', '-c', '10.77.0.2', '-t', '2']);
    } finally {
      server.kill();
    }
    // the worker publishes the I/O counters once a second (the GRO count and peer statistics are live)
    await settle(
      () =>
        a.globalStats[GlobalStat.GsoDatagrams] > 0 &&
        b.globalStats[GlobalStat.GroDatagrams] > 0 &&
        b.globalStats[GlobalStat.IoPackets] >= peerStat(b, PeerStat.RxPackets),
    );
    expect(a.globalStats[GlobalStat.GsoDatagrams]).toBeGreaterThan(0);
    expect(b.globalStats[GlobalStat.GroDatagrams]).toBeGreaterThan(0);
    expect(b.globalStats[GlobalStat.IoPackets]).toBeGreaterThanOrEqual(peerStat(b, PeerStat.RxPackets));
    expect(b.globalStats[GlobalStat.DropAuth] + b.globalStats[GlobalStat.DropMalformed]).toBe(0);
  });

  it('counts keepalives as signs of life without writing them to the interface, and as no packets (as fastd)', async () => {
    const [a, b] = await tunnel('tun', 'salsa2012+umac');
    await ping(a, '10.77.0.2', 1, 56);
    const rx = peerStat(b, PeerStat.RxPackets);
    const seen = peerStat(b, PeerStat.LastReceive);
    const txBefore = peerStat(a, PeerStat.TxPackets);
    const sentBefore = peerStat(a, PeerStat.LastSend);
    a.worker.post({ type: 'keepalive', peerIds: [PEER] });
    await settle(() => peerStat(b, PeerStat.LastReceive) > seen);
    expect(peerStat(b, PeerStat.LastReceive)).toBeGreaterThan(seen);
    expect(peerStat(b, PeerStat.RxPackets)).toBe(rx);
    // a notes the send once its send call has returned, which may be after b has it
    await settle(() => peerStat(a, PeerStat.LastSend) > sentBefore);
    expect(peerStat(a, PeerStat.TxPackets)).toBe(txBefore);
  });

  it('hands handshakes and data from unknown addresses to the control plane, drops garbage, and keeps the session', async () => {
    const [a, b] = await tunnel('tun', 'salsa2012+umac');
    await ping(a, '10.77.0.2', 1, 56);
    const handshake = Uint8Array.of(0x01, 0x00, 0x00, 0x00);
    const data = new Uint8Array(80); // type 0x00 and a header's worth of bytes: worth a handshake
    const short = Uint8Array.of(0x7f, 1, 2, 3); // any type without the L2TP T bit is data to fastd
    const control = Uint8Array.of(0xc8, 0x02, 0, 12); // L2TP control header with the wrong version
    inject(b, [handshake, data, data, control, short, new Uint8Array(0)]);
    await settle(() => b.messages.some((m) => m.type === 'handshake') && b.messages.some((m) => m.type === 'unknownData'));
    const handshakes = b.messages.filter((m) => m.type === 'handshake');
    expect(handshakes).toHaveLength(1);
    expect(Array.from((handshakes[0] as { packet: Uint8Array }).packet)).toEqual(Array.from(handshake));
    // once per source and second, however many data packets came; v22 data asks for a v22 handshake
    expect(b.messages.filter((m) => m.type === 'unknownData')).toEqual([expect.objectContaining({ compat: false })]);
    await settle(() => b.globalStats[GlobalStat.DropMalformed] >= 2);
    expect(b.globalStats[GlobalStat.DropMalformed]).toBe(2);
    expect(b.globalStats[GlobalStat.DropUnknownAddress]).toBe(3);
    expect(await ping(a, '10.77.0.2', 3, 56)).toMatch(/3 received/);
    expect(b.messages.filter((m) => m.type === 'fatal')).toEqual([]);
  });

  it('hands the handshakes of one receive batch to the control plane in one message', async () => {
    const [, b] = await tunnel('tun', 'salsa2012+umac');
    const handshakes = Array.from({ length: 25 }, (_, i) => Uint8Array.of(0x01, 0x00, 0x00, i));
    inject(b, handshakes);
    const seen = () => b.messages.filter((m): m is HandshakeSeen => m.type === 'handshake');
    await settle(() => seen().length >= handshakes.length);
    expect(seen().map((m) => m.packet)).toEqual(handshakes);
    const messages = b.messages.filter((m) => m.type === 'handshakes');
    expect(messages.length).toBeLessThan(handshakes.length);
    expect(messages.reduce((sum, m) => sum + (m as Extract<FromWorker, { type: 'handshakes' }>).count, 0)).toBe(handshakes.length);
  });

  it('holds handshakes that arrive a moment apart, in batches of their own, for one message to the control plane', async () => {
    const [, b] = await tunnel('tun', 'salsa2012+umac');
    const handshakes = Array.from({ length: 6 }, (_, i) => Uint8Array.of(0x01, 0x00, 0x00, i));
    let received = b.globalStats[GlobalStat.HandshakesReceived]!;
    // each datagram is received (its own batch) before the next is sent: spun for, a sleep would outlast the hold
    inject(b, handshakes, () => {
      for (const end = Date.now() + 1000; b.globalStats[GlobalStat.HandshakesReceived] === received && Date.now() < end; );
      received = b.globalStats[GlobalStat.HandshakesReceived]!;
    });
    const seen = () => b.messages.filter((m): m is HandshakeSeen => m.type === 'handshake');
    await settle(() => seen().length >= handshakes.length);
    expect(seen().map((m) => m.packet)).toEqual(handshakes);
    // one message per batch would be six; how many share one depends on how fast the worker wakes (loaded machine)
    expect(b.messages.filter((m) => m.type === 'handshakes').length).toBeLessThan(handshakes.length);
  });

  it('marks pre-v22 data (0x02) from an unknown address, so that the handshake sent back is one an old fastd reads', async () => {
    const [, b] = await tunnel('tun', 'salsa2012+umac');
    const compatData = new Uint8Array(80);
    compatData[0] = 0x02;
    inject(b, [compatData]);
    await settle(() => b.messages.some((m) => m.type === 'unknownData'));
    expect(b.messages.filter((m) => m.type === 'unknownData')).toEqual([expect.objectContaining({ compat: true })]);
  });

  it('tells the control plane of each port of one address that sends data it cannot open, once a second each', async () => {
    const [, b] = await tunnel('tun', 'salsa2012+umac');
    const data = new Uint8Array(80);
    // routers behind one NAT address: two sources, the first sending twice
    inject(b, [data, data]);
    inject(b, [data]);
    await settle(() => b.messages.filter((m) => m.type === 'unknownData').length >= 2);
    const ports = b.messages.flatMap((m) => (m.type === 'unknownData' ? [m.endpoint.port] : []));
    expect(ports).toHaveLength(2);
    expect(new Set(ports).size).toBe(2);
  });

  it('keeps at most HANDSHAKES_IN_FLIGHT handshakes waiting for the control plane and counts the rest as dropped', async () => {
    const [a, b] = await tunnel('tun', 'salsa2012+umac');
    b.takeHandshakes = false; // a control plane that has fallen behind
    const flood = HANDSHAKES_IN_FLIGHT + 44;
    const handshake = Uint8Array.of(0x01, 0x00, 0x00, 0x00);
    // in bursts the socket buffer holds, so that the kernel drops none of them before the worker sees them
    for (let sent = 0; sent < flood; sent += 25) {
      inject(b, Array.from({ length: Math.min(25, flood - sent) }, () => handshake));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const posted = () => b.messages.filter((m) => m.type === 'handshake').length;
    await settle(() => posted() + b.globalStats[GlobalStat.DropHandshake] >= flood);
    expect(posted()).toBe(HANDSHAKES_IN_FLIGHT);
    expect(b.globalStats[GlobalStat.DropHandshake]).toBe(flood - HANDSHAKES_IN_FLIGHT);
    expect(b.globalStats[GlobalStat.HandshakesReceived]).toBe(HANDSHAKES_IN_FLIGHT);
    // once the control plane takes one, the next handshake gets through again
    takeHandshakes(b.handshakesTaken, 1);
    inject(b, [handshake]);
    await settle(() => posted() > HANDSHAKES_IN_FLIGHT);
    expect(posted()).toBe(HANDSHAKES_IN_FLIGHT + 1);
    expect(await ping(a, '10.77.0.2', 3, 56)).toMatch(/3 received/);
  });

  it('accounts for every one of 1000 random and truncated datagrams while the session keeps working', async () => {
    const [a, b] = await tunnel('tun', 'salsa2012+umac');
    await ping(a, '10.77.0.2', 1, 56);
    const packets = Array.from({ length: 1000 }, (_, i) => randomBytes(i % 100 === 0 ? 0 : 1 + ((i * 37) % 1500)));
    // in bursts the socket buffer holds, so that the kernel drops none of them before the worker sees them
    for (let i = 0; i < packets.length; i += 25) {
      inject(b, packets.slice(i, i + 25));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const handshakes = packets.filter((p) => p.length >= 4 && (p[0] === 0x01 || (p[0] === 0xc8 && p.length > 12 && (p[1] & 0x0f) === 3 && p[12] === 0x01))).length;
    const accounted = () =>
      // CoDel may drop data that waited in a standing queue (DropQueue) before it is looked at
      b.globalStats[GlobalStat.DropMalformed] + b.globalStats[GlobalStat.DropUnknownAddress] + b.globalStats[GlobalStat.DropQueue] + b.messages.filter((m) => m.type === 'handshake').length;
    await settle(() => accounted() >= packets.length);
    expect(accounted()).toBe(packets.length);
    expect(b.messages.filter((m) => m.type === 'handshake').length).toBeLessThanOrEqual(handshakes);
    expect(await ping(a, '10.77.0.2', 3, FULL)).toMatch(/3 received/);
    expect(b.messages.filter((m) => m.type === 'fatal')).toEqual([]);
  });

  it('shrinks its socket\'s receive buffer to fastd\'s at a trickle, and counts the datagrams the kernel then drops at it', async () => {
    const [a, b] = await tunnel('tun', 'salsa2012+umac');
    // the daemon opens its sockets with SOCKET_BUFFER_BYTES, forced (engine/net/sockets.ts)
    forceSocketBuffers(b.socket.fd, SOCKET_BUFFER_BYTES, SOCKET_BUFFER_BYTES);
    expect(await ping(a, '10.77.0.2', 10, 56)).toMatch(/10 received/);
    const receiveBuffer = async () => {
      const { stdout } = await run('ip', ['netns', 'exec', b.wire.name, 'ss', '-u', '-a', '-n', '-m', 'sport', '=', `:${b.socket.local.port}`]);
      return Number(/rb(\d+)/.exec(stdout)?.[1]);
    };
    // the kernel doubles the value it is given
    expect(await receiveBuffer()).toBe(2 * MIN_RECEIVE_BUFFER);
    // data from an unknown address, in one burst ten times what the buffer holds
    const packets = Array.from({ length: 1000 }, () => {
      const packet = randomBytes(1400);
      packet[0] = 0x00;
      return packet;
    });
    inject(b, packets);
    const counted = () => b.globalStats[GlobalStat.DropUnknownAddress] + b.globalStats[GlobalStat.DropQueue] + b.globalStats[GlobalStat.DropReceiveBuffer];
    await settle(() => counted() >= packets.length, 5_000);
    expect(b.globalStats[GlobalStat.DropReceiveBuffer]).toBeGreaterThan(0);
    expect(counted()).toBe(packets.length);
    expect(await ping(a, '10.77.0.2', 3, FULL)).toMatch(/3 received/);
  });

  it('keeps sealing with the previous session as initiator until the new one is confirmed, as fastd does', async () => {
    const [a, b] = await tunnel('tun', 'salsa2012+umac');
    await ping(a, '10.77.0.2', 1, 56);
    const key = randomBytes(createMethodProvider('salsa2012+umac')!.keyLength);
    // A (initiator) has the new session, B has not yet got A's finish: traffic must go on
    a.worker.post({ type: 'installSession', peerId: PEER, method: 'salsa2012+umac', key, initiator: true, compat: false, sendEmpty: false });
    expect(await ping(a, '10.77.0.2', 3, FULL)).toMatch(/3 received/);
    expect(b.globalStats[GlobalStat.DropAuth]).toBe(0);
    // B installs it and confirms with an empty packet; A answers with one; both switch over
    b.worker.post({ type: 'installSession', peerId: PEER, method: 'salsa2012+umac', key, initiator: false, compat: false, sendEmpty: true });
    await settle(() => [a, b].every((side) => side.messages.filter((m) => m.type === 'sessionConfirmed').length === 2));
    for (const side of [a, b]) expect(side.messages.filter((m) => m.type === 'sessionConfirmed')).toHaveLength(2);
    expect(await ping(a, '10.77.0.2', 3, FULL)).toMatch(/3 received/);
    expect(a.globalStats[GlobalStat.DropAuth] + b.globalStats[GlobalStat.DropAuth]).toBe(0);
  });

  it('keeps receiving on the previous session after a new one is installed, and confirms the new one', async () => {
    const [a, b] = await tunnel('tun', 'salsa2012+umac');
    await ping(a, '10.77.0.2', 1, 56);
    const key = randomBytes(createMethodProvider('salsa2012+umac')!.keyLength);
    // only B has the new session: A still seals with the old one, which B must still open,
    // while B's answers, sealed with the new one, are lost on A
    b.worker.post({ type: 'installSession', peerId: PEER, method: 'salsa2012+umac', key, initiator: false, compat: false, sendEmpty: false });
    const rx = peerStat(b, PeerStat.RxPackets);
    expect(await ping(a, '10.77.0.2', 3, 56)).toMatch(/ 0 received/);
    expect(peerStat(b, PeerStat.RxPackets)).toBe(rx + 3);
    expect(b.globalStats[GlobalStat.DropAuth]).toBe(0);
    expect(a.globalStats[GlobalStat.DropAuth]).toBe(3);
    a.worker.post({ type: 'installSession', peerId: PEER, method: 'salsa2012+umac', key, initiator: true, compat: false, sendEmpty: false });
    expect(await ping(a, '10.77.0.2', 3, 56)).toMatch(/3 received/);
    for (const side of [a, b]) expect(side.messages.filter((m) => m.type === 'sessionConfirmed')).toHaveLength(2);
  });
});
