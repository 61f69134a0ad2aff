// The supernode workload bench (issue 13): one supernode, N Debian fastd routers (default
// 200) sharing one public address (or an address each) and K probe routers (default 4), all
// in namespaces on this machine (supernode-lab.ts draws them). Debian's fastd and fastd-ts
// take turns as the supernode on the same routers, keys and namespaces, in alternating order
// over the rounds. Per turn:
//  1. cold start: the supernode is exec'd; once its status socket answers (its port is bound)
//     every router starts at once, as after an outage (one shell starts them: router-fleet.ts);
//     seconds from the exec until its status socket lists all N+K connected, and how much of
//     that went on starting the routers; datagrams dropped at its full socket buffer meanwhile;
//     its CPU time until then (start-up included), per handshake it answered;
//  2. idle ping, 5 a second from router 0 (its TAP is addressed) to the supernode's TAP,
//     captured on the supernode's veth and TAP: the median time from a ping's datagram in to
//     its request on the TAP, the kernel's answer, and from the reply to its datagram out;
//  3. K iperf3 TCP flows at once, each from a probe to an iperf3 server in the supernode's
//     namespace on its TAP address (so every byte is opened or sealed by the supernode), with
//     router 0 pinging the same address meanwhile (each ping split at the supernode as in 2:
//     medians and 90th percentiles); the supernode's CPU time (/proc) over the
//     bytes the servers received, the TCP retransmits, the drops at its socket and (fastd-ts)
//     the data its CoDel dropped for queueing too long. The same flows run --warm-up seconds
//     (3) just before, unmeasured: fastd-ts's V8 compiles the bulk path (many-segment batches,
//     TCP coalescing) in the first seconds of its first flows, about a fifth of a cold 10 s
//     flow's CPU, once in a daemon's life; a supernode carries flows for days;
//  4. its RSS, and its CPU time over 20 idle seconds;
//     then the status socket: 20 fetches of the whole document one after another, each timed
//     from connect to the end of its JSON (median, max), and pings from router 0 every 50 ms
//     while the document is fetched back to back (forwarding must not stall meanwhile);
//     the same for fastd-ts's Prometheus endpoint (--metrics-listen), scraped from its namespace
//     (each timed to the last byte of the body; the very first, the daemon's first with the
//     routers connected, with its main thread's CPU, and apart), 20 scrapes more asking for gzip
//     as Prometheus does, and 8 gzipped ones 5 s apart, as Prometheus's every 15-60 s find it
//     between two;
//  5. spoofed handshake inits for 20 s: 40 addresses of the routers' namespace, each sending
//     one init a second for each of 4 keys the supernode knows (peers that never connect);
//     its CPU time, and how many inits were answered (per CPU-second: the responder's cost);
//  6. kill -9 and start again: seconds until all routers are back, and how many are back 5 s
//     after the exec; its CPU time per handshake until then (fastd-ts greets the routers it
//     remembers, the initiator's cost; fastd answers their inits); with --extra-keys, once
//     more with that many more keys in the directory; fastd-ts's first scrape after it, gzipped,
//     5 s after its routers are back;
//  7. connect storm, once every session is older than 15 s: every router restarts at once (the
//     supernode still holds their sessions) while probe 0, which stays connected, pings through
//     the supernode for 15 s: seconds until every router has a new session, the CPU time per
//     handshake meanwhile, and the pings.
// Routers and probes are restarted for each turn, so each cold start finds them without a session.
//
// Run (root; Debian's fastd, iperf3, ping): npm run bench:supernode [-- --quick] (see USAGE)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { spoofedInit } from '../chaos/init-flood.js';
import { MIN_HANDSHAKE_INTERVAL } from '../protocol/timing.js';
import { until } from './bench-tunnel.js';
import type { BenchDaemon } from './daemon.js';
import { type DaemonKind, median, percentile, roundOrder, summarizePings } from './report.js';
import { missingPrerequisites, progress, runAsScript } from './script.js';
import { Capture } from './rtt-capture.js';
import { parseCapture, supernodeRounds } from './rtt-hops.js';
import { FLOOD_SOURCES, MTU, SUPERNODE_ADDRESS, SUPERNODE_PORT, SUPERNODE_TAP, SUPERNODE_TAP_ADDRESS, SUPERNODE_UNDERLAY, SupernodeLab } from './supernode-lab.js';
import {
  cpuPerGigabyte,
  formatSupernodeTable,
  type HopSplit,
  parseSupernodeOptions,
  type RestartFigures,
  METRICS_SPACING_S,
  SPACED_SCRAPES,
  STATUS_FETCHES,
  type SupernodeOptions,
  type TurnFigures,
  USAGE,
} from './supernode-report.js';
import { answers, IPERF_PORT, iperf3, pingsDuringLoad, pingTimes } from './traffic.js';

