// Issue 15's handshake-flood measurement, Debian fastd and fastd-ts side by side in one run: a
// two-host lab (bench-tunnel.ts) with a Debian fastd peer on side a and the daemon under test
// on side b, which also knows FLOOD_KEYS peers that never connect and one newcomer per flood.
// Per daemon: iperf3 a → b through the established session without a flood (after a short
// warm-up; one run before the floods and one after, averaged against drift), then per flood
// shape (spoofed inits claiming the never-connecting peers' keys, at RATE a second, from FEW or
// MANY addresses of SPOOFED_RANGE on side a, init-flood.ts): iperf3 again during the flood,
// the daemon's CPU over it, and a newcomer (Debian fastd on side a with a key of its own and a
// `remote` for side b) started during the flood: seconds until side b's status lists it
// connected (giving up after NEWCOMER_DEADLINE_MS); what the flood sent and got answered, the
// datagrams side b's kernel dropped for a full socket buffer, and fastd-ts's drop counters.
// With `control` (the script's default), each shape is also sent, before the daemon gets it,
// to a port of side b where a socket is bound and never read (udp-sink.ts), with iperf3
// through the daemon meanwhile: the throughput kept then is what the flooder and the kernel's
// receive cost the box, so what the daemon's own flood loses more than that is its own.
//
// Run (root; Debian's fastd and iperf3 installed): npm run bench:init-flood [-- --rate R --seconds S --rounds N --no-control]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchTunnel, TUNNEL_MTU, TUNNEL_PORT } from '../bench/bench-tunnel.js';
import { BenchDaemon, generateKeyPair, type KeyPair } from '../bench/daemon.js';
import type { DaemonKind } from '../bench/report.js';
import { missingPrerequisites, numberOption, progress, runAsScript } from '../bench/script.js';
import { UNDERLAY_ADDRESSES } from '../testbed/namespaces.js';
import { InitFlood, type InitFloodFigures, routeSpoofedSources, spoofedInit } from './init-flood.js';
import { dropGrowth, dropSum, formatDrops } from './drop-counters.js';
import { SenderProcess } from './sender-process.js';
import type { SinkFigures } from './udp-sink.js';

const METHOD = 'salsa2012+umac';
/** Peers side b knows that never connect: the keys the flood claims. */
const FLOOD_KEYS = 4;
/** Spoofed sources: a /17 of the benchmarking range (RFC 2544), local to side a. */
const SPOOFED_RANGE = '198.18.128.0/17';
const FIRST_SOURCE = '198.18.128.1';
export const FLOOD_SHAPES = [
  { name: 'few', sources: 8 },
  { name: 'many', sources: 32_000 },
] as const;
export type FloodShape = (typeof FLOOD_SHAPES)[number];
const DEFAULTS = { rate: 10_000, seconds: 5, rounds: 1 };
/** The goal: a newcomer connects within 5 s; it is watched a while longer to say when it did. */
export const NEWCOMER_DEADLINE_MS = 12_000;
const NEWCOMER_POLL_MS = 100;
/** The flood runs this long before the newcomer starts and the iperf3 run begins. */
const FLOOD_LEAD_MS = 1_000;
/** Between floods: answers drain, the daemon settles. */
const SETTLE_MS = 2_000;
const NEWCOMER_PORT = TUNNEL_PORT + 1;
/** Side b's port where the control's socket is bound and never read. */
const SINK_PORT = TUNNEL_PORT + 2;
/** The built sink (node runs it as is), whether this module runs from dist/ or, in a test, from src/. */
const SINK = fileURLToPath(new URL('../../dist/chaos/udp-sink.js', import.meta.url));
const WARM_UP_SECONDS = 2;

export interface ShapeRun {
  readonly shape: FloodShape['name'];
  readonly flood: InitFloodFigures;
  readonly mbit: number;
  readonly cpuSeconds: number;
  /** Seconds from the newcomer's start until side b listed it connected; null: not within NEWCOMER_DEADLINE_MS. */
  readonly newcomerSeconds: number | null;
  /** Side b's UDP RcvbufErrors meanwhile: datagrams (inits or the session's) the daemon never saw. */
  readonly kernelDrops: number;
  /** fastd-ts's `dropped` counters' growth during the flood (none for fastd). */
  readonly dropped?: Readonly<Record<string, number>>;
  /** The same flood at a socket of side b that nobody reads, iperf3 through the daemon meanwhile (the control). */
  readonly control?: ControlRun;
}

