// The worker's loop on paths that run rarely: a control message that takes a socket away in
// the same wake-up in which that socket is readable; a busy socket and a busy TAP queue taking
// turns a batch at a time; the timer riding along with a wake-up shortly before it is due;
// multitap interfaces of peers that come
// and go; the kernel's answer to a frame written after an idle spell, or in a busy turn, sent in the same wake-up. The loop runs in this thread on real loopback sockets (and TAP interfaces in a
// private namespace), one turn at a time, so that events are certain to meet in one wait.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { Datapath } from '../../../src/engine/datapath/context.js';
import { Loop, TIMER_INTERVAL, TIMER_SLACK } from '../../../src/engine/datapath/loop.js';
import { GLOBAL_STATS_FIELDS, GlobalStat, PEER_STATS_FIELDS, PeerStat, type FromWorker, type InterfaceSpec, type ToWorker } from '../../../src/engine/datapath/messages.js';
import { FallbackDatagramIo } from '../../../src/io/batch-fallback.js';
import { createDatagramBatch } from '../../../src/io/batch.js';
import { check, close, eventfd, write } from '../../../src/io/libc.js';
import { EVENTFD_VALUE_BYTES, EventFdFlag } from '../../../src/io/linux-abi.js';
import { NativeArea } from '../../../src/io/native-memory.js';
import { writeSockaddr } from '../../../src/io/sockaddr.js';
import { openOffloadedQueue } from '../../../src/io/offload/open-queue.js';
import { openTunTap } from '../../../src/io/tuntap.js';
import { closeSocket, openUdpSocket, type UdpSocket } from '../../../src/io/udp.js';
import { probeUring } from '../../../src/io/uring/availability.js';
import { Namespace } from '../../../src/testbed/namespaces.js';
import { haveNetns, isRoot, requireSystem } from '../../helpers/prereq.js';
import { transmitWithVnetHeader } from '../../helpers/vnet-frames.js';
import { testPacketMemory } from '../../helpers/packet-memory.js';
import { ACK, PSH, pattern, superFrame } from '../../io/offload/frames.js';
import { ethernetIpv4, ipv4Udp } from '../../io/packets.js';
import { pause } from '../../helpers/pause.js';
import { onlySocket, workerInit } from './worker-init.js';
import { queuePair } from './queue-pair.js';
import type { Sender } from '../../../src/engine/datapath/pipeline/send.js';
import { BATCH } from '../../../src/engine/datapath/sizes.js';

/** Not a fastd packet type: the datagram is classified and dropped as malformed. */
const NOT_A_PACKET_TYPE = 0xff;
const BROADCAST_MAC = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const haveTap = requireSystem('multitap interfaces coming and going in a private namespace', { root: isRoot, netns: haveNetns });