/** The interop tests' spoofed-handshake sender, run in the routers' namespace. */
const FLOOD_SENDER = fileURLToPath(new URL('../../test/interop/harness/handshake-flood.mjs', import.meta.url));
/** The built scraper (node runs it as is), whether this module runs from dist/ or, in the e2e test, from src/. */
const METRICS_SCRAPER = fileURLToPath(new URL('../../dist/bench/metrics-scrape.js', import.meta.url));
/** fastd-ts's Prometheus endpoint, on the supernode namespace's loopback (fastd has none). */
const METRICS_LISTEN = '127.0.0.1:9281';
export const START_DEADLINE_MS = 30_000;
/**
 * Seconds a (re)start may take until all routers are connected: longer than fastd's clients
 * take to retry a lost handshake (~20 s) several times, and with 1,000 routers long enough for
 * Debian fastd, which establishes them in turn at a few a second on this machine.
 */
export function connectDeadlineSeconds(routers: number): number {
  return Math.max(120, Math.ceil(routers * 0.3));
}
const POLL_MS = 200;
const BACK_AFTER_MS = 5_000;
const PING_INTERVAL_S = 0.2;
const IDLE_PINGS = 25;
const FLOOD_SLACK_MS = 30_000;
const STATUS_PINGS = 100;
const STATUS_PING_INTERVAL_S = 0.05;
/** The connected probe's pings from the routers' restart on: longer than 200 routers take to start and connect. */
const STORM_PING_SECONDS = 15;
/** fastd's MIN_HANDSHAKE_INTERVAL, and a second more. */
const QUIET_PERIOD_MS = MIN_HANDSHAKE_INTERVAL + 1_000;

/**
 * Polls the supernode (exec'd at `execAt`, performance.now()) until it lists every client as
 * connected or the deadline passes; notes how many were connected 5 s after the exec.
 */
export async function reconnection(lab: SupernodeLab, supernode: BenchDaemon, execAt: number, startCpuSeconds: number): Promise<RestartFigures> {
  const all = lab.clientCount;
  const deadlineS = connectDeadlineSeconds(lab.routers.specs.length);
  let backAfter5s: number | undefined;
  for (;;) {
    const connected = await lab.connected(supernode);
    const elapsed = performance.now() - execAt;
    // a new process: its CPU time so far is all since the exec
    const cpuSeconds = supernode.cpuSeconds();
    if (connected >= all) return { allBackSeconds: elapsed / 1000, backAfter5s: backAfter5s ?? all, backAtEnd: connected, cpuSeconds, startCpuSeconds };
    if (elapsed >= BACK_AFTER_MS) backAfter5s ??= connected;
    if (elapsed > deadlineS * 1000) return { allBackSeconds: undefined, backAfter5s: backAfter5s ?? connected, backAtEnd: connected, cpuSeconds, startCpuSeconds };
    if (!supernode.running) throw new Error(`${supernode.label} exited; log:\n${supernode.log().slice(-3000)}`);
    await sleep(POLL_MS);
  }
}

/**
 * A connect storm beside a connected peer: every router restarts at once (the supernode still
 * holds their sessions; each sends an init from its old address and gets a new session) while
 * probe 0, which stays connected, pings through the supernode.
 */
