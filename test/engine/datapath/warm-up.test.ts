// The worker's warm-up (issue 11 point 6): every configured method seals and opens batches of
// dummy packets in the worker's own memory before the first real packet, and leaves nothing
// behind: every packet opened intact, the buffers back in the pool, nothing counted.
import { afterAll, describe, expect, it } from 'vitest';
import { Datapath } from '../../../src/engine/datapath/context.js';
import { GLOBAL_STATS_FIELDS, PEER_STATS_FIELDS } from '../../../src/engine/datapath/messages.js';
import { warmUp } from '../../../src/engine/datapath/warm-up.js';
import { PacketStatus, type MethodSession, type PacketBatch } from '../../../src/crypto/methods/provider.js';
import { openUdpSocket } from '../../../src/io/udp.js';
import { onlySocket, workerInit } from './worker-init.js';

const METHODS = ['salsa2012+umac', 'null', 'aes128-ctr+umac'];

describe('datapath warm-up', () => {
  const socket = openUdpSocket({ address: '127.0.0.1', port: 0 });
  const globalStats = new SharedArrayBuffer(GLOBAL_STATS_FIELDS * 8);
  const dp = new Datapath(
    workerInit({
      sockets: onlySocket(socket.fd),
      peerStats: new SharedArrayBuffer(4 * PEER_STATS_FIELDS * 8),
      globalStats,
      memoryCeiling: 8 << 20,
      ioBackend: 'fallback',
      gro: false,
    }),
    () => undefined,
  );
  afterAll(() => {
    dp.close();
  });

  it('seals and opens with every method, every packet intact, and leaves the pool and the statistics as they were', () => {
    const calls = new Map<string, { seal: number; open: number; bad: number }>();
    for (const method of METHODS) {
      const provider = dp.provider(method);
      const create = provider.createSession.bind(provider);
      const count = { seal: 0, open: 0, bad: 0 };
      calls.set(method, count);
      // count what the sessions do, without changing it
      (provider as { createSession: typeof provider.createSession }).createSession = (...args) => {
        const session: MethodSession = create(...args);
        const seal = session.seal.bind(session);
        const open = session.open.bind(session);
        session.seal = (batch: PacketBatch, now: number) => {
          count.seal += batch.count;
          seal(batch, now);
        };
        session.open = (batch: PacketBatch, now: number) => {
          count.open += batch.count;
          open(batch, now);
          for (let i = 0; i < batch.count; i++) if (batch.status[i] !== PacketStatus.Ok) count.bad++;
        };
        return session;
      };
    }
    const before = { ...dp.memory.pool.stats() };
    const stats = new Float64Array(globalStats).slice();
    warmUp(dp, METHODS);
    for (const method of METHODS) {
      const count = calls.get(method)!;
      expect(count.seal, method).toBeGreaterThanOrEqual(100);
      expect(count.open, method).toBe(count.seal);
      expect(count.bad, method).toBe(0);
    }
    expect(dp.memory.pool.stats().inUse).toBe(before.inUse);
    expect(new Float64Array(globalStats)).toEqual(stats);
  });
});
