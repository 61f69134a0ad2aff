// How the control plane's messages reach N datapath workers (workers.ts), with stand-in
// worker handles that record what they are sent: every worker knows every peer, only the
// owner gets its sessions and interface, a peer follows the worker its handshake arrived
// at when a session is installed, per-peer sockets live in one worker.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Endpoint, FromWorker, InterfaceSpec, ToWorker } from '../../../src/engine/datapath/messages.js';
import { Workers, type WorkerHandle } from '../../../src/engine/workers/workers.js';

class FakeWorker extends EventEmitter implements WorkerHandle {
  readonly wakeFd = -1;
  readonly sent: ToWorker[] = [];
  /** Per message sent: whether it woke the worker. */
  readonly woke: boolean[] = [];

  post(message: ToWorker, wake = true): void {
    this.sent.push(message);
    this.woke.push(wake);
  }

  stop(): Promise<number> {
    return Promise.resolve(0);
  }

  /** What was sent since the last call. */
  take(): ToWorker[] {
    this.woke.length = 0;
    return this.sent.splice(0);
  }
}

const endpoint = (port: number): Endpoint => ({ family: 4, address: '198.51.100.2', port, scopeId: 0 });
const TUN: InterfaceSpec = { interfaceId: 7, fd: 42, name: 'tun-p', kind: 'tun', mtu: 1400 };
const session = (peerId: number): ToWorker => ({ type: 'installSession', peerId, method: 'null', key: new Uint8Array(0), initiator: false, compat: false, sendEmpty: true });

function setup(count: number, misplace = false): { workers: Workers; fakes: FakeWorker[] } {
  const fakes = Array.from({ length: count }, () => new FakeWorker());
  return { workers: new Workers(fakes, misplace), fakes };
}

function establish(workers: Workers, peerId: number, port: number, iface?: InterfaceSpec): void {
  workers.post({ type: 'addPeer', peerId, ...(iface ? { interface: iface } : {}) });
  workers.post({ type: 'setPeerAddress', peerId, socketId: 0, endpoint: endpoint(port) });
  workers.post(session(peerId));
}