export async function storm(lab: SupernodeLab, supernode: BenchDaemon): Promise<TurnFigures['storm']> {
  // a supernode ignores a peer's handshakes for 15 s after its session began (fastd's
  // MIN_HANDSHAKE_INTERVAL): the restart's sessions must be older than that
  await sleep(QUIET_PERIOD_MS);
  await lab.routers.stop();
  const routers = lab.routers.specs.length;
  const pings = Math.round(STORM_PING_SECONDS / PING_INTERVAL_S);
  const pinged = pingTimes(lab.probeNs[0]!, SUPERNODE_TAP_ADDRESS, pings, PING_INTERVAL_S);
  const before = supernode.cpuSeconds();
  const startedAt = performance.now();
  await lab.routers.start();
  let renewed = 0;
  let seconds: number | undefined;
  for (;;) {
    const elapsed = performance.now() - startedAt;
    // fastd's status keeps a peer's first `established` through later handshakes: ask the new routers
    renewed = await lab.routers.connectedCount();
    if (renewed >= routers) {
      seconds = elapsed / 1000;
      break;
    }
    if (elapsed > connectDeadlineSeconds(routers) * 1000) break;
    await sleep(POLL_MS);
  }
  const cpuSeconds = supernode.cpuSeconds() - before;
  return { seconds, renewed, cpuSeconds, ping: summarizePings(await pinged, pings) };
}

/** kill -9, then the same supernode started again at once. */
export async function restart(lab: SupernodeLab, supernode: BenchDaemon): Promise<RestartFigures> {
  await supernode.kill();
  const execAt = performance.now();
  await lab.startSupernode(supernode, START_DEADLINE_MS);
  return reconnection(lab, supernode, execAt, supernode.cpuSeconds());
}

interface FloodCounts {
  readonly sentPackets: number;
  readonly answeredPackets: number;
}

/**
 * `freshKeys`: each source claims each key with a handshake key of its own. fastd and fastd-ts
 * keep σ for one handshake key per peer, so a key sent again hits it and the answer costs no key
 * agreement; with 40 keys per peer in turn every answer does, as a real router's init does.
 */
export async function flood(lab: SupernodeLab, supernode: BenchDaemon, seconds: number, freshKeys = false): Promise<TurnFigures['flood']> {
  const inits = () => lab.floodKeys.map((key) => Buffer.from(spoofedInit(key, lab.supernodeKeys.public, MTU)).toString('hex'));
  const packets = freshKeys ? { packetsBySource: FLOOD_SOURCES.map(inits) } : { packets: inits() };
  const job = { target: SUPERNODE_ADDRESS, port: SUPERNODE_PORT, sources: FLOOD_SOURCES, ...packets, rounds: seconds, intervalMs: 1_000 };
  const before = supernode.cpuSeconds();
  const result = await lab.routersNs.run(process.execPath, [FLOOD_SENDER, JSON.stringify(job)], seconds * 1000 + FLOOD_SLACK_MS);
  const cpuSeconds = supernode.cpuSeconds() - before;
  if (result.code !== 0) throw new Error(`the handshake flood failed: ${result.stderr}`);
  const counts = JSON.parse(result.stdout) as FloodCounts;
  return { cpuSeconds, sent: counts.sentPackets, answered: counts.answeredPackets };
}

/** Data fastd-ts's CoDel dropped so far (its status socket's `dropped.queue`); 0 for fastd, which has no such queue rule. */
async function queueDrops(supernode: BenchDaemon): Promise<number> {
  const status = (await supernode.status()) as { 'fastd-ts'?: { dropped: { queue: number } } };
  return status['fastd-ts']?.dropped.queue ?? 0;
}

/**
 * fastd-ts's Prometheus scrapes timed like the status fetches, plain and gzipped (as Prometheus
 * asks), gzipped ones spaced out, then pings while plain scrapes (the most bytes) run back to
 * back. `say` gets the very first scrape's time and its main thread's CPU (the code's first run with the routers).
 */