/** The control: what iperf3 through the daemon kept while the flood went to an unread port of its host. */
export interface ControlRun {
  readonly flood: InitFloodFigures;
  readonly mbit: number;
  /** The daemon's CPU meanwhile, in cores. */
  readonly cpuSeconds: number;
  readonly kernelDrops: number;
  /** fastd-ts's `dropped` counters' growth meanwhile (none for fastd): what the session lost without the flood at the daemon. */
  readonly dropped?: Readonly<Record<string, number>>;
}

export interface DaemonRun {
  readonly daemon: DaemonKind;
  /** iperf3 a → b without a flood (the mean of a run before the floods and one after), and the daemon's CPU over them, in cores. */
  readonly mbit: number;
  readonly cpuSeconds: number;
  /** fastd-ts's `dropped` counters' growth over both runs without a flood (none for fastd). */
  readonly dropped?: Readonly<Record<string, number>>;
  readonly shapes: readonly ShapeRun[];
}

interface Status {
  readonly peers?: Readonly<Record<string, { readonly connection?: unknown }>>;
  readonly 'fastd-ts'?: { readonly dropped: Readonly<Record<string, number>> };
}

async function droppedCounters(daemon: BenchDaemon): Promise<Record<string, number> | undefined> {
  const status = (await daemon.status()) as Status;
  return status['fastd-ts'] ? { ...status['fastd-ts'].dropped } : undefined;
}

/** Polls side b's status until it lists `key` with a connection; seconds since `since`, or null at the deadline. */
async function connectedAfter(daemon: BenchDaemon, key: string, since: number): Promise<number | null> {
  while (performance.now() - since < NEWCOMER_DEADLINE_MS) {
    const status = (await daemon.status()) as Status;
    if (status.peers?.[key]?.connection) return (performance.now() - since) / 1000;
    await sleep(NEWCOMER_POLL_MS);
  }
  return null;
}

/** The control: the flood of `shape` at side b's unread socket, iperf3 through the daemon during it. */
async function controlFlood(tunnel: BenchTunnel, shape: FloodShape, rate: number, seconds: number, packets: readonly Uint8Array[]): Promise<ControlRun> {
  const [a, b] = tunnel.sides;
  const daemon = tunnel.daemons[1];
  const droppedBefore = await droppedCounters(daemon);
  const kernelBefore = await b.udpReceiveBufferErrors();
  const flood = InitFlood.start(a, { target: { address: UNDERLAY_ADDRESSES[1], port: SINK_PORT }, firstSource: FIRST_SOURCE, sources: shape.sources, packets, rate });
  try {
    await sleep(FLOOD_LEAD_MS);
    const cpuBefore = daemon.cpuSeconds();
    const since = performance.now();
    const run = await tunnel.throughput(seconds, 0.2);
    const cpuSeconds = (daemon.cpuSeconds() - cpuBefore) / ((performance.now() - since) / 1000);
    const figures = await flood.stop();
    const dropped = dropGrowth(await droppedCounters(daemon), droppedBefore);
    const kernelDrops = (await b.udpReceiveBufferErrors()) - kernelBefore;
    return { flood: figures, mbit: run.mbit, cpuSeconds, kernelDrops, ...(dropped ? { dropped } : {}) };
  } finally {
    await flood.stop().catch(() => undefined);
  }
}

