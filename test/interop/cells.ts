// The interop matrix as data: each cell names a tunnel (who runs on each side, who
// initiates, mode, method) and what it must prove once it is up; matrix.test.ts runs them.
// Deadlines are the behavioural requirements (fastd's own retry is 20 s, ours
// must converge sooner) or turn hangs into failures; throughput is reported, not judged.
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MIN_HANDSHAKE_INTERVAL } from '../../src/protocol/timing.js';
import { type DaemonKind, requireTunnel, Tunnel, TUNNEL_PORT, type TunnelMode, type TunnelOptions, underlayEndpoint } from './harness/tunnel.js';
import { sleep, until } from '../helpers/wait.js';

export const METHODS = [
  'salsa2012+umac',
  'salsa20+umac',
  'aes128-ctr+umac',
  'null+salsa2012+umac',
  'null+salsa20+umac',
  'null+aes128-ctr+umac',
  'salsa2012+gmac',
  'salsa20+gmac',
  'aes128-gcm',
  'null+salsa2012+gmac',
  'null+salsa20+gmac',
  'null+aes128-gmac',
  'salsa2012+poly1305',
  'salsa20+poly1305',
  'aes128-ctr+poly1305',
  'null',
  'null@l2tp',
] as const;

/** fastd's packet types (protocol.rst). */
export const PacketType = { Data: 0x00, Handshake: 0x01, DataPreV22: 0x02 } as const;

/** Waiting for the first reply when nothing special is tested: covers fastd's 20 s retry. */
const FIRST_REPLY_DEADLINE_S = 30;
/** The requirement: simultaneous open carries traffic within 3 s, every time. */
export const SIMULTANEOUS_OPEN_DEADLINE_S = 3;
/** The requirement: a restarted side carries traffic again within 5 s of its start. */
export const RESTART_DEADLINE_S = 5;
const PING_DEADLINE_S = 10;
const PING_COUNT = 3;
const IPERF_SECONDS = 2;

export interface Cell {
  readonly name: string;
  readonly tunnel: TunnelOptions;
  /** Run once both sides are up. */
  readonly check: (tunnel: Tunnel) => Promise<void>;
}

function report(cell: string, figure: string): void {
  process.stdout.write(`[interop] ${cell}: ${figure}\n`);
}

/** Registers the cells as tests, one fresh pair of namespaces per cell. */
export function defineCells(title: string, cells: readonly Cell[]): void {
  const ok = requireTunnel(`interop matrix (${title})`);
  describe.runIf(ok)(title, () => {
    for (const cell of cells) {
      it(cell.name, async () => {
        const tunnel = Tunnel.create(cell.tunnel);
        try {
          await tunnel.start();
          await cell.check(tunnel);
        } catch (error) {
          // Now, while the logs still exist: close() removes them.
          process.stderr.write(`----- logs of ${cell.name}\n${tunnel.logs()}\n`);
          throw error;
        } finally {
          await tunnel.close();
        }
      });
    }
  });
}

// ---- the checks

/** The initiator reaches the other side, then full-size pings pass both ways without loss. */
async function expectTraffic(tunnel: Tunnel, name: string, deadlineSeconds = FIRST_REPLY_DEADLINE_S): Promise<void> {
  const initiator = tunnel.options.sides[0].initiates ? 0 : 1;
  const first = await tunnel.timeToFirstReply(initiator, deadlineSeconds);
  expect(first, `no reply within ${deadlineSeconds} s`).toBeDefined();
  report(name, `first reply after ${first} ms`);
  for (const from of [0, 1] as const) {
    const result = await tunnel.ping(from, { count: PING_COUNT, size: tunnel.fullSizePing, deadlineSeconds: PING_DEADLINE_S });
    expect(result.received, result.output).toBe(PING_COUNT);
    if (from === 0) report(name, `full-size ping RTT ${result.rtt?.avg} ms`);
  }
}

async function expectIperf(tunnel: Tunnel, name: string): Promise<void> {
  const result = await tunnel.iperf3(0, IPERF_SECONDS);
  report(name, `iperf3 ${result.mbitPerSecond.toFixed(0)} Mbit/s (side a → b)`);
  expect(result.mbitPerSecond).toBeGreaterThan(0);
}

interface StatusWithPeers {
  readonly peers: Record<string, { readonly connection: { readonly method: string; readonly established: number } | null }>;
}