async function metricsScrapes(
  lab: SupernodeLab,
  supernode: BenchDaemon,
  say: (text: string) => void,
): Promise<Pick<TurnFigures, 'metricsScrape' | 'metricsScrapeGzip' | 'metricsScrapeSpaced' | 'metricsPing' | 'metricsFirst'>> {
  const scrape = async (mode: string, amount: number, options: string[] = []) => (await scrapeMetrics(lab, mode, amount, options)).times;
  const summary = (times: number[]) => ({ medianMs: median(times), maxMs: Math.max(...times) });
  const first = await firstScrape(lab, supernode, []);
  say(`first metrics scrape ${first.ms.toFixed(1)} ms, its main thread ${first.mainCpuMs.toFixed(1)} ms of CPU`);
  // the main thread's CPU per scrape of each batch, beside the first's
  const batch = async (options: string[]) => {
    const { times, cpuMs } = await scrapeMetrics(lab, 'count', STATUS_FETCHES, [...options, 'cpu', String(supernode.pid)]);
    return { times, mainCpuMs: cpuMs!.reduce((sum, ms) => sum + ms, 0) / times.length };
  };
  const plain = await batch([]);
  const gzipped = await batch(['gzip']);
  say(`main thread CPU per scrape: ${plain.mainCpuMs.toFixed(1)} ms plain, ${gzipped.mainCpuMs.toFixed(1)} ms gzipped (mean of ${STATUS_FETCHES})`);
  const spaced = await scrape('count', SPACED_SCRAPES, ['gzip', 'spaced', String(METRICS_SPACING_S * 1000)]);
  const scraping = scrape('seconds', STATUS_PINGS * STATUS_PING_INTERVAL_S + 1);
  const pings = await pingTimes(lab.routersNs, SUPERNODE_TAP_ADDRESS, STATUS_PINGS, STATUS_PING_INTERVAL_S);
  await scraping;
  return { metricsScrape: summary(plain.times), metricsScrapeGzip: summary(gzipped.times), metricsScrapeSpaced: summary(spaced), metricsPing: summarizePings(pings, STATUS_PINGS), metricsFirst: first };
}

/** One scrape timed, and the CPU the daemon's main thread (its control plane) spent meanwhile (read by the scraper around it, not around its warm-up). */
async function firstScrape(lab: SupernodeLab, supernode: BenchDaemon, options: readonly string[]): Promise<{ ms: number; mainCpuMs: number }> {
  const { times, cpuMs } = await scrapeMetrics(lab, 'count', 1, [...options, 'cpu', String(supernode.pid)]);
  return { ms: times[0]!, mainCpuMs: cpuMs![0]! };
}