interface Rig {
  dp: Datapath;
  loop: Loop;
  /** Runs one wake-up of the loop (wait, then serve what is ready); false on shutdown. */
  turn: () => boolean;
  /** Queues a control message and wakes the loop, as the control plane does. */
  post: (message: ToWorker) => void;
  messages: FromWorker[];
  globalStats: Float64Array;
  peerStats: Float64Array;
  /** Socket 0, given to the worker at init (its fd is the Datapath's now). */
  configured: UdpSocket;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function rig(backend: 'fallback' | 'io_uring', mode: 'tap' | 'multitap' = 'tap', interfaces: InterfaceSpec[] = []): Rig {
  const configured = openUdpSocket({ address: '127.0.0.1', port: 0 });
  const globalStats = new SharedArrayBuffer(GLOBAL_STATS_FIELDS * 8);
  const peerStats = new SharedArrayBuffer(PEER_STATS_FIELDS * 8);
  const messages: FromWorker[] = [];
  // the Datapath owns the fds it is given and closes them, as a worker closes its duplicates
  const dp = new Datapath(
    workerInit({ mode, sockets: onlySocket(configured.fd), interfaces, peerStats, globalStats, ioBackend: backend, gro: false }),
    (message) => messages.push(message),
  );
  const wakeFd = check(eventfd(0, EventFdFlag.NONBLOCK | EventFdFlag.CLOEXEC), 'eventfd');
  const wakeValue = new NativeArea(EVENTFD_VALUE_BYTES, 'eventfd value');
  wakeValue.view.setBigUint64(0, 1n, true);
  const { port1, port2 } = new MessageChannel();
  const loop = new Loop(dp, wakeFd, port2 as MessagePort);
  cleanups.push(() => {
    loop.close();
    dp.close();
    port1.close();
    port2.close();
    close(wakeFd);
    wakeValue.release();
  });
  const post = (message: ToWorker): void => {
    port1.postMessage(message);
    write(wakeFd, wakeValue.address, EVENTFD_VALUE_BYTES);
  };
  const turn = (): boolean => (loop as unknown as { turn(): boolean }).turn();
  return { dp, loop, turn, post, messages, globalStats: new Float64Array(globalStats), peerStats: new Float64Array(peerStats), configured };
}

/** Sends `count` datagrams that are no fastd packet to `to` (at `address`), from a socket of its own. */
function sendJunk(to: UdpSocket, address = '127.0.0.1', count = 1): void {
  const memory = testPacketMemory(1);
  const from = openUdpSocket({ address: '0.0.0.0', port: 0 });
  try {
    const io = new FallbackDatagramIo(from.fd, memory, { capacity: count, gso: false });
    const batch = createDatagramBatch(count);
    memory.bytes.fill(NOT_A_PACKET_TYPE, 0, 100);
    for (let i = 0; i < count; i++) {
      batch.offsets[i] = 0;
      batch.lengths[i] = 100;
      writeSockaddr(batch.addresses, i, { address, port: to.local.port, scopeId: 0 });
    }
    batch.count = count;
    expect(io.send(batch)).toBe(count);
    io.close();
  } finally {
    closeSocket(from);
  }
}

/**
 * A rig in tap mode on a TAP of a namespace of its own, with peer 0 (null method) behind a
 * socket of its own; `sendToClosedPort` sends from the peer (type byte 0, then the frame) a
 * datagram to a closed port of the TAP's address, which the kernel answers with a port
 * unreachable while it is written.
 */
function answeringTap(backend: 'fallback' | 'io_uring', name: string): { r: Rig; sendToClosedPort: () => void } {
  const ns = Namespace.create(`revb-${name}-${process.pid}-${backend}`);
  cleanups.push(() => ns.delete());
  ns.exec('sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  const [tapMac, peerMac] = ['02:00:00:00:00:01', '02:00:00:00:00:02'];
  const device = ns.inside(() => openTunTap({ kind: 'tap', name, mtu: 1400, up: true }));
  ns.ip('link', 'set', name, 'address', tapMac);
  ns.ip('addr', 'add', '10.79.1.1/24', 'dev', name);
  ns.ip('neigh', 'add', '10.79.1.2', 'lladdr', peerMac, 'dev', name);
  const peer = openUdpSocket({ address: '127.0.0.1', port: 0 });
  cleanups.push(() => closeSocket(peer));
  const r = rig(backend, 'tap', [{ interfaceId: 0, fd: device.fd, name, kind: 'tap', mtu: 1400 }]);
  r.post({ type: 'addPeer', peerId: 0 });
  r.post({ type: 'setPeerAddress', peerId: 0, socketId: 0, endpoint: { family: 4, address: '127.0.0.1', port: peer.local.port, scopeId: 0 } });
  r.post({ type: 'installSession', peerId: 0, method: 'null', key: new Uint8Array(0), initiator: true, compat: false, sendEmpty: false });
  expect(r.turn()).toBe(true);
  const sendToClosedPort = (): void => {
    const frame = ethernetIpv4(tapMac, peerMac, ipv4Udp('10.79.1.2', '10.79.1.1', 4000, 9, new Uint8Array(16)));
    const memory = testPacketMemory(1);
    const io = new FallbackDatagramIo(peer.fd, memory, { capacity: 1, gso: false });
    const batch = createDatagramBatch(1);
    memory.bytes.set([0, ...frame], 0);
    batch.offsets[0] = 0;
    batch.lengths[0] = frame.length + 1;
    writeSockaddr(batch.addresses, 0, { address: '127.0.0.1', port: r.configured.local.port, scopeId: 0 });
    batch.count = 1;
    expect(io.send(batch)).toBe(1);
    io.close();
  };
  return { r, sendToClosedPort };
}

const backends = ['fallback', ...(probeUring().available ? ['io_uring' as const] : [])] as const;

describe('the datapath loop on rare paths', () => {
  for (const backend of backends) {
    it.runIf(haveTap)(`${backend}: after an idle spell, the kernel's answer to a frame written to the TAP goes out in the same wake-up`, () => {
      const { r, sendToClosedPort } = answeringTap(backend, 'answer');
      pause(5);
      sendToClosedPort();
      for (let i = 0; i < 10 && r.peerStats[PeerStat.RxPackets] === 0; i++) r.turn();
      expect(r.peerStats[PeerStat.RxPackets]).toBe(1);
      expect(r.peerStats[PeerStat.TxPackets]).toBe(1);
      expect(r.messages.filter((m) => m.type === 'fatal')).toEqual([]);
    });

    it(`${backend}: the timer runs in a wake-up shortly before it is due instead of waking the loop for itself`, () => {
      const r = rig(backend);
      let ticks = 0;
      const maintain = r.dp.maintainPools.bind(r.dp);
      r.dp.maintainPools = (now) => {
        ticks++;
        maintain(now);
      };
      // the loop's first turn finds the timer due
      sendJunk(r.configured);
      expect(r.turn()).toBe(true);
      expect(ticks).toBe(1);
      // a datagram within TIMER_SLACK of the timer: the timer runs in the wake-up it brings
      pause(TIMER_INTERVAL - TIMER_SLACK / 2);
      sendJunk(r.configured);
      expect(r.turn()).toBe(true);
      expect(r.globalStats[GlobalStat.DropMalformed]).toBe(2);
      expect(ticks).toBe(2);
    });

    it(`${backend}: a per-peer socket removed in the wake-up that finds it readable is left alone, and the loop goes on`, () => {
      const r = rig(backend);
      // a per-peer socket, as peer-sockets.ts opens for a handshake; the worker closes its fd
      const own = openUdpSocket({ address: '127.0.0.1', port: 0 });
      r.post({ type: 'addSocket', socket: { socketId: 1, fd: own.fd, family: 4 } });
      expect(r.turn()).toBe(true);
      expect(r.dp.sockets.list[1]).toBeDefined();
      // a datagram (a late handshake answer) waits on it when the control plane releases it
      sendJunk(own);
      r.post({ type: 'removeSocket', socketId: 1 });
      expect(r.turn()).toBe(true);
      expect(r.dp.sockets.list[1]).toBeUndefined();
      // the loop still serves its other socket
      sendJunk(r.configured);
      for (let i = 0; i < 10 && r.globalStats[GlobalStat.DropMalformed] === 0; i++) r.turn();
      expect(r.globalStats[GlobalStat.DropMalformed]).toBe(1);
      expect(r.messages.filter((m) => m.type === 'fatal')).toEqual([]);
    });

    it.runIf(haveTap)(`${backend}: in a busy turn, the kernel's answer to a frame a socket's batch wrote goes out before the socket's next batch`, () => {
      const { r, sendToClosedPort } = answeringTap(backend, 'busy');
      // the answered frame, then more than a batch of junk behind it on the same socket
      sendToClosedPort();
      const junk = BATCH + 20;
      sendJunk(r.configured, '127.0.0.1', junk);
      // how much junk the socket had given up whenever the TAP queue was read
      const sender = (r.loop as unknown as { sender: Sender }).sender;
      const read = sender.read.bind(sender);
      const takenAtRead: number[] = [];
      sender.read = (iface, now, batches, written) => {
        takenAtRead.push(r.globalStats[GlobalStat.DropMalformed]!);
        return read(iface, now, batches, written);
      };
      // turns that follow each other at once: the worker is busy (no idle spell's harvest)
      const busy = r.loop as unknown as { lastTurnEnd: number };
      for (let i = 0; i < 10 && r.peerStats[PeerStat.TxPackets] === 0; i++) {
        busy.lastTurnEnd = Infinity;
        r.turn();
      }
      expect(r.peerStats[PeerStat.RxPackets]).toBe(1);
      expect(r.peerStats[PeerStat.TxPackets]).toBe(1);
      // before: the TAP was read once the socket's turn was over, behind all of the junk
      expect(takenAtRead[0]).toBeLessThan(junk);
      expect(r.messages.filter((m) => m.type === 'fatal')).toEqual([]);
    });

    // the fallback's recvmmsg takes a whole batch; io_uring's receive hands out what the wait harvested, as many as the kernel had posted
    if (backend === 'fallback')
      it(`${backend}: a busy socket and a busy TAP queue take turns a batch at a time`, () => {
      const tap = queuePair();
      cleanups.push(() => tap.close());
      const r = rig(backend, 'tap', [{ interfaceId: 0, fd: tap.fd, name: 'rounds0', kind: 'tap', mtu: 1500 }]);
      expect(r.turn()).toBe(true);
      // more than a batch of junk on the socket, and a frame (the kernel's answer to a ping) on the TAP
      const datagrams = BATCH + 20;
      sendJunk(r.configured, '127.0.0.1', datagrams);
      tap.write([...BROADCAST_MAC, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 1]);
      // how many datagrams the socket had given up whenever the TAP queue was read
      const sender = (r.loop as unknown as { sender: Sender }).sender;
      const read = sender.read.bind(sender);
      const takenAtRead: number[] = [];
      sender.read = (iface, now, batches) => {
        takenAtRead.push(r.globalStats[GlobalStat.DropMalformed]!);
        return read(iface, now, batches);
      };
      for (let i = 0; i < 10 && r.globalStats[GlobalStat.DropMalformed] < datagrams; i++) r.turn();
      expect(r.globalStats[GlobalStat.DropMalformed]).toBe(datagrams);
      // before: the socket's whole turn (up to 8 batches) went first, and the frame waited behind it
      expect(takenAtRead[0]).toBe(BATCH);
      expect(r.messages.filter((m) => m.type === 'fatal')).toEqual([]);
    });

    it.runIf(haveTap)(`${backend}: multitap interfaces of peers that come and go leave no I/O counters behind, and what they did stays counted`, () => {
      const ns = Namespace.create(`revb-churn-${process.pid}-${backend}`);
      cleanups.push(() => ns.delete());
      ns.ip('link', 'set', 'lo', 'up');
      const r = rig(backend, 'multitap');
      const counted = () => r.dp.stats.ioCounters.list.reduce((sum, c) => sum + c.syscalls + c.packetsIn + c.packetsOut, 0);
      const lists = r.dp.stats.ioCounters.list.length;
      const name = 'churn0';
      for (let round = 0; round < 20; round++) {
        // a peer connects: its own TAP (the worker closes the fd given to it), and a frame to read
        const device = ns.inside(() => openTunTap({ kind: 'tap', name, mtu: 1400, up: true }));
        ns.ip('addr', 'add', '10.79.0.1/24', 'dev', name);
        ns.ip('neigh', 'add', '10.79.0.2', 'lladdr', '02:00:00:00:00:02', 'dev', name);
        r.post({ type: 'addPeer', peerId: 0, interface: { interfaceId: 0, fd: device.fd, name, kind: 'tap', mtu: 1400 } });
        expect(r.turn()).toBe(true);
        const before = counted();
        ns.inside(() => sendJunk(r.configured, '10.79.0.2'));
        for (let i = 0; i < 10 && counted() === before; i++) r.turn();
        expect(counted()).toBeGreaterThan(before);
        // and goes: the worker closes the last fd, the kernel deletes the interface
        const total = counted();
        r.post({ type: 'removePeer', peerId: 0 });
        expect(r.turn()).toBe(true);
        expect(counted()).toBe(total);
        expect(r.dp.stats.ioCounters.list.length).toBe(lists);
      }
      expect(r.messages.filter((m) => m.type === 'fatal')).toEqual([]);
    });

    it.runIf(haveTap)(`${backend}: a TSO super-frame cut short by the end of a read turn goes out whole, without waiting for the queue's next frame`, async () => {
      const ns = Namespace.create(`revb-tso-${process.pid}-${backend}`);
      cleanups.push(() => ns.delete());
      // no IPv6: the only frames on the interface are the test's own
      ns.exec('sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
      const name = 'tso0';
      const mtu = 1500;
      const queue = ns.inside(() =>
        openOffloadedQueue({ kind: 'tap', name, mtu, up: true }, true, (reason) => {
          throw new Error(`offloads refused: ${reason}`);
        }),
      );
      const peer = openUdpSocket({ address: '127.0.0.1', port: 0 });
      cleanups.push(() => closeSocket(peer));
      const r = rig(backend, 'tap', [{ interfaceId: 0, fd: queue.device.fd, name, kind: 'tap', mtu, vnetHeader: true }]);
      r.post({ type: 'addPeer', peerId: 0 });
      r.post({ type: 'setPeerAddress', peerId: 0, socketId: 0, endpoint: { family: 4, address: '127.0.0.1', port: peer.local.port, scopeId: 0 } });
      r.post({ type: 'installSession', peerId: 0, method: 'null', key: new Uint8Array(0), initiator: true, compat: false, sendEmpty: false });
      expect(r.turn()).toBe(true);
      // 12 super-frames of 45 segments: 540 frames, more than the 8 batches of 64 a queue gets per turn
      const segments = 45;
      const gsoSize = 1000;
      const records = Array.from({ length: 12 }, (_, k) =>
        superFrame({ version: 4, tap: true, seq: k * segments * gsoSize, flags: ACK | PSH, payload: pattern(segments * gsoSize, k), srcMac: [2, 0, 0, 0, 0, 1], dstMac: [2, 0, 0, 0, 0, 2] }, gsoSize),
      );
      const dir = mkdtempSync(join(tmpdir(), 'revb-tso-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      expect(await transmitWithVnetHeader(ns, name, dir, records)).toEqual(records.map(() => 0));
      const sent = () => r.peerStats[PeerStat.TxPackets];
      // turns go on while they make progress (after an idle spell the armed READ's frame comes
      // alone); held-back segments would make none: the queue is empty, the wait ends with the timer
      for (let stalled = 0; stalled < 2 && sent() < records.length * segments; ) {
        const before = sent();
        r.turn();
        stalled = sent() === before ? stalled + 1 : 0;
      }
      expect(sent()).toBe(records.length * segments);
      expect(r.messages.filter((m) => m.type === 'fatal')).toEqual([]);
    });
  }
});