describe('Workers', () => {
  it('tells every worker about a peer, the interface and the session only to the worker its handshake came in at', () => {
    const { workers, fakes } = setup(2);
    workers.noteHandshake(1, 0, endpoint(1000));
    establish(workers, 5, 1000, TUN);
    expect(workers.ownerOf(5)).toBe(1);
    const [zero, one] = fakes.map((fake) => fake.take());
    expect(zero).toEqual([
      { type: 'addPeer', peerId: 5, owner: 1 },
      { type: 'setPeerAddress', peerId: 5, socketId: 0, endpoint: endpoint(1000) },
    ]);
    expect(one).toEqual([
      { type: 'addPeer', peerId: 5, owner: 1, interface: TUN },
      { type: 'setPeerAddress', peerId: 5, socketId: 0, endpoint: endpoint(1000) },
      session(5),
    ]);

    workers.post({ type: 'keepalive', peerIds: [5] });
    workers.post({ type: 'resetPeer', peerId: 5 });
    expect(fakes[0]!.take()).toEqual([]);
    // keepalives wait for the worker's next wake-up (its timer at the latest); the rest wake it
    expect(fakes[1]!.woke).toEqual([false, true]);
    expect(fakes[1]!.take().map((m) => m.type)).toEqual(['keepalive', 'resetPeer']);
    // keepalives due together: each owner gets its own peers, a peer no worker owns yet none
    workers.post({ type: 'keepalive', peerIds: [99, 5] });
    expect(fakes[0]!.take()).toEqual([]);
    expect(fakes[1]!.take()).toEqual([{ type: 'keepalive', peerIds: [5] }]);
    expect(workers.peerCounts()).toEqual([0, 1]);

    // a new session from an address whose handshake came in at worker 0: the peer moves there,
    // its interface with it; its statistics row keeps counting
    workers.noteHandshake(0, 0, endpoint(1001));
    workers.post({ type: 'setPeerAddress', peerId: 5, socketId: 0, endpoint: endpoint(1001) });
    workers.post(session(5));
    expect(workers.ownerOf(5)).toBe(0);
    const [zeroAfter, oneAfter] = fakes.map((fake) => fake.take());
    expect(zeroAfter!.map((m) => m.type)).toEqual(['setPeerAddress', 'removePeer', 'addPeer', 'setPeerAddress', 'installSession']);
    expect(oneAfter!.map((m) => m.type)).toEqual(['setPeerAddress', 'removePeer', 'addPeer', 'setPeerAddress']);
    expect(zeroAfter![2]).toEqual({ type: 'addPeer', peerId: 5, owner: 0, moved: true, interface: TUN });
    expect(oneAfter![2]).toEqual({ type: 'addPeer', peerId: 5, owner: 0, moved: true });

    workers.post({ type: 'removePeer', peerId: 5 });
    expect(fakes.map((fake) => fake.take())).toEqual([[{ type: 'removePeer', peerId: 5 }], [{ type: 'removePeer', peerId: 5 }]]);
    expect(workers.ownerOf(5)).toBe(-1);
    expect(workers.peerCounts()).toEqual([0, 0]);
  });

  it('spreads peers without a known handshake worker over the least loaded workers, and does not move them', () => {
    const { workers, fakes } = setup(2);
    for (let peerId = 0; peerId < 4; peerId++) establish(workers, peerId, 2000 + peerId);
    expect(workers.peerCounts()).toEqual([2, 2]);
    const sent = fakes.flatMap((fake) => fake.take());
    expect(sent.filter((m) => m.type === 'removePeer')).toEqual([]);
    expect(sent.filter((m) => m.type === 'installSession')).toHaveLength(4);
  });

  it('keeps a peer where it is when its handshake came in at its owner', () => {
    const { workers, fakes } = setup(2);
    workers.noteHandshake(0, 0, endpoint(3000));
    establish(workers, 1, 3000);
    expect(workers.ownerOf(1)).toBe(0);
    expect(fakes[0]!.take().map((m) => m.type)).toEqual(['addPeer', 'setPeerAddress', 'installSession']);
    expect(fakes[1]!.take().map((m) => m.type)).toEqual(['addPeer', 'setPeerAddress']);
  });

  it('opens a per-peer socket in one worker and makes its peer that worker\'s', () => {
    const { workers, fakes } = setup(2);
    establish(workers, 9, 4000); // load: worker 0 owns a peer
    fakes.forEach((fake) => fake.take());
    workers.post({ type: 'addSocket', socket: { socketId: 3, fd: 50, family: 4 } });
    expect(fakes[0]!.take()).toEqual([]);
    expect(fakes[1]!.take()).toEqual([{ type: 'addSocket', socket: { socketId: 3, fd: 50, family: 4 } }]);

    // the peer reached through that socket goes to that worker (its handshake arrived nowhere else)
    workers.post({ type: 'addPeer', peerId: 2 });
    workers.post({ type: 'setPeerAddress', peerId: 2, socketId: 3, endpoint: endpoint(5000) });
    workers.post(session(2));
    expect(workers.ownerOf(2)).toBe(1);
    workers.post({ type: 'removeSocket', socketId: 3 });
    expect(fakes[0]!.take().filter((m) => m.type === 'removeSocket')).toEqual([]);
    expect(fakes[1]!.take().filter((m) => m.type === 'removeSocket')).toEqual([{ type: 'removeSocket', socketId: 3 }]);
  });

  it('with the misplace test switch gives a peer to the worker after the one its handshake came in at', () => {
    const { workers } = setup(2, true);
    workers.noteHandshake(0, 0, endpoint(6000));
    establish(workers, 4, 6000);
    expect(workers.ownerOf(4)).toBe(1);
  });

  it('merges the workers\' MAC address reports, each replacing only its own', () => {
    const { workers } = setup(2);
    workers.mergeMacAddresses(0, [{ peerId: 1, addresses: ['02:00:00:00:00:01'] }]);
    expect(workers.mergeMacAddresses(1, [{ peerId: 2, addresses: ['02:00:00:00:00:02'] }])).toEqual([
      { peerId: 1, addresses: ['02:00:00:00:00:01'] },
      { peerId: 2, addresses: ['02:00:00:00:00:02'] },
    ]);
    expect(workers.mergeMacAddresses(0, [])).toEqual([{ peerId: 2, addresses: ['02:00:00:00:00:02'] }]);
  });

  it('sums the workers\' global statistics field by field, and passes their messages on with their index', () => {
    const { workers, fakes } = setup(3);
    workers.globalStats.forEach((buffer, index) => new Float64Array(buffer).fill(index + 1));
    const sum = workers.sumGlobalStats(new Float64Array(new Float64Array(workers.globalStats[0]!).length));
    expect([...sum].every((value) => value === 6)).toBe(true);
    const seen: [FromWorker, number][] = [];
    workers.onMessage((message, index) => seen.push([message, index]));
    fakes[2]!.emit('message', { type: 'sessionConfirmed', peerId: 1 });
    expect(seen).toEqual([[{ type: 'sessionConfirmed', peerId: 1 }, 2]]);
  });
});