/** Runs the scraper in the supernode's namespace (metrics-scrape.ts): each scrape's ms, and with `cpu PID` the daemon's main-thread CPU ms over each. */
async function scrapeMetrics(lab: SupernodeLab, mode: string, amount: number, options: readonly string[]): Promise<{ times: number[]; cpuMs?: number[] }> {
  const result = await lab.supernodeNs.run(process.execPath, [METRICS_SCRAPER, `http://${METRICS_LISTEN}/metrics`, mode, String(amount), ...options]);
  if (result.code !== 0) throw new Error(`the metrics scrapes failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as { times: number[]; cpuMs?: number[] };
}

/** Status fetches timed one after another, then pings while fetches run back to back. */
async function statusFetches(lab: SupernodeLab, supernode: BenchDaemon): Promise<Pick<TurnFigures, 'statusFetch' | 'statusPing'>> {
  const times: number[] = [];
  for (let i = 0; i < STATUS_FETCHES; i++) {
    const start = performance.now();
    await supernode.statusText();
    times.push(performance.now() - start);
  }
  let fetching = true;
  const fetcher = (async () => {
    while (fetching) await supernode.statusText();
  })();
  try {
    const pings = await pingTimes(lab.routersNs, SUPERNODE_TAP_ADDRESS, STATUS_PINGS, STATUS_PING_INTERVAL_S);
    return { statusFetch: { medianMs: median(times), maxMs: Math.max(...times) }, statusPing: summarizePings(pings, STATUS_PINGS) };
  } finally {
    fetching = false;
    await fetcher;
  }
}

/** The flows and the pings beside them, each ping split at the supernode; CPU per GB over the bytes the servers received. */
async function flows(lab: SupernodeLab, supernode: BenchDaemon, label: string, seconds: number, warmUpSeconds: number): Promise<Pick<TurnFigures, 'mbit' | 'retransmits' | 'flowUdpDrops' | 'flowQueueDrops' | 'cpuPerGb' | 'loadPing' | 'loadHops'>> {
  if (warmUpSeconds > 0) await Promise.all(lab.probeNs.map((netns, i) => iperf3(netns, lab.supernodeNs, SUPERNODE_TAP_ADDRESS, warmUpSeconds, IPERF_PORT + i)));
  const dropsBefore = await lab.supernodeNs.udpReceiveBufferErrors();
  const queueDropsBefore = await queueDrops(supernode);
  let cpuSeconds = 0;
  // the probes' flows come over veths of their own: the routers' veth and the TAP's ICMP stay a few packets a second to capture
  const [[runs, pings], loadHops] = await splitAtSupernode(lab, `load-${label}`, async () => {
    const before = supernode.cpuSeconds();
    const measured = await Promise.all([
      Promise.all(lab.probeNs.map((netns, i) => iperf3(netns, lab.supernodeNs, SUPERNODE_TAP_ADDRESS, seconds, IPERF_PORT + i))),
      pingsDuringLoad(lab.routersNs, SUPERNODE_TAP_ADDRESS, seconds, PING_INTERVAL_S),
    ]);
    cpuSeconds = supernode.cpuSeconds() - before;
    return measured;
  });
  const flowUdpDrops = (await lab.supernodeNs.udpReceiveBufferErrors()) - dropsBefore;
  const flowQueueDrops = (await queueDrops(supernode)) - queueDropsBefore;
  const bytes = runs.reduce((sum, run) => sum + run.bytes, 0);
  return {
    mbit: runs.reduce((sum, run) => sum + run.mbitPerSecond, 0),
    retransmits: runs.reduce((sum, run) => sum + run.retransmits, 0),
    flowUdpDrops,
    flowQueueDrops,
    cpuPerGb: cpuPerGigabyte(cpuSeconds, bytes),
    loadPing: summarizePings(pings.times, pings.sent),
    loadHops,
  };
}

/** Runs `pinging` (pings from router 0 to the supernode's TAP) with the supernode's veth and TAP captured, and splits each ping there. */
async function splitAtSupernode<T>(lab: SupernodeLab, label: string, pinging: () => Promise<T>): Promise<[T, HopSplit]> {
  const name = label.replace(/\W+/g, '-');
  const veth = await Capture.start(lab.supernodeNs, SUPERNODE_UNDERLAY, `udp port ${SUPERNODE_PORT}`, lab.dir, `veth-${name}`);
  const tap = await Capture.start(lab.supernodeNs, SUPERNODE_TAP, 'icmp', lab.dir, `tap-${name}`).catch(async (error: unknown) => {
    await veth.kill();
    throw error;
  });
  let result: T;
  try {
    result = await pinging();
  } catch (error) {
    await Promise.all([veth.kill(), tap.kill()]);
    throw error;
  }
  const captured = await Promise.all([veth.stop(), tap.stop()]);
  const rounds = supernodeRounds(parseCapture(captured.join('\n')), { target: SUPERNODE_TAP_ADDRESS, supernode: SUPERNODE_ADDRESS });
  const ins = rounds.map((r) => r.in);
  const outs = rounds.map((r) => r.out);
  const split = { in: median(ins), kernel: median(rounds.map((r) => r.kernel)), out: median(outs), in90: percentile(ins, 0.9), out90: percentile(outs, 0.9), rounds: rounds.length };
  return [result, split];
}

/** Idle pings from router 0, each split at the supernode's veth and TAP. */
async function idlePings(lab: SupernodeLab, label: string): Promise<Pick<TurnFigures, 'idlePing' | 'idleHops'>> {
  const [times, idleHops] = await splitAtSupernode(lab, `idle-${label}`, () => pingTimes(lab.routersNs, SUPERNODE_TAP_ADDRESS, IDLE_PINGS, PING_INTERVAL_S));
  return { idlePing: summarizePings(times, IDLE_PINGS), idleHops };
}

/** One supernode's turn, from its cold start to its last restart; leaves no daemon running. */
async function turn(lab: SupernodeLab, kind: DaemonKind, round: number, options: SupernodeOptions): Promise<TurnFigures> {
  const supernode = lab.supernode(kind, `supernode-${kind}-${round + 1}`, kind === 'fastd-ts' ? ['--metrics-listen', METRICS_LISTEN] : [], kind === 'fastd-ts' ? options.nodeArgs : []);
  const label = `${kind} ${round + 1}/${options.rounds}`;
  const say = (text: string) => progress(`${label}: ${text}`);
  try {
    const dropsBefore = await lab.supernodeNs.udpReceiveBufferErrors();
    const execAt = performance.now();
    await lab.startSupernode(supernode, START_DEADLINE_MS);
    await lab.statusAnswers(supernode, START_DEADLINE_MS);
    const startCpuSeconds = supernode.cpuSeconds();
    await lab.startClients();
    const routersStartedSeconds = (performance.now() - execAt) / 1000;
    const cold = await reconnection(lab, supernode, execAt, startCpuSeconds);
    if (cold.allBackSeconds === undefined) {
      const dead = lab.routers.exitedCount();
      throw new Error(`${label}: only ${cold.backAtEnd} of ${lab.clientCount} routers connected within ${connectDeadlineSeconds(options.routers)} s (${dead} routers exited)\n${lab.logsOf([supernode])}`);
    }
    const coldStartUdpDrops = (await lab.supernodeNs.udpReceiveBufferErrors()) - dropsBefore;
    say(`cold start ${cold.allBackSeconds.toFixed(1)} s (routers started after ${routersStartedSeconds.toFixed(1)} s), ${cold.cpuSeconds.toFixed(2)} CPU-s, ${coldStartUdpDrops} datagrams dropped at its socket`);
    await until('a ping from router 0 through the supernode', START_DEADLINE_MS, () => answers(lab.routersNs, SUPERNODE_TAP_ADDRESS));
    for (const netns of lab.probeNs) await until(`a ping from ${netns.name}`, START_DEADLINE_MS, () => answers(netns, SUPERNODE_TAP_ADDRESS));
    const { idlePing, idleHops } = await idlePings(lab, label);
    const load = await flows(lab, supernode, label, options.seconds, options.warmUpSeconds);
    say(`${load.mbit.toFixed(0)} Mbit/s, ${load.cpuPerGb.toFixed(2)} CPU-s/GB, ping ${idlePing.avgMs.toFixed(2)} ms idle, ${load.loadPing.avgMs.toFixed(2)} ms loaded (in / out at the supernode ${load.loadHops.in.toFixed(0)} / ${load.loadHops.out.toFixed(0)} µs, 90th percentile ${load.loadHops.in90.toFixed(0)} / ${load.loadHops.out90.toFixed(0)}), ${load.retransmits} retransmits, ${load.flowQueueDrops} CoDel drops`);
    const rssMiB = supernode.rssMiB();
    const idleBefore = supernode.cpuSeconds();
    await sleep(options.idleSeconds * 1000);
    const idleCpuSeconds = supernode.cpuSeconds() - idleBefore;
    const status = await statusFetches(lab, supernode);
    say(`status fetch ${status.statusFetch.medianMs.toFixed(1)} / ${status.statusFetch.maxMs.toFixed(1)} ms, ping meanwhile ${status.statusPing.avgMs.toFixed(2)} / ${status.statusPing.maxMs.toFixed(1)} ms`);
    const metrics = kind === 'fastd-ts' ? await metricsScrapes(lab, supernode, say) : {};
    if (metrics.metricsScrape && metrics.metricsScrapeGzip && metrics.metricsScrapeSpaced && metrics.metricsPing) {
      const { metricsScrape: plain, metricsScrapeGzip: gzipped, metricsScrapeSpaced: spaced, metricsPing: ping } = metrics;
      const cell = (figure: { medianMs: number; maxMs: number }) => `${figure.medianMs.toFixed(1)} / ${figure.maxMs.toFixed(1)} ms`;
      say(`metrics scrape ${cell(plain)}, gzipped ${cell(gzipped)}, ${METRICS_SPACING_S} s apart ${cell(spaced)}, ping meanwhile ${ping.avgMs.toFixed(2)} / ${ping.maxMs.toFixed(1)} ms`);
    }
    const spoofed = await flood(lab, supernode, options.floodSeconds);
    say(`RSS ${rssMiB.toFixed(0)} MiB, idle ${idleCpuSeconds.toFixed(2)} CPU-s, spoofed inits ${spoofed.cpuSeconds.toFixed(2)} CPU-s, ${spoofed.answered}/${spoofed.sent} answered`);
    const restarted = await restart(lab, supernode);
    say(`restart: all back ${restarted.allBackSeconds?.toFixed(1) ?? `> ${connectDeadlineSeconds(options.routers)}`} s, ${restarted.backAfter5s} after 5 s, ${restarted.cpuSeconds.toFixed(2)} CPU-s`);
    let metricsFirstGzip: TurnFigures['metricsFirstGzip'];
    if (kind === 'fastd-ts') {
      // the restarted daemon's first scrape, gzipped, a Prometheus pause after its routers are back
      await sleep(METRICS_SPACING_S * 1000);
      metricsFirstGzip = await firstScrape(lab, supernode, ['gzip']);
      say(`first metrics scrape after the restart, gzipped: ${metricsFirstGzip.ms.toFixed(1)} ms, its main thread ${metricsFirstGzip.mainCpuMs.toFixed(1)} ms of CPU`);
    }
    let restartExtraKeys: RestartFigures | undefined;
    if (options.extraKeys > 0) {
      // each router ignores an init from the address it last answered one from for fastd's
      // MIN_HANDSHAKE_INTERVAL, and the peer state file may lag WRITE_INTERVAL behind the storm:
      // restarted sooner, the supernode would measure those, not itself
      await sleep(QUIET_PERIOD_MS);
      await supernode.kill();
      lab.addExtraKeys(options.extraKeys);
      restartExtraKeys = await restart(lab, supernode);
      say(`restart with ${options.extraKeys} extra keys: all back ${restartExtraKeys.allBackSeconds?.toFixed(1) ?? `> ${connectDeadlineSeconds(options.routers)}`} s`);
    }
    // last: a router ignores handshakes for 15 s after its session began, a restart's greeting too
    const stormed = await storm(lab, supernode);
    say(`storm: ${stormed.renewed} routers re-handshaked in ${stormed.seconds?.toFixed(1) ?? `> ${connectDeadlineSeconds(options.routers)}`} s, ${stormed.cpuSeconds.toFixed(2)} CPU-s, probe 0's ping ${stormed.ping.avgMs.toFixed(2)} / ${stormed.ping.maxMs.toFixed(1)} ms (${stormed.ping.sent - stormed.ping.answered} lost)`);
    return { coldStartSeconds: cold.allBackSeconds, coldStartCpuSeconds: cold.cpuSeconds, routersStartedSeconds, coldStartUdpDrops, ...load, idlePing, idleHops, restart: restarted, restartExtraKeys, rssMiB, idleCpuSeconds, ...status, ...metrics, metricsFirstGzip, flood: spoofed, storm: stormed };
  } finally {
    await supernode.stop();
    await lab.stopClients();
    lab.removeExtraKeys();
  }
}