/** The connection as side `index` reports it on its status socket. */
async function connectionSeenBy(tunnel: Tunnel, index: 0 | 1) {
  const status = (await tunnel.status(index)) as StatusWithPeers;
  const peerKey = tunnel.daemons[1 - index]!.spec.keys.public;
  return status.peers[peerKey]?.connection ?? null;
}

// ---- the cells

function side(kind: DaemonKind, initiates: boolean, env?: Record<string, string>) {
  return { kind, initiates, env };
}

/** fastd-ts on side a, Debian's fastd on side b; `oursInitiate` says who has the remote. */
function oursAndFastd(mode: TunnelMode, method: string, oursInitiate: boolean): TunnelOptions {
  return { mode, methods: [method], sides: [side('fastd-ts', oursInitiate), side('fastd', !oursInitiate)] };
}

function who(oursInitiate: boolean): string {
  return oursInitiate ? 'fastd-ts initiates' : 'fastd initiates';
}

/** Every method, each way round, in TAP mode; fastd's status socket names the method agreed. */
export function methodCells(methods: readonly string[] = METHODS): Cell[] {
  return methods.flatMap((method) =>
    [true, false].map((oursInitiate) => {
      const name = `tap ${method}, ${who(oursInitiate)}`;
      return {
        name,
        tunnel: oursAndFastd('tap', method, oursInitiate),
        check: async (tunnel: Tunnel) => {
          await expectTraffic(tunnel, name);
          expect((await connectionSeenBy(tunnel, 1))?.method).toBe(method);
        },
      };
    }),
  );
}

/** The method both ends report on their status sockets (they must agree). */
async function agreedMethod(tunnel: Tunnel): Promise<string | undefined> {
  const [a, b] = await Promise.all([connectionSeenBy(tunnel, 0), connectionSeenBy(tunnel, 1)]);
  expect(a?.method).toBe(b?.method);
  return b?.method;
}

/**
 * Different method lists on the two ends, several in common: fastd-ts must agree on the
 * method two Debian fastd agree on with the same lists and roles (fastd's choice depends
 * on the order of the lists and on who initiates, handshake.c).
 */
export function negotiationCells(
  oursMethods: readonly string[] = ['salsa2012+umac', 'null', 'aes128-gcm'],
  fastdMethods: readonly string[] = ['aes128-gcm', 'salsa20+poly1305', 'null'],
): Cell[] {
  return [true, false].map((oursInitiate) => {
    const name = `method negotiation [${oursMethods.join(', ')}] vs fastd's [${fastdMethods.join(', ')}], ${who(oursInitiate)}`;
    const sides = (ours: DaemonKind) =>
      [
        { kind: ours, initiates: oursInitiate, methods: oursMethods },
        { kind: 'fastd' as const, initiates: !oursInitiate, methods: fastdMethods },
      ] as const;
    return {
      name,
      tunnel: { mode: 'tap' as const, methods: [], sides: sides('fastd-ts') },
      check: async (tunnel: Tunnel) => {
        await expectTraffic(tunnel, name);
        const ours = await agreedMethod(tunnel);
        const reference = Tunnel.create({ mode: 'tap', methods: [], sides: sides('fastd') });
        try {
          await reference.start();
          await expectTraffic(reference, `${name} (fastd ↔ fastd reference)`);
          const fastds = await agreedMethod(reference);
          report(name, `agreed on ${ours}; two fastd agree on ${fastds}`);
          expect(ours).toBe(fastds);
        } finally {
          await reference.close();
        }
      },
    };
  });
}

/** TUN and multitap (one interface per peer), each way round; one iperf3 per mode. */
export function modeCells(modes: readonly TunnelMode[] = ['tun', 'multitap']): Cell[] {
  return modes.flatMap((mode) =>
    [true, false].map((oursInitiate) => {
      const name = `${mode} salsa2012+umac, ${who(oursInitiate)}`;
      return {
        name,
        tunnel: oursAndFastd(mode, 'salsa2012+umac', oursInitiate),
        check: async (tunnel: Tunnel) => {
          await expectTraffic(tunnel, name);
          if (oursInitiate) await expectIperf(tunnel, name);
        },
      };
    }),
  );
}

/**
 * Over an IPv6 underlay (fastd's recommended MTU 1406 is sized for it), each way round;
 * both status sockets write the peer's address the same way ("[address]:port").
 */
