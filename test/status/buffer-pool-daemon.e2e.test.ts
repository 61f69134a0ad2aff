// buffer_pool through a real daemon: fastd-ts (its workers publishing their pools once a
// second, the control plane summing them) next to Debian's fastd in private namespaces,
// started with a low `packet memory limit`, which its pools stay within.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTunnel, Tunnel } from '../interop/harness/tunnel.js';
import { until } from '../helpers/wait.js';
import type { BufferPoolStatus, FastdTsStatus } from '../../src/status/status-json.js';

const LIMIT_MIB = 16;
/** Pool buffers hold at least a cache line. */
const MIN_BUFFER_BYTES = 64;
const DEADLINE_MS = 30_000;

const ok = requireTunnel('status: buffer_pool of a running daemon');

describe.runIf(ok)('buffer_pool of a running daemon', () => {
  let tunnel: Tunnel;

  beforeAll(async () => {
    tunnel = Tunnel.create({
      mode: 'tap',
      methods: ['salsa2012+umac'],
      sides: [
        { kind: 'fastd-ts', initiates: true, extraStatements: [`packet memory limit ${LIMIT_MIB}`] },
        { kind: 'fastd', initiates: false },
      ],
    });
    await tunnel.start();
  });

  afterAll(async () => {
    await tunnel?.close();
  });

  const ours = async () => ((await tunnel.status(0)) as { 'fastd-ts': FastdTsStatus })['fastd-ts'];

  it('shows the workers’ pools, within the configured ceiling, and keeps them current while traffic flows', async () => {
    // the tunnel is up once the TAP is, and the daemon opens its status socket after that
    const first = await until('a published buffer pool', DEADLINE_MS, () =>
      ours().then((status) => (status.buffer_pool.buffers > 0 ? status : undefined), () => undefined),
    );
    const check = (pool: BufferPoolStatus, workers: number) => {
      // The receive slots are pool buffers taken for good.
      expect(pool.in_use).toBeGreaterThan(0);
      expect(pool.in_use).toBeLessThanOrEqual(pool.buffers);
      expect(pool.grows).toBeGreaterThan(0);
      // Every buffer in use was allocated once: from the free list or by growing.
      expect(pool.hits + pool.misses).toBeGreaterThanOrEqual(pool.in_use);
      expect(pool.bytes).toBeGreaterThanOrEqual(pool.buffers * MIN_BUFFER_BYTES);
      expect(pool.bytes).toBeLessThanOrEqual(workers * LIMIT_MIB * 2 ** 20);
      expect(pool.exhausted).toBe(0);
    };
    expect(first.workers.length).toBeGreaterThan(0);
    check(first.buffer_pool, first.workers.length);

    const reply = await tunnel.timeToFirstReply(0, 10);
    expect(reply, tunnel.logs()).toBeDefined();
    const result = await tunnel.iperf3(0, 2);
    expect(result.mbitPerSecond).toBeGreaterThan(0);
    // The counters only grow; the next publication (once a second) shows at least as many allocations.
    const before = first.buffer_pool.hits + first.buffer_pool.misses;
    const after = await until('a fresh publication', DEADLINE_MS, async () => {
      const status = await ours();
      return status.buffer_pool.hits + status.buffer_pool.misses >= before ? status : undefined;
    });
    check(after.buffer_pool, after.workers.length);
  });
});
