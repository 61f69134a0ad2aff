// The long run (`npm run soak`, root): a daemon under test as the supernode of Debian fastd
// peers in namespaces (the supernode bench's lab: 4 routers sharing an address, 2 probes of
// their own), put through the same cycle again and again for an hour (`--minutes N`):
//
//   traffic (an iperf3 burst from probe 0, pings from router 0 beside it) → floods (garbage at
//   a set rate, garbage-flood.ts: random, truncated, and router 0's packets bit-flipped and
//   replayed from its address; then spoofed inits, init-flood.ts) → a reload (SIGHUP; a peer file added, removed, broken, removed
//   in turn) → a reconnect (kill -9 of probe 1 and a new one, or every router restarted, in
//   turn) → every client connected again → its descriptors counted (a checkpoint)
//
// while a sampler reads the daemon's RSS, descriptors, io_uring rings, threads, buffer pools
// and connected peers every interval (soak-sampler.ts). Then the table over time, a verdict per
// series (soak-report.ts) and the checkpoints.
//
// fastd-ts and Debian fastd run at once, each in a lab of its own with its own cycle: both
// series then cover the whole run under the same machine load, where alternating halves would
// give each half the run and compare different half-hours of a shared machine; the labs cost
// nothing but namespaces and a few idle fastd processes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { until } from '../bench/bench-tunnel.js';
import type { BenchDaemon } from '../bench/daemon.js';
import { bulkPublicKeys } from '../bench/peer-keys.js';
import { type DaemonKind, median } from '../bench/report.js';
import { missingPrerequisites, progress, runAsScript } from '../bench/script.js';
import { FLOOD_SOURCES, MTU, SUPERNODE_ADDRESS, SUPERNODE_PORT, SUPERNODE_TAP_ADDRESS, SUPERNODE_UNDERLAY, SupernodeLab } from '../bench/supernode-lab.js';
import { iperf3, pingsDuringLoad, pingTimes } from '../bench/traffic.js';
import { type Endpoint, captureSessionPackets, GarbageFlood } from './garbage-flood.js';
import { DEFAULT_MIX } from './garbage-mix.js';
import { InitFlood, routeSpoofedSources, spoofedInit } from './init-flood.js';
import { connectedPeers, descriptors, readDaemon } from './soak-sampler.js';
import {
  type Checkpoint,
  formatCheckpoints,
  formatTimeTable,
  formatVerdicts,
  parseSoakOptions,
  type Sample,
  samplesCsv,
  type SeriesVerdict,
  type SoakOptions,
  USAGE,
  verdicts,
  warmupSeconds,
} from './soak-report.js';

const ROUTERS = 4;
const PROBES = 2;
const START_DEADLINE_MS = 30_000;
/** Longer than a fastd client's handshake retry (~20 s) after an init the supernode ignored, twice. */
const RECONNECT_DEADLINE_MS = 60_000;
const PING_INTERVAL_S = 0.2;
/** Pings from router 0 while its session's packets are captured as the garbage's seeds. */
const SEED_PINGS = 20;
const SEED_PING_INTERVAL_S = 0.05;
/**
 * The spoofed inits' sources: a /20 of the benchmarking range, local to the routers' namespace
 * and routed there from the supernode's, so the daemon's answers come back and are counted.
 */
const SPOOFED_RANGE = '198.18.128.0/20';
const FIRST_SPOOFED_SOURCE = '198.18.128.1';
const SPOOFED_SOURCES = 4_000;
/** After every client is back: the handshakes' hooks and the peer state file's rewrite are done. */
const SETTLE_MS = 2_000;
/** The peer files a reload adds or breaks, beside the clients' own. */
const EXTRA_PEER_FILE = 'soak-extra';
const BROKEN_PEER_FILE = 'soak-broken';

/** What one cycle of one lab did besides the checkpoint. */
export interface CycleRecord {
  readonly cycle: number;
  readonly mbit: number | undefined;
  readonly pingsSent: number;
  readonly pingsAnswered: number;
  /** The rate the garbage went out at, datagrams a second. */
  readonly garbagePps: number;
  /** Answers to the spoofed inits; undefined when the flooder failed (it is a tool, not the daemon under test). */
  readonly initsAnswered: number | undefined;
  /** From the reconnect until every client was connected again; undefined: not within the deadline. */
  readonly reconnectSeconds: number | undefined;
}