export function ipv6UnderlayCells(): Cell[] {
  return [true, false].map((oursInitiate) => {
    const name = `tap salsa2012+umac over IPv6, ${who(oursInitiate)}`;
    return {
      name,
      tunnel: { ...oursAndFastd('tap', 'salsa2012+umac', oursInitiate), underlay: 6 as const },
      check: async (tunnel: Tunnel) => {
        await expectTraffic(tunnel, name);
        for (const index of [0, 1] as const) {
          const status = (await tunnel.status(index)) as { peers: Record<string, { address: string }> };
          const other = 1 - index;
          expect(status.peers[tunnel.daemons[other]!.spec.keys.public]?.address).toBe(underlayEndpoint(other, 6));
        }
      },
    };
  });
}

/** Ours speaks only the pre-v22 handshake (test switch): fastd answers in kind and data goes as 0x02. */
export function preV22Cell(): Cell {
  const name = 'tap salsa2012+umac, fastd-ts initiates with a pre-v22 handshake';
  return {
    name,
    tunnel: {
      mode: 'tap',
      methods: ['salsa2012+umac'],
      sides: [side('fastd-ts', true, { FASTD_TS_TEST_PRE_V22: '1' }), side('fastd', false)],
    },
    check: async (tunnel) => {
      await expectTraffic(tunnel, name);
      const pings = () => tunnel.ping(0, { count: PING_COUNT, deadlineSeconds: PING_DEADLINE_S });
      const compat = await tunnel.capturePacketsOfType(0, PacketType.DataPreV22, pings);
      expect(compat.count, compat.text).toBeGreaterThanOrEqual(2 * PING_COUNT);
      const v22 = await tunnel.capturePacketsOfType(0, PacketType.Data, pings);
      expect(v22.count, v22.text).toBe(0);
    },
  };
}

/** fastd-ts on both ends. */
export function fastdTsPairCells(methods: readonly string[] = ['salsa2012+umac', 'null']): Cell[] {
  return methods.map((method) => {
    const name = `fastd-ts ↔ fastd-ts, tap ${method}`;
    return {
      name,
      tunnel: { mode: 'tap', methods: [method], sides: [side('fastd-ts', true), side('fastd-ts', false)] },
      check: async (tunnel: Tunnel) => {
        await expectTraffic(tunnel, name);
        await expectIperf(tunnel, name);
      },
    };
  });
}

/** Both ends configured with `remote` and started together: traffic within 3 s. */
export function simultaneousOpenCells(): Cell[] {
  return (['fastd', 'fastd-ts'] as const).map((other) => {
    const name = `simultaneous open, fastd-ts ↔ ${other}`;
    return {
      name,
      tunnel: { mode: 'tap', methods: ['salsa2012+umac'], sides: [side('fastd-ts', true), side(other, true)] },
      check: async (tunnel: Tunnel) => {
        await expectTraffic(tunnel, name, SIMULTANEOUS_OPEN_DEADLINE_S);
      },
    };
  });
}

/**
 * fastd ignores every handshake from a peer for MIN_HANDSHAKE_INTERVAL after a session
 * with it was established (fastd's build.h.in and ec25519_fhmqvc/handshake.c), so no peer
 * can reconnect to it sooner; a restart test must let the session age past that first.
 */
const SESSION_AGE_DEADLINE_MS = 30_000;

/**
 * A fastd-ts survivor answers a peer that restarted inside the quiet period at once, from
 * the peer's own address (fastd would wait out the 15 s): the restart comes this long after
 * the session came up.
 */
const QUIET_RESTART_AGE_MS = 2_000;

/**
 * kill -9 one side (0 = fastd-ts, 1 = fastd) and start it again, once the session is older
 * than fastd's handshake guard: traffic both ways within 5 s of its start. `inQuietPeriod`
 * (only with fastd restarted, fastd-ts surviving): 2 s after the session came up instead.
 */
