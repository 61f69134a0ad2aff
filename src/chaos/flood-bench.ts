// Issue 15's garbage-flood measurement, Debian fastd and fastd-ts side by side in one run: a
// two-host lab (bench-tunnel.ts) with Debian fastd on side a and the daemon under test on
// side b, a live session, pings a → b through it, and a flood of garbage (garbage-mix.ts:
// random, truncated, bit-flipped and replayed copies of the session's own packets, the copies
// from side a's address and port) at side b's port. Per daemon: ping loss, the datagrams
// side b's kernel dropped for a full socket buffer (before the daemon saw them), the daemon's
// CPU seconds and RSS before/after, and fastd-ts's own drop counters.
//
// Run (root; Debian's fastd installed): npm run bench:flood [-- --count N --rate PPS --rounds R]
// Defaults: 1,000,000 datagrams at 200,000 a second, one round; daemons take turns.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchTunnel, TUNNEL_ADDRESSES, TUNNEL_PORT } from '../bench/bench-tunnel.js';
import type { DaemonKind } from '../bench/report.js';
import { missingPrerequisites, numberOption, progress, runAsScript } from '../bench/script.js';
import { pingTimes } from '../bench/traffic.js';
import { UNDERLAY_ADDRESSES, UNDERLAY_DEVICE } from '../testbed/namespaces.js';
import { DEFAULT_MIX } from './garbage-mix.js';
import { captureSessionPackets, type FloodFigures, GarbageFlood } from './garbage-flood.js';
import { dropGrowth, formatDrops } from './drop-counters.js';

const METHOD = 'salsa2012+umac';
const DEFAULTS = { count: 1_000_000, rate: 200_000, rounds: 1 };
/** Pings through the tunnel during the flood: 100 a second. */
const PING_INTERVAL_SECONDS = 0.01;
/** Pings while the seeds are captured: enough real packets to copy. */
const SEED_PINGS = 40;
/** Pings after the flood that must come back: the session survived. */
const AFTER_PINGS = 5;

export interface FloodRun {
  readonly daemon: DaemonKind;
  readonly flood: FloodFigures;
  readonly pingsSent: number;
  readonly pingsAnswered: number;
  /** The answered pings' round-trip times, avg and max, ms: how long the queue stood. */
  readonly pingMs: readonly [number, number];
  /** Side b's UDP RcvbufErrors during the flood: garbage and real packets the daemon never saw. */
  readonly kernelDrops: number;
  readonly cpuSeconds: number;
  readonly rssMiB: readonly [number, number];
  /** fastd-ts's `dropped` counters' growth during the flood (none for fastd). */
  readonly dropped?: Readonly<Record<string, number>>;
  /** fastd-ts's packet pools before and after, MiB. */
  readonly poolMiB?: readonly [number, number];
  /** Pings answered after the flood, of AFTER_PINGS. */
  readonly alive: number;
}

interface Status {
  readonly 'fastd-ts'?: {
    readonly dropped: Readonly<Record<string, number>>;
    readonly buffer_pool: { readonly bytes: number };
    readonly receive_pool: { readonly bytes: number };
  };
}

interface OwnCounters {
  readonly dropped: Record<string, number>;
  /** The workers' packet pools, MiB (what a flood grows: the pools give it back after 30 s idle). */
  readonly poolMiB: number;
}

async function ownCounters(tunnel: BenchTunnel): Promise<OwnCounters | undefined> {
  const own = ((await tunnel.daemons[1].status()) as Status)['fastd-ts'];
  return own && { dropped: { ...own.dropped }, poolMiB: (own.buffer_pool.bytes + own.receive_pool.bytes) / 2 ** 20 };
}