/** Brings up the lab, runs every turn, and returns the figures per supernode in turn order. */
export async function runSupernodeBench(options: SupernodeOptions): Promise<Map<DaemonKind, TurnFigures[]>> {
  const work = mkdtempSync(join(tmpdir(), 'fastd-ts-bench-supernode-'));
  const results = new Map<DaemonKind, TurnFigures[]>(options.kinds.map((kind) => [kind, []]));
  let lab: SupernodeLab | undefined;
  try {
    progress(`setting up ${options.routers} routers${options.ownAddresses ? ' (an address each)' : ' (one shared address)'} and ${options.probes} probes`);
    lab = SupernodeLab.create(work, options);
    for (let round = 0; round < options.rounds; round++) {
      for (const kind of roundOrder(options.kinds, round)) {
        results.get(kind)!.push(await turn(lab, kind, round, options));
      }
    }
    return results;
  } finally {
    lab?.delete();
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const options = parseSupernodeOptions(argv);
  if (typeof options === 'string') {
    progress(`${options}\n${USAGE}`);
    return 2;
  }
  const missing = missingPrerequisites(['iperf3', 'ping']);
  if (missing.length > 0) {
    progress(`the supernode bench needs: ${missing.join('; ')}`);
    return 1;
  }
  const started = Date.now();
  const results = await runSupernodeBench(options);
  const addresses = options.ownAddresses ? 'an address each' : 'sharing one address';
  process.stdout.write(`\n${formatSupernodeTable(results, options, connectDeadlineSeconds(options.routers))}\n`);
  process.stdout.write(
    `\n${options.routers} routers ${addresses} + ${options.probes} probes, salsa2012+umac, TAP; ${options.rounds} turn(s) per supernode, ` +
      `flows ${options.seconds} s after ${options.warmUpSeconds} s unmeasured; ping from router 0 every ${PING_INTERVAL_S * 1000} ms; ${((Date.now() - started) / 1000).toFixed(0)} s in all\n`,
  );
  return 0;
}

runAsScript(import.meta.url, 'bench:supernode', main);