export function restartCell(oursInitiate: boolean, restarted: 0 | 1, inQuietPeriod = false): Cell {
  const when = inQuietPeriod ? ', inside the quiet period' : '';
  const name = `restart recovery, ${who(oursInitiate)}, kill -9 of ${restarted === 0 ? 'fastd-ts' : 'fastd'}${when}`;
  return {
    name,
    tunnel: oursAndFastd('tap', 'salsa2012+umac', oursInitiate),
    check: async (tunnel: Tunnel) => {
      await expectTraffic(tunnel, name);
      const survivor = (1 - restarted) as 0 | 1;
      const age = inQuietPeriod ? QUIET_RESTART_AGE_MS : MIN_HANDSHAKE_INTERVAL;
      let established = 0;
      await until('the session to reach its age for the restart', SESSION_AGE_DEADLINE_MS, async () => {
        const connection = await connectionSeenBy(tunnel, survivor);
        established = connection?.established ?? 0;
        return connection && established > age ? true : undefined;
      });
      if (inQuietPeriod) expect(established, 'the restart must come inside the quiet period').toBeLessThan(MIN_HANDSHAKE_INTERVAL);
      await tunnel.restartSide(restarted);
      // Traffic from both sides at once, as in a network where it keeps coming: a side
      // without `remote` learns where its peer is only from what the peer sends.
      const [fromSurvivor, fromRestarted] = await Promise.all([
        tunnel.timeToFirstReply(survivor, RESTART_DEADLINE_S),
        tunnel.timeToFirstReply(restarted, RESTART_DEADLINE_S),
      ]);
      expect(fromSurvivor, `no reply to the survivor within ${RESTART_DEADLINE_S} s of the restart`).toBeDefined();
      expect(fromRestarted, `no reply to the restarted side within ${RESTART_DEADLINE_S} s of the restart`).toBeDefined();
      report(name, `first replies ${fromSurvivor} ms (survivor) / ${fromRestarted} ms (restarted) after the restart`);
    },
  };
}

interface StatusWithTotals {
  readonly statistics: { readonly rx: { readonly packets: number } };
  readonly 'fastd-ts': {
    readonly dropped: { readonly malformed: number; readonly unknown_address: number; readonly auth: number; readonly replay: number; readonly handshake: number; readonly queue: number; readonly handshake_rate: number };
    readonly handshakes_received: number;
  };
}

const GARBAGE_COUNT = 1000;
const GARBAGE_PINGS = 5;
const GARBAGE_ACCOUNTED_DEADLINE_MS = 10_000;

/** What fastd-ts did with received packets that were not data for a session: dropped (by reason) or handed on as handshakes. */
function notData(status: StatusWithTotals) {
  const { dropped, handshakes_received } = status['fastd-ts'];
  return { ...dropped, handshakes: handshakes_received };
}

/** Datagrams the kernel dropped for a full receive buffer on the tunnel port (/proc/net/udp{,6} "drops", last column). */
async function kernelDrops(tunnel: Tunnel, side: 0 | 1): Promise<number> {
  const result = await tunnel.side(side).run('cat', ['/proc/net/udp', '/proc/net/udp6']);
  const port = `:${TUNNEL_PORT.toString(16).toUpperCase().padStart(4, '0')}`;
  let drops = 0;
  for (const line of result.stdout.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[1]?.endsWith(port)) drops += Number(fields.at(-1));
  }
  return drops;
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/**
 * 1000 random and truncated datagrams at fastd-ts's port from the peer's address (another
 * port): the session stays (same connection, no loss), none of the junk is counted as
 * received traffic, and each junk datagram is accounted for exactly once: dropped for a
 * reason, handed to the control plane as a handshake, or dropped by the kernel.
 */
export function garbageCell(): Cell {
  const name = `${GARBAGE_COUNT} random and truncated packets at fastd-ts while a session runs`;
  return {
    name,
    tunnel: oursAndFastd('tap', 'salsa2012+umac', false),
    check: async (tunnel) => {
      await expectTraffic(tunnel, name);
      const before = await connectionSeenBy(tunnel, 0);
      const statusBefore = (await tunnel.status(0)) as StatusWithTotals;
      const rxBefore = statusBefore.statistics.rx.packets;
      const kernelBefore = await kernelDrops(tunnel, 0);
      expect(before).not.toBeNull();
      const sentAt = Date.now();
      expect(await tunnel.sendGarbage(1, GARBAGE_COUNT)).toBe(GARBAGE_COUNT);
      const accounted = async () => {
        const [now, kernel] = [notData((await tunnel.status(0)) as StatusWithTotals), await kernelDrops(tunnel, 0)];
        const was = notData(statusBefore);
        const rise = Object.fromEntries(Object.entries(now).map(([reason, count]) => [reason, count - was[reason as keyof typeof was]]));
        return { ...rise, kernel: kernel - kernelBefore };
      };
      let counts = await accounted();
      // Fewer than sent after the deadline fails below, with the counts in the message.
      await until('the junk to be counted', GARBAGE_ACCOUNTED_DEADLINE_MS, async () => {
        counts = await accounted();
        return sum(counts) >= GARBAGE_COUNT ? true : undefined;
      }).catch(() => undefined);
      expect(sum(counts), JSON.stringify(counts)).toBe(GARBAGE_COUNT);
      report(name, `junk accounted for: ${JSON.stringify(counts)}`);
      const result = await tunnel.ping(0, { count: GARBAGE_PINGS, size: tunnel.fullSizePing, deadlineSeconds: PING_DEADLINE_S });
      expect(result.received, result.output).toBe(GARBAGE_PINGS);
      const after = await connectionSeenBy(tunnel, 0);
      // The same connection: its age grew by the time that passed, it did not start over.
      expect(after!.established).toBeGreaterThanOrEqual(before!.established + (Date.now() - sentAt) - 1000);
      // Received data: the pings' replies and a little background (ARP, IPv6), not the junk.
      const rxAfter = ((await tunnel.status(0)) as StatusWithTotals).statistics.rx.packets;
      expect(rxAfter - rxBefore).toBeLessThan(GARBAGE_COUNT / 10);
    },
  };
}

