// The whole packet path runs warm before the first real packet, not just seal and open
// (warm-up.ts): a fresh tunnel's first pings otherwise pay for the batch framing, routing,
// classification and the TUN/TAP and socket calls running in V8's interpreter and for their
// compiles, on the same two cores as the pings. Before it reports loaded, the worker builds a
// throwaway datapath of the kind its `init` will ask for (backend, offloads, MTU) with two peers whose
// sockets sit on 127.0.0.1 and talk only to each other, and a socketpair as its TAP queue,
// and runs its loop on frames it writes into the socketpair: read → route → seal → send →
// receive → classify → open → deliver. The throwaway datapath has its own memory and its own
// statistics tables; nothing leaves the process and the real datapath counts nothing.
import { MessageChannel } from 'node:worker_threads';
import { check, close, eventfd, read, socketpair, write } from '../../io/libc.js';
import { AddressFamily, EventFdFlag, SocketType } from '../../io/linux-abi.js';
import { NativeArea } from '../../io/native-memory.js';
import { Ethernet } from '../../io/offload/headers.js';
import { localAddress, openUdpSocket, type UdpSocket } from '../../io/udp.js';
import { applyControl } from './control.js';
import { Datapath } from './context.js';
import { createHandoffPlaces } from '../workers/handoff-places.js';
import { HANDSHAKE_CREDIT_BYTES } from './tables/handshake-credit.js';
import { IDLE_WAKE_MS, Loop } from './loop.js';
import { GLOBAL_STATS_FIELDS, PEER_STATS_FIELDS, type Endpoint, type PipelineWarmUp } from './messages.js';
import { Sender } from './pipeline/send.js';

/** Loop turns: enough for V8 to optimise the path and install the code before the first real packet. */
const TURNS = 300;
/** Frame sizes taking turns: a ping's and a full one's. */
const FRAME_BYTES = [98, 1414] as const;
/** Packet memory of the throwaway datapath. */
const MEMORY_BYTES = 8 << 20;
const PEERS = 2;
/**
 * Every this many turns, one follows an idle spell: an idle tunnel's pings take the loop's
 * after-idle branches (the harvest of the kernel's answer to a frame just written), which
 * back-to-back turns never reach, and their first real use deoptimised the warm code.
 */
const IDLE_TURN_EVERY = 4;
/** Source MACs of the frames written in: A's frames are broadcast, B's go to A (learnt behind a peer by then). */
const MAC_A = [0x02, 0, 0, 0, 0, 0xa];
const MAC_B = [0x02, 0, 0, 0, 0, 0xb];
const BROADCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

/** Runs the packet path of a datapath like `spec`'s on private loopback traffic; returns the frames it delivered. */
export function warmPipeline(spec: PipelineWarmUp): number {
  const pair = new Int32Array(2);
  check(socketpair(AddressFamily.UNIX, SocketType.DGRAM | SocketType.NONBLOCK | SocketType.CLOEXEC, 0, pair), 'socketpair for the warm-up');
  const [tapFd, farFd] = pair as unknown as [number, number];
  const sockets: UdpSocket[] = [];
  let dp: Datapath | undefined;
  let loop: Loop | undefined;
  let wakeFd = -1;
  const channel = new MessageChannel();
  let delivered = 0;
  try {
    for (let i = 0; i < PEERS; i++) sockets.push(openUdpSocket({ address: '127.0.0.1', port: 0 }));
    wakeFd = check(eventfd(0, EventFdFlag.NONBLOCK | EventFdFlag.CLOEXEC), 'eventfd for the warm-up');
    // one of several workers: a place of its own (a shared memory and MAC table, handoff rings
    // to no one), so the code learns the objects the real datapath has
    const place = spec.several ? createHandoffPlaces([wakeFd], MEMORY_BYTES)[0] : undefined;
    const mtu = Math.max(spec.mtu, FRAME_BYTES[1] - Ethernet.SIZE);
    dp = new Datapath(
      {
        type: 'init',
        mode: 'tap',
        forward: false,
        sockets: sockets.map((socket, socketId) => ({ socketId, fd: socket.fd, family: 4 as const })),
        interfaces: [{ interfaceId: 0, fd: tapFd, name: 'warm-up', kind: 'tap', mtu }],
        peerStats: new SharedArrayBuffer(PEERS * PEER_STATS_FIELDS * 8),
        globalStats: new SharedArrayBuffer(GLOBAL_STATS_FIELDS * 8),
        handshakeCredit: new SharedArrayBuffer(HANDSHAKE_CREDIT_BYTES),
        memoryCeiling: MEMORY_BYTES,
        maxMtu: mtu,
        gro: spec.gro,
        gso: spec.gso,
        ioBackend: spec.ioBackend,
        eventRing: spec.eventRing,
        ...(place ? { place } : {}),
      },
      () => undefined,
    );
    sockets.length = 0; // the datapath owns and closes them now
    loop = new Loop(dp, wakeFd, channel.port1);
    // peer p sends from socket p to the other socket, which knows the sender as the other peer
    const sender = new Sender(dp);
    const endpoints: Endpoint[] = dp.sockets.list.map((socket) => ({ family: 4, scopeId: 0, ...localAddress(socket!.fd) }));
    const method = spec.method;
    const key = new Uint8Array(dp.provider(method).keyLength);
    for (let peerId = 0; peerId < PEERS; peerId++) {
      applyControl(dp, sender, { type: 'addPeer', peerId }, 0);
      applyControl(dp, sender, { type: 'setPeerAddress', peerId, socketId: peerId, endpoint: endpoints[PEERS - 1 - peerId]! }, 0);
      applyControl(dp, sender, { type: 'installSession', peerId, method, key, initiator: peerId === 0, compat: false, sendEmpty: false }, 0);
    }
    const frame = new NativeArea(FRAME_BYTES[1], 'warm-up frame');
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (let turn = 0; turn < TURNS; turn++) {
      const fromB = turn % 2 === 1;
      frame.bytes.set(fromB ? MAC_A : BROADCAST, Ethernet.DESTINATION);
      frame.bytes.set(fromB ? MAC_B : MAC_A, Ethernet.SOURCE);
      if (turn % IDLE_TURN_EVERY === IDLE_TURN_EVERY - 1) Atomics.wait(pause, 0, 0, IDLE_WAKE_MS);
      // a frame waiting on the queue keeps the turn from sleeping
      write(farFd, frame.address, FRAME_BYTES[(turn >> 1) % FRAME_BYTES.length]!);
      loop.turn();
      while (read(farFd, frame.address, FRAME_BYTES[1]) > 0) delivered++;
    }
    return delivered;
  } finally {
    loop?.close();
    dp?.close();
    for (const socket of sockets) close(socket.fd);
    if (wakeFd >= 0) close(wakeFd);
    close(farFd);
    if (!dp) close(tapFd);
    channel.port1.close();
  }
}