/** One flood of `shape` at `rate` for the lab's daemon on side b: iperf3 during it, and a newcomer started in it. */
async function floodShape(tunnel: BenchTunnel, shape: FloodShape, rate: number, seconds: number, packets: readonly Uint8Array[], newcomer: KeyPair, dir: string): Promise<ShapeRun> {
  const [a] = tunnel.sides;
  const daemon = tunnel.daemons[1];
  const droppedBefore = await droppedCounters(daemon);
  const kernelBefore = await tunnel.sides[1].udpReceiveBufferErrors();
  const flood = InitFlood.start(a, { target: { address: UNDERLAY_ADDRESSES[1], port: TUNNEL_PORT }, firstSource: FIRST_SOURCE, sources: shape.sources, packets, rate });
  const joining = new BenchDaemon(
    a,
    {
      kind: 'fastd',
      method: METHOD,
      mtu: TUNNEL_MTU,
      interfaceName: `new-${shape.name}`,
      bind: `${UNDERLAY_ADDRESSES[0]}:${NEWCOMER_PORT}`,
      keys: newcomer,
      peerKey: daemon.spec.keys.public,
      remote: `${UNDERLAY_ADDRESSES[1]}:${TUNNEL_PORT}`,
    },
    dir,
    `newcomer-${shape.name}`,
  );
  try {
    await sleep(FLOOD_LEAD_MS);
    const cpuBefore = daemon.cpuSeconds();
    const since = performance.now();
    joining.start();
    const [run, newcomerSeconds] = await Promise.all([tunnel.throughput(seconds, 0.2), connectedAfter(daemon, newcomer.public, since)]);
    const cpuSeconds = daemon.cpuSeconds() - cpuBefore;
    const figures = await flood.stop();
    const dropped = dropGrowth(await droppedCounters(daemon), droppedBefore);
    const kernelDrops = (await tunnel.sides[1].udpReceiveBufferErrors()) - kernelBefore;
    return { shape: shape.name, flood: figures, mbit: run.mbit, cpuSeconds: cpuSeconds / ((performance.now() - since) / 1000), newcomerSeconds, kernelDrops, ...(dropped ? { dropped } : {}) };
  } finally {
    await flood.stop().catch(() => undefined);
    await joining.stop();
  }
}