/** The JSON shape of a value: key paths and value types, peer keys (hex) folded into one name. */
export function jsonShape(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? ['empty'] : [jsonShape(value[0])];
  if (typeof value !== 'object') return typeof value;
  const shape: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    shape[/^[0-9a-f]{64}$/.test(key) ? '<peer key>' : key] = jsonShape((value as Record<string, unknown>)[key]);
  }
  return shape;
}

/** How long fastd-ts may take to report learned MAC addresses to its control plane (once a second). */
const MAC_REPORT_DEADLINE_MS = 3_000;
const STATUS_POLL_MS = 200;

/** The shape of a buffer pool's figures in fastd-ts's status object (buffer_pool, receive_pool). */
const POOL_SHAPE = { buffers: 'number', in_use: 'number', hits: 'number', misses: 'number', exhausted: 'number', grows: 'number', shrinks: 'number', bytes: 'number' };

/**
 * fastd-ts's status socket answers with the key paths and value types of fastd's own, per
 * mode. Debian's fastd is v22; v23 added the per-peer `mtu` where interfaces are per peer
 * (fastd's doc/source/releases/v23.rst), which fastd-ts has as v23 does.
 */

export function statusShapeCells(modes: readonly TunnelMode[] = ['tap', 'tun']): Cell[] {
  return modes.map((mode) => {
    const name = `status socket JSON shape equals fastd's, ${mode}`;
    return {
      name,
      tunnel: oursAndFastd(mode, 'salsa2012+umac', true),
      check: async (tunnel: Tunnel) => {
        await expectTraffic(tunnel, name);
        const expected = jsonShape(await tunnel.status(1));
        const oursNow = async () => {
          const shape = jsonShape(await tunnel.status(0)) as { peers: Record<string, Record<string, unknown>>; 'fastd-ts'?: unknown };
          // fastd-ts's own extension object, which fastd has not.
          expect(shape['fastd-ts']).toEqual({
            io_backend: 'string',
            dropped: { malformed: 'number', unknown_address: 'number', auth: 'number', replay: 'number', handshake: 'number', queue: 'number', handshake_rate: 'number', receive_buffer: 'number' },
            handshakes_received: 'number',
            buffer_pool: POOL_SHAPE,
            receive_pool: POOL_SHAPE,
            offloads: { tso_superframes: 'number', tso_segments: 'number', checksums_completed: 'number', gro_superframes: 'number', gro_frames: 'number' },
            udp_offloads: { gso_sends: 'number', gso_datagrams: 'number', gro_datagrams: 'number' },
            io: { system_calls: 'number', packets: 'number', fixed_chunks: 'number', fixed_writes: 'number', gso_fallbacks: 'number' },
            workers: [{ peers: 'number', rx_packets: 'number', tx_packets: 'number', handoffs: 'number', handoff_drops: 'number' }],
          });
          delete shape['fastd-ts'];
          const peer = shape.peers['<peer key>'];
          if (mode !== 'tap' && peer) {
            expect(peer.mtu).toBe('number');
            delete peer.mtu;
          }
          return shape;
        };
        let ours = await oursNow();
        const deadline = Date.now() + MAC_REPORT_DEADLINE_MS;
        while (!isDeepStrictEqual(ours, expected) && Date.now() < deadline) {
          await sleep(STATUS_POLL_MS);
          ours = await oursNow();
        }
        expect(ours).toEqual(expected);
      },
    };
  });
}