export interface SoakResult {
  readonly samples: readonly Sample[];
  readonly checkpoints: Partial<Record<DaemonKind, readonly Checkpoint[]>>;
  readonly cycles: Partial<Record<DaemonKind, readonly CycleRecord[]>>;
  /** Whether each daemon under test still ran at the end. */
  readonly survived: Partial<Record<DaemonKind, boolean>>;
  readonly verdicts: readonly SeriesVerdict[];
}

/** One daemon under test in its lab, and its cycle. */
class SoakLab {
  readonly checkpoints: Checkpoint[] = [];
  readonly cycles: CycleRecord[] = [];

  private constructor(
    readonly kind: DaemonKind,
    readonly lab: SupernodeLab,
    readonly supernode: BenchDaemon,
    private readonly dir: string,
    private readonly startedAt: number,
  ) {}

  /** Router 0's real packets, which the garbage floods copy (bit-flipped, replayed) from its address. */
  private seeds: readonly Uint8Array[] = [];

  static async start(kind: DaemonKind, startedAt: number): Promise<SoakLab> {
    const dir = mkdtempSync(join(tmpdir(), `fastd-ts-soak-${kind}-`));
    const lab = SupernodeLab.create(dir, { routers: ROUTERS, probes: PROBES, ownAddresses: false, name: kind === 'fastd' ? 'fastd' : 'ts' });
    const soak = new SoakLab(kind, lab, lab.supernode(kind, `supernode-${kind}`), dir, startedAt);
    try {
      await lab.startSupernode(soak.supernode, START_DEADLINE_MS);
      await lab.statusAnswers(soak.supernode, START_DEADLINE_MS);
      await lab.startClients();
      if ((await soak.clientsBack()) === undefined) throw new Error(`${kind}: not every client connected at the start\n${lab.logsOf([soak.supernode])}`);
      routeSpoofedSources(lab.routersNs, lab.supernodeNs, SPOOFED_RANGE, soak.routerZero().address);
      soak.seeds = await captureSessionPackets(lab.supernodeNs, SUPERNODE_UNDERLAY, soak.routerZero(), SUPERNODE_PORT, dir, () =>
        pingTimes(lab.routersNs, SUPERNODE_TAP_ADDRESS, SEED_PINGS, SEED_PING_INTERVAL_S),
      );
      await soak.checkpoint(0);
      return soak;
    } catch (error) {
      await soak.close();
      throw error;
    }
  }

  private routerZero(): Endpoint {
    const [address, port] = this.lab.routers.specs[0]!.bind.split(':');
    return { address: address!, port: Number(port) };
  }

  private say(text: string): void {
    progress(`${this.kind}: ${text}`);
  }

  private alive(): void {
    if (!this.supernode.running) throw new Error(`${this.kind} exited during the soak; log:\n${this.supernode.log().slice(-3000)}`);
  }

  /** Clients that list the supernode as connected, by their own status sockets (the supernode keeps a restarted client's old session a while). */
  private async clientsConnected(): Promise<number> {
    const probes = await Promise.all(
      this.lab.probes.map(async (probe) => {
        try {
          return connectedPeers(await probe.status()) > 0;
        } catch {
          return false;
        }
      }),
    );
    return (await this.lab.routers.connectedCount()) + probes.filter(Boolean).length;
  }

  /** Seconds until every client is connected; undefined after the deadline. */
  private async clientsBack(): Promise<number | undefined> {
    const begin = performance.now();
    try {
      await until('every client connected', RECONNECT_DEADLINE_MS, async () => {
        this.alive();
        return (await this.clientsConnected()) === this.lab.clientCount;
      });
      return (performance.now() - begin) / 1000;
    } catch (error) {
      this.alive();
      this.say((error as Error).message);
      return undefined;
    }
  }

  private async checkpoint(cycle: number): Promise<void> {
    await sleep(SETTLE_MS);
    this.alive();
    const { fds, rings } = await descriptors(this.supernode.pid);
    const peers = connectedPeers(await this.supernode.status());
    this.checkpoints.push({ cycle, seconds: (performance.now() - this.startedAt) / 1000, fds, rings, peers });
  }

  private async traffic(options: SoakOptions): Promise<Pick<CycleRecord, 'mbit' | 'pingsSent' | 'pingsAnswered'>> {
    const { lab } = this;
    const [run, pings] = await Promise.all([
      iperf3(lab.probeNs[0]!, lab.supernodeNs, SUPERNODE_TAP_ADDRESS, options.iperfSeconds).catch((error: Error) => {
        this.say(`iperf3: ${error.message.split('\n')[0]}`);
        return undefined;
      }),
      pingsDuringLoad(lab.routersNs, SUPERNODE_TAP_ADDRESS, options.iperfSeconds, PING_INTERVAL_S),
    ]);
    // a reply can come twice (DUP!): the routers' TAPs share a namespace, and a frame the supernode floods reaches each
    return { mbit: run?.mbitPerSecond, pingsSent: pings.sent, pingsAnswered: Math.min(pings.times.length, pings.sent) };
  }