/** A fresh lab with `daemon` on side b: the baseline, then each shape in turn (with `control`: first at an unread port, then at the daemon). */
export async function initFloodRun(daemon: DaemonKind, shapes: readonly FloodShape[], rate: number, seconds: number, control = false): Promise<DaemonRun> {
  const floodKeys = Array.from({ length: FLOOD_KEYS }, generateKeyPair);
  const newcomers = shapes.map(() => generateKeyPair());
  const tunnel = BenchTunnel.create({ id: `fastd-${daemon}`, kinds: ['fastd', daemon], method: METHOD }, [...floodKeys, ...newcomers].map((key) => key.public));
  const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-init-flood-'));
  let sink: SenderProcess<SinkFigures> | undefined;
  try {
    await tunnel.start();
    const [a, b] = tunnel.sides;
    if (control) sink = SenderProcess.start<SinkFigures>(b, SINK, { address: UNDERLAY_ADDRESSES[1], port: SINK_PORT }, 'the unread socket');
    routeSpoofedSources(a, b, SPOOFED_RANGE, UNDERLAY_ADDRESSES[0]);
    const packets = floodKeys.map((key) => spoofedInit(key, tunnel.daemons[1].spec.keys.public, TUNNEL_MTU));
    // a short run first: fastd-ts's first packets run unoptimized code
    await tunnel.throughput(WARM_UP_SECONDS, 0.2);
    const baseline = async (): Promise<{ mbit: number; cores: number; dropped: Record<string, number> | undefined }> => {
      const droppedBefore = await droppedCounters(tunnel.daemons[1]);
      const cpuBefore = tunnel.daemons[1].cpuSeconds();
      const started = performance.now();
      const run = await tunnel.throughput(seconds, 0.2);
      const cores = (tunnel.daemons[1].cpuSeconds() - cpuBefore) / ((performance.now() - started) / 1000);
      return { mbit: run.mbit, cores, dropped: dropGrowth(await droppedCounters(tunnel.daemons[1]), droppedBefore) };
    };
    const before = await baseline();
    const runs: ShapeRun[] = [];
    for (const [i, shape] of shapes.entries()) {
      let controlRun: ControlRun | undefined;
      if (control) {
        await sleep(SETTLE_MS);
        controlRun = await controlFlood(tunnel, shape, rate, seconds, packets);
      }
      await sleep(SETTLE_MS);
      const run = await floodShape(tunnel, shape, rate, seconds, packets, newcomers[i]!, dir);
      runs.push(controlRun ? { ...run, control: controlRun } : run);
    }
    await sleep(SETTLE_MS);
    const after = await baseline();
    const dropped = dropSum(before.dropped, after.dropped);
    return { daemon, mbit: (before.mbit + after.mbit) / 2, cpuSeconds: (before.cores + after.cores) / 2, ...(dropped ? { dropped } : {}), shapes: runs };
  } catch (error) {
    progress(tunnel.logs());
    throw error;
  } finally {
    await sink?.stop();
    await tunnel.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function kept(mbit: number, of: number): string {
  return `${((100 * mbit) / of).toFixed(0)} %`;
}

/**
 * Per flood shape and lab, the share of its no-flood throughput each daemon kept: with the
 * flood at it, and with the same flood at the unread port (the control); one cell per round.
 */
export function formatKept(runs: readonly DaemonRun[]): string {
  const daemons = [...new Set(runs.map((run) => run.daemon))];
  const rows = FLOOD_SHAPES.flatMap((shape) =>
    daemons.flatMap((daemon) => {
      const mine = runs.filter((run) => run.daemon === daemon).flatMap((run) => run.shapes.filter((s) => s.shape === shape.name).map((s) => ({ run, s })));
      if (mine.length === 0) return [];
      const flooded = mine.map(({ run, s }) => kept(s.mbit, run.mbit)).join(', ');
      const control = mine.map(({ run, s }) => (s.control ? kept(s.control.mbit, run.mbit) : '-')).join(', ');
      return [`| ${shape.name} (${shape.sources} addresses) | ${daemon} | ${flooded} | ${control} |`];
    }),
  );
  return ['| flood | side b | kept, flood at the daemon | kept, flood at an unread port (control) |', '|---|---|---|---|', ...rows].join('\n');
}

export function formatRuns(runs: readonly DaemonRun[]): string {
  const rows = runs.flatMap((run) => [
    `| ${run.daemon} | none (before and after) | - | ${run.mbit.toFixed(0)} | 100 % | ${run.cpuSeconds.toFixed(2)} | - | - | ${formatDrops(run.dropped)} |`,
    ...run.shapes.flatMap((shape) => {
      const newcomer = shape.newcomerSeconds === null ? `not in ${NEWCOMER_DEADLINE_MS / 1000} s` : `${shape.newcomerSeconds.toFixed(1)} s`;
      const sources = FLOOD_SHAPES.find((s) => s.name === shape.shape)!.sources;
      const control = shape.control;
      return [
        ...(control
          ? [`| ${run.daemon} | control: ${shape.shape} (${sources} addresses) at an unread port | ${Math.round(control.flood.pps)}/s, ${control.flood.sent} sent | ${control.mbit.toFixed(0)} | ${kept(control.mbit, run.mbit)} | ${control.cpuSeconds.toFixed(2)} | - | ${control.kernelDrops} | ${formatDrops(control.dropped)} |`]
          : []),
        `| ${run.daemon} | ${shape.shape} (${sources} addresses) | ${Math.round(shape.flood.pps)}/s, ${shape.flood.sent} sent, ${shape.flood.answered} answered (${shape.flood.answeringSources} sources) | ${shape.mbit.toFixed(0)} | ${kept(shape.mbit, run.mbit)} | ${shape.cpuSeconds.toFixed(2)} | ${newcomer} | ${shape.kernelDrops} | ${formatDrops(shape.dropped)} |`,
      ];
    }),
  ]);
  return [
    '| side b | flood | inits | iperf3 Mbit/s | of no flood | CPU (cores) | newcomer connected | kernel drops | fastd-ts drops |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const missing = missingPrerequisites(['iperf3']);
  if (missing.length > 0) {
    progress(`bench:init-flood needs: ${missing.join(', ')}`);
    return 2;
  }
  const rate = numberOption(argv, '--rate', DEFAULTS.rate);
  const seconds = numberOption(argv, '--seconds', DEFAULTS.seconds);
  const rounds = numberOption(argv, '--rounds', DEFAULTS.rounds);
  const control = !argv.includes('--no-control');
  const runs: DaemonRun[] = [];
  for (let round = 0; round < rounds; round++) {
    // alternate which daemon goes first, so drift of the shared machine spreads over both
    const order: DaemonKind[] = round % 2 === 0 ? ['fastd', 'fastd-ts'] : ['fastd-ts', 'fastd'];
    for (const daemon of order) {
      progress(`round ${round + 1}/${rounds}: ${rate} spoofed inits/s against ${daemon}`);
      const run = await initFloodRun(daemon, FLOOD_SHAPES, rate, seconds, control);
      runs.push(run);
      progress(formatRuns([run]));
    }
  }
  process.stdout.write(`${formatRuns(runs)}\n\n${formatKept(runs)}\n`);
  return 0;
}

runAsScript(import.meta.url, 'bench:init-flood', main);