/** One flood of `count` datagrams at `rate` against a fresh lab with `daemon` on side b. */
export async function floodRun(daemon: DaemonKind, count: number, rate: number): Promise<FloodRun> {
  const tunnel = BenchTunnel.create({ id: `fastd-${daemon}`, kinds: ['fastd', daemon], method: METHOD });
  const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-flood-'));
  try {
    await tunnel.start();
    const [a, b] = tunnel.sides;
    const peer = { address: UNDERLAY_ADDRESSES[0], port: TUNNEL_PORT };
    const seeds = await captureSessionPackets(b, UNDERLAY_DEVICE, peer, TUNNEL_PORT, dir, () => tunnel.idleRtt(SEED_PINGS, 0.02));
    const target = { address: UNDERLAY_ADDRESSES[1], port: TUNNEL_PORT };
    const ownBefore = await ownCounters(tunnel);
    const kernelBefore = await b.udpReceiveBufferErrors();
    const cpuBefore = tunnel.daemons[1].cpuSeconds();
    const rssBefore = tunnel.daemons[1].rssMiB();
    const pings = Math.ceil(count / rate / PING_INTERVAL_SECONDS);
    const flood = GarbageFlood.start(a, target, rate, DEFAULT_MIX, { source: UNDERLAY_ADDRESSES[0], spoof: peer, seeds, count });
    const [figures, times] = await Promise.all([flood.finished, pingTimes(a, TUNNEL_ADDRESSES[1], pings, PING_INTERVAL_SECONDS)]);
    const cpuSeconds = tunnel.daemons[1].cpuSeconds() - cpuBefore;
    const kernelDrops = (await b.udpReceiveBufferErrors()) - kernelBefore;
    const rssAfter = tunnel.daemons[1].rssMiB();
    const ownAfter = await ownCounters(tunnel);
    const alive = (await pingTimes(a, TUNNEL_ADDRESSES[1], AFTER_PINGS, 0.2)).length;
    return {
      daemon,
      flood: figures,
      pingsSent: pings,
      pingsAnswered: times.length,
      pingMs: times.length === 0 ? [NaN, NaN] : [times.reduce((sum, t) => sum + t, 0) / times.length, Math.max(...times)],
      kernelDrops,
      cpuSeconds,
      rssMiB: [rssBefore, rssAfter],
      ...(ownBefore && ownAfter
        ? {
            dropped: dropGrowth(ownAfter.dropped, ownBefore.dropped)!,
            poolMiB: [ownBefore.poolMiB, ownAfter.poolMiB] as const,
          }
        : {}),
      alive,
    };
  } catch (error) {
    progress(tunnel.logs());
    throw error;
  } finally {
    await tunnel.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatRuns(runs: readonly FloodRun[]): string {
  const rows = runs.map((run) => {
    const loss = (100 * (run.pingsSent - run.pingsAnswered)) / run.pingsSent;
    // what reached the daemon: the flood and the pings (both ways), less what the kernel dropped
    const seen = run.flood.sent - run.kernelDrops;
    const pool = run.poolMiB ? ` (pools ${run.poolMiB[0].toFixed(1)} → ${run.poolMiB[1].toFixed(1)})` : '';
    return `| ${run.daemon} | ${run.flood.sent} at ${Math.round(run.flood.pps / 1000)} kpps | ${loss.toFixed(1)} % (${run.pingsSent - run.pingsAnswered}/${run.pingsSent}) | ${run.pingMs[0].toFixed(1)} / ${run.pingMs[1].toFixed(0)} | ${run.kernelDrops} | ${run.cpuSeconds.toFixed(2)} | ${((run.cpuSeconds / seen) * 1e6).toFixed(1)} | ${run.rssMiB[0].toFixed(1)} → ${run.rssMiB[1].toFixed(1)}${pool} | ${formatDrops(run.dropped)} | ${run.alive}/${AFTER_PINGS} |`;
  });
  return [
    '| side b | garbage sent | ping loss | ping avg / max ms | kernel drops | CPU s | CPU µs per datagram taken | RSS MiB | daemon drops | pings after |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const missing = missingPrerequisites(['ping', 'tcpdump']);
  if (missing.length > 0) {
    progress(`bench:flood needs: ${missing.join(', ')}`);
    return 2;
  }
  const count = numberOption(argv, '--count', DEFAULTS.count);
  const rate = numberOption(argv, '--rate', DEFAULTS.rate);
  const rounds = numberOption(argv, '--rounds', DEFAULTS.rounds);
  const runs: FloodRun[] = [];
  for (let round = 0; round < rounds; round++) {
    // alternate which daemon goes first, so drift of the shared machine spreads over both
    const order: DaemonKind[] = round % 2 === 0 ? ['fastd', 'fastd-ts'] : ['fastd-ts', 'fastd'];
    for (const daemon of order) {
      progress(`round ${round + 1}/${rounds}: ${count} garbage datagrams at ${rate}/s against ${daemon}`);
      const run = await floodRun(daemon, count, rate);
      runs.push(run);
      progress(formatRuns([run]).split('\n')[2]!);
    }
  }
  process.stdout.write(`${formatRuns(runs)}\n`);
  return 0;
}

runAsScript(import.meta.url, 'bench:flood', main);