  private async floods(options: SoakOptions): Promise<Pick<CycleRecord, 'garbagePps' | 'initsAnswered'>> {
    const { lab } = this;
    const target = { address: SUPERNODE_ADDRESS, port: SUPERNODE_PORT };
    const garbage = { source: FLOOD_SOURCES[0]!, spoof: this.routerZero(), seeds: this.seeds, count: options.garbageDatagrams };
    const { pps } = await GarbageFlood.start(lab.routersNs, target, options.garbageRate, DEFAULT_MIX, garbage).finished;
    const packets = lab.floodKeys.map((key) => spoofedInit(key, lab.supernodeKeys.public, MTU));
    const inits = InitFlood.start(lab.routersNs, { target, firstSource: FIRST_SPOOFED_SOURCE, sources: SPOOFED_SOURCES, packets, rate: options.initRate, seconds: options.initSeconds });
    const initsAnswered = await inits.finished.then(
      (figures) => figures.answered,
      (error: Error) => void this.say(`spoofed inits: ${error.message.split('\n')[0]}`),
    );
    return { garbagePps: pps, initsAnswered };
  }

  /** SIGHUP after one change of the peer directory, by the cycle: a file added, removed, broken, removed. */
  private reload(cycle: number): void {
    const file = (name: string) => join(this.lab.peerDir, name);
    switch (cycle % 4) {
      case 1:
        writeFileSync(file(EXTRA_PEER_FILE), `key "${bulkPublicKeys(1)[0]}";\n`);
        break;
      case 2:
        rmSync(file(EXTRA_PEER_FILE), { force: true });
        break;
      case 3:
        writeFileSync(file(BROKEN_PEER_FILE), 'key "not a key\n');
        break;
      default:
        rmSync(file(BROKEN_PEER_FILE), { force: true });
    }
    process.kill(this.supernode.pid, 'SIGHUP');
  }

  /** kill -9 of probe 1 and a new one, or every router restarted, by the cycle. */
  private async reconnect(cycle: number): Promise<void> {
    if (cycle % 2 === 1) {
      const probe = this.lab.probes[1]!;
      await probe.kill();
      probe.start();
    } else {
      await this.lab.routers.stop();
      await this.lab.routers.start();
    }
  }

  /** Cycles until `endAt` (performance.now()). */
  async run(options: SoakOptions, endAt: number): Promise<void> {
    for (let cycle = 1; performance.now() < endAt; cycle++) {
      const load = await this.traffic(options);
      const floods = await this.floods(options);
      this.reload(cycle);
      await this.reconnect(cycle);
      const reconnectSeconds = await this.clientsBack();
      await this.checkpoint(cycle);
      this.cycles.push({ cycle, ...load, ...floods, reconnectSeconds });
      const last = this.checkpoints.at(-1)!;
      this.say(
        `cycle ${cycle}: ${load.mbit?.toFixed(0) ?? '-'} Mbit/s, ${load.pingsAnswered}/${load.pingsSent} pings, ` +
          `garbage at ${(floods.garbagePps / 1000).toFixed(0)} kpps, back ${reconnectSeconds?.toFixed(1) ?? '-'} s, ${last.fds} fds, ${last.rings} rings, ${last.peers} peers`,
      );
    }
  }

