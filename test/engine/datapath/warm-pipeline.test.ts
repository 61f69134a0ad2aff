// The worker's pipeline warm-up (issue 11 point 6): frames go the whole way (TAP read → seal →
// send → receive → open → TAP write) through a throwaway datapath of the worker's kind, and
// nothing is left behind: the worker's own datapath receives nothing, counts nothing and has
// its pool as before, and every fd the warm-up opened is closed again. The worker runs it
// before it even has its datapath; here one exists to show it is left alone.
import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Datapath } from '../../../src/engine/datapath/context.js';
import { GLOBAL_STATS_FIELDS, PEER_STATS_FIELDS } from '../../../src/engine/datapath/messages.js';
import { warmPipeline } from '../../../src/engine/datapath/warm-pipeline.js';
import { openUdpSocket } from '../../../src/io/udp.js';
import { onlySocket, workerInit } from './worker-init.js';

const openFds = (): number => readdirSync('/proc/self/fd').length;

describe('datapath pipeline warm-up', () => {
  const socket = openUdpSocket({ address: '127.0.0.1', port: 0 });
  const globalStats = new SharedArrayBuffer(GLOBAL_STATS_FIELDS * 8);
  const peerStats = new SharedArrayBuffer(4 * PEER_STATS_FIELDS * 8);
  // fallback: its receive is a plain recvmmsg, which shows whatever came in
  const init = workerInit({ sockets: onlySocket(socket.fd), peerStats, globalStats, memoryCeiling: 8 << 20, ioBackend: 'fallback' });
  const dp = new Datapath(init, () => undefined);
  afterAll(() => {
    dp.close();
  });

  for (const backend of ['io_uring', 'fallback'] as const) {
    for (const several of [false, true]) {
      it(`delivers frames end to end (${backend}, ${several ? 'one of several workers' : 'one worker'}) and leaves the worker's datapath and fds as they were`, () => {
        const pool = { ...dp.memory.pool.stats() };
        const global = new Float64Array(globalStats).slice();
        const peers = new Float64Array(peerStats).slice();
        const fds = openFds();
        const delivered = warmPipeline({ method: 'salsa2012+umac', ioBackend: backend, several, mtu: 1500 });
        // 300 frames in, each broadcast one delivered by both peers: all but the last turn's
        expect(delivered).toBeGreaterThanOrEqual(300);
        expect(openFds()).toBe(fds);
        expect(dp.memory.pool.stats()).toEqual(pool);
        expect(new Float64Array(globalStats)).toEqual(global);
        expect(new Float64Array(peerStats)).toEqual(peers);
      });
    }
  }

  it('sends nothing to the worker\'s own socket', () => {
    // the real datapath's receive path would count a datagram from an unknown address
    const before = new Float64Array(globalStats).slice();
    warmPipeline({ method: 'null', ioBackend: 'io_uring', several: false, mtu: 1500 });
    const own = dp.sockets.list[0]!;
    own.raw.lengths.fill(dp.sockets.receiveRoom());
    expect(own.io.receive(own.raw)).toBe(0);
    expect(new Float64Array(globalStats)).toEqual(before);
  });
});