  async close(): Promise<void> {
    await this.supernode.stop();
    await this.lab.stopClients();
    this.lab.delete();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Samples every lab each interval until `stopped()`; a daemon whose status does not answer misses that sample. */
async function sample(labs: readonly SoakLab[], options: SoakOptions, startedAt: number, stopped: () => boolean): Promise<Sample[]> {
  const samples: Sample[] = [];
  const firstAt = performance.now();
  for (let tick = 0; !stopped(); tick++) {
    const readings: Sample['readings'] = {};
    const seconds = (performance.now() - startedAt) / 1000;
    await Promise.all(
      labs.map(async (soak) => {
        if (!soak.supernode.running) return;
        try {
          readings[soak.kind] = await readDaemon(soak.supernode);
        } catch (error) {
          progress(`${soak.kind}: no sample at ${seconds.toFixed(0)} s: ${(error as Error).message}`);
        }
      }),
    );
    samples.push({ seconds, readings });
    const next = firstAt + (tick + 1) * options.intervalSeconds * 1000;
    while (!stopped() && performance.now() < next) await sleep(Math.min(200, next - performance.now()));
  }
  return samples;
}

/** Brings up a lab per daemon under test, cycles them for the run's minutes while sampling, and tears everything down. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const startedAt = performance.now();
  const labs: SoakLab[] = [];
  try {
    for (const kind of options.kinds) {
      progress(`${kind}: starting its lab (${ROUTERS} routers, ${PROBES} probes)`);
      labs.push(await SoakLab.start(kind, startedAt));
    }
    const endAt = performance.now() + options.minutes * 60_000;
    let done = false;
    const sampling = sample(labs, options, startedAt, () => done);
    const outcomes = await Promise.allSettled(labs.map((soak) => soak.run(options, endAt)));
    done = true;
    const samples = await sampling;
    // a daemon under test that died ends its lab's cycles and is reported; anything else failing is the soak's own failure
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'rejected' && labs[i]!.supernode.running) throw outcome.reason;
      if (outcome.status === 'rejected') progress((outcome.reason as Error).message);
    });
    const of = <T>(pick: (soak: SoakLab) => T) => Object.fromEntries(labs.map((soak) => [soak.kind, pick(soak)])) as Partial<Record<DaemonKind, T>>;
    return {
      samples,
      checkpoints: of((soak) => soak.checkpoints),
      cycles: of((soak) => soak.cycles),
      survived: of((soak) => soak.supernode.running),
      verdicts: verdicts(samples, options.kinds, warmupSeconds(options)),
    };
  } finally {
    for (const soak of labs) await soak.close();
  }
}

/** Per daemon: cycles, the bursts' median throughput, pings lost, reconnects that missed the deadline. */
function formatCycles(cycles: SoakResult['cycles']): string {
  return Object.entries(cycles)
    .map(([kind, list]) => {
      const mbit = median(list!.flatMap((c) => (c.mbit === undefined ? [] : [c.mbit])));
      const sent = list!.reduce((sum, c) => sum + c.pingsSent, 0);
      const lost = sent - list!.reduce((sum, c) => sum + c.pingsAnswered, 0);
      const back = list!.flatMap((c) => (c.reconnectSeconds === undefined ? [] : [c.reconnectSeconds]));
      const kpps = median(list!.map((c) => c.garbagePps)) / 1000;
      return `${kind}: ${list!.length} cycles, iperf3 median ${mbit.toFixed(0)} Mbit/s, ${lost} of ${sent} pings lost, garbage at median ${kpps.toFixed(0)} kpps, clients back in median ${median(back).toFixed(1)} s (${list!.length - back.length} not within ${RECONNECT_DEADLINE_MS / 1000} s)`;
    })
    .join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const options = parseSoakOptions(argv);
  if (typeof options === 'string') {
    progress(`${options}\n${USAGE}`);
    return 2;
  }
  const missing = missingPrerequisites(['iperf3', 'ping']);
  if (missing.length > 0) {
    progress(`the soak needs: ${missing.join('; ')}`);
    return 1;
  }
  const result = await runSoak(options);
  const survived = Object.entries(result.survived).map(([kind, alive]) => `${kind} ${alive ? 'survived' : 'DIED'}`);
  process.stdout.write(
    `\n${formatTimeTable(result.samples, options.kinds)}\n\n${formatVerdicts(result.verdicts)}\n` +
      `(judged after a warm-up of ${(warmupSeconds(options) / 60).toFixed(1)} min: the last third's median against the first third's)\n\n` +
      `${formatCheckpoints(result.checkpoints)}\n${formatCycles(result.cycles)}\n${survived.join(', ')}\n` +
      `\n${options.minutes} min, a sample every ${options.intervalSeconds} s, ${ROUTERS} routers + ${PROBES} probes per daemon, both labs at once\n`,
  );
  if (options.out !== undefined) {
    writeFileSync(`${options.out}.csv`, samplesCsv(result.samples));
    writeFileSync(`${options.out}.json`, `${JSON.stringify({ options, ...result }, null, 2)}\n`);
    progress(`samples written to ${options.out}.csv and ${options.out}.json`);
  }
  return Object.values(result.survived).every(Boolean) ? 0 : 1;
}

runAsScript(import.meta.url, 'soak', main);
