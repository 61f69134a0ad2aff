// What the supernode bench takes and prints: its command line, the figures of one turn of a
// supernode, and the table of every figure per supernode with the ratio fastd-ts / fastd.
// Pure functions, so parsing, arithmetic and layout are tested without namespaces.
import { alignedTable, type DaemonKind, median, pingCell, type PingSummary } from './report.js';

export interface SupernodeOptions {
  /** Debian fastd routers sharing the routers' namespace. */
  readonly routers: number;
  /** Probe routers in namespaces of their own, one iperf3 flow each. */
  readonly probes: number;
  /** Length of the iperf3 flows. */
  readonly seconds: number;
  /** Length of the same flows run just before, not measured: V8 compiles the bulk path then (0: none). */
  readonly warmUpSeconds: number;
  /** Each router binds an address of its own (aliases on one veth) instead of sharing one. */
  readonly ownAddresses: boolean;
  /** Keys added to the peer directory for a second restart (0: no second restart). */
  readonly extraKeys: number;
  /** Turns per supernode, in alternating order. */
  readonly rounds: number;
  /** Seconds of the idle-CPU and the spoofed-init windows. */
  readonly idleSeconds: number;
  readonly floodSeconds: number;
  readonly kinds: readonly DaemonKind[];
  /** fastd-ts only: node's options before its script (--trace-gc, --heap-prof, ...), in order. */
  readonly nodeArgs: readonly string[];
}

const MAX_ROUTERS = 1_000;
const KINDS: readonly DaemonKind[] = ['fastd', 'fastd-ts'];
const DEFAULTS: SupernodeOptions = { routers: 200, probes: 4, seconds: 10, warmUpSeconds: 3, ownAddresses: false, extraKeys: 0, rounds: 1, idleSeconds: 20, floodSeconds: 20, kinds: KINDS, nodeArgs: [] };
const QUICK: Partial<SupernodeOptions> = { routers: 20, probes: 2, seconds: 3, warmUpSeconds: 1, idleSeconds: 5, floodSeconds: 5 };
/** Status documents fetched one after another and timed each turn. */
export const STATUS_FETCHES = 20;
/** Gzipped scrapes with a pause between them, and the pause. */
export const SPACED_SCRAPES = 8;
export const METRICS_SPACING_S = 5;
/** The --extra-keys flag without a number: the 5,000. */
const EXTRA_KEYS_FLAG = 5_000;

export const USAGE =
  'usage: npm run bench:supernode [-- --routers N] [--probes K] [--seconds S] [--warm-up S] [--own-addresses] [--extra-keys [M]] [--rounds R] [--quick] [--only fastd|fastd-ts] [--node-option FLAG]...';

/** The options that take a whole number: the field each sets, and its bounds. */
const COUNTS: Readonly<Record<string, readonly [keyof SupernodeOptions, number, number]>> = {
  '--routers': ['routers', 1, MAX_ROUTERS],
  '--probes': ['probes', 1, 16],
  '--seconds': ['seconds', 2, 600],
  '--warm-up': ['warmUpSeconds', 0, 600],
  '--rounds': ['rounds', 1, 10],
  '--extra-keys': ['extraKeys', 1, 100_000],
};

/** The command line; a string says what is wrong with it. Later options override --quick's sizes. */
export function parseSupernodeOptions(argv: readonly string[]): SupernodeOptions | string {
  let options: SupernodeOptions = argv.includes('--quick') ? { ...DEFAULTS, ...QUICK } : DEFAULTS;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg === '--quick') continue;
    if (arg === '--own-addresses') {
      options = { ...options, ownAddresses: true };
    } else if (arg === '--extra-keys' && (next === undefined || next.startsWith('--'))) {
      options = { ...options, extraKeys: EXTRA_KEYS_FLAG };
    } else if (arg === '--only') {
      if (next !== 'fastd' && next !== 'fastd-ts') return `--only takes fastd or fastd-ts, not ${next ?? 'nothing'}`;
      options = { ...options, kinds: [next] };
      i++;
    } else if (arg === '--node-option') {
      if (next === undefined) return '--node-option takes a flag of node\'s';
      options = { ...options, nodeArgs: [...options.nodeArgs, next] };
      i++;
    } else if (COUNTS[arg]) {
      const [field, min, max] = COUNTS[arg];
      const value = Number(next);
      if (!Number.isInteger(value) || value < min || value > max) return `${arg} takes a whole number from ${min} to ${max}, not ${next ?? 'nothing'}`;
      options = { ...options, [field]: value };
      i++;
    } else {
      return `unknown option ${arg}`;
    }
  }
  return options;
}

export interface RestartFigures {
  /** From the new supernode's exec until every router was connected again; undefined: not within the deadline. */
  readonly allBackSeconds: number | undefined;
  readonly backAfter5s: number;
  /** Connected when the measurement ended (all of them, or the count at the deadline). */
  readonly backAtEnd: number;
  /** The supernode's CPU time from its exec until then: its start-up and the handshakes. */
  readonly cpuSeconds: number;
  /** Its CPU time once it was up (its TAP there; at a cold start, its status socket answering), before the routers' handshakes: the start-up's share. */
  readonly startCpuSeconds: number;
}

/** Everything measured in one turn of one supernode. */
export interface TurnFigures {
  readonly coldStartSeconds: number;
  /** The supernode's CPU time from its exec until all were connected. */
  readonly coldStartCpuSeconds: number;
  /** When the last router had been started, from the supernode's exec: the share of the cold start that is the lab's. */
  readonly routersStartedSeconds: number;
  /** Datagrams the kernel dropped for the supernode's full socket buffers (lost handshakes, here). */
  readonly coldStartUdpDrops: number;
  readonly mbit: number;
  readonly retransmits: number;
  readonly flowUdpDrops: number;
  /** Data fastd-ts's CoDel dropped from its socket queues (fastd: 0, it has no such rule). */
  readonly flowQueueDrops: number;
  readonly cpuPerGb: number;
  readonly idlePing: PingSummary;
  /** The idle pings split at the supernode's veth and TAP (supernodeRounds). */
  readonly idleHops: HopSplit;
  readonly loadPing: PingSummary;
  /** The same for the pings during the flows. */
  readonly loadHops: HopSplit;
  readonly restart: RestartFigures;
  readonly restartExtraKeys?: RestartFigures;
  readonly rssMiB: number;
  readonly idleCpuSeconds: number;
  /** Status documents fetched one after another, each from connect to the end of its JSON. */
  readonly statusFetch: { readonly medianMs: number; readonly maxMs: number };
  /** Pings through the supernode while its status is fetched back to back. */
  readonly statusPing: PingSummary;
  /** fastd-ts only: its Prometheus endpoint scraped like the status socket, and pings meanwhile. */
  readonly metricsScrape?: { readonly medianMs: number; readonly maxMs: number };
  /** The same asking for gzip, as Prometheus does (timed to the body's last byte, inflated after). */
  readonly metricsScrapeGzip?: { readonly medianMs: number; readonly maxMs: number };
  /** Gzipped scrapes METRICS_SPACING_S apart, as Prometheus's (every 15-60 s) find the daemon between two. */
  readonly metricsScrapeSpaced?: { readonly medianMs: number; readonly maxMs: number };
  readonly metricsPing?: PingSummary;
  /** The daemon's first scrape with the routers connected, and the restarted daemon's first, gzipped: ms, and its main thread's CPU ms. */
  readonly metricsFirst?: { readonly ms: number; readonly mainCpuMs: number };
  readonly metricsFirstGzip?: { readonly ms: number; readonly mainCpuMs: number };
  readonly flood: { readonly cpuSeconds: number; readonly sent: number; readonly answered: number };
  /** Every router restarted at once beside a connected probe; seconds until all had new sessions (undefined: not within the deadline). */
  readonly storm: { readonly seconds: number | undefined; readonly renewed: number; readonly cpuSeconds: number; readonly ping: PingSummary };
}

/**
 * The least CPU time that measures anything: /proc counts it in 10 ms ticks (USER_HZ), so a
 * flood's CPU less the idle CPU can come out as a float's rounding error where both were equal.
 */
const CPU_RESOLUTION_SECONDS = 0.01;

/** Handshakes per supernode CPU-second (NaN when the CPU time is below what /proc resolves). */
export function perCpuSecond(count: number, cpuSeconds: number): number {
  return cpuSeconds >= CPU_RESOLUTION_SECONDS ? count / cpuSeconds : Number.NaN;
}

/**
 * Spoofed inits answered per CPU-second above the supernode's idle cost (its idle CPU scaled to
 * the flood's length): what answering costs, without the timers and threads that run anyway.
 */
export function answeredPerCpuSecondAboveIdle(turn: TurnFigures, options: SupernodeOptions): number {
  const idle = (turn.idleCpuSeconds * options.floodSeconds) / options.idleSeconds;
  return perCpuSecond(turn.flood.answered, turn.flood.cpuSeconds - idle);
}

/** Supernode CPU-seconds per GB carried (`bytes`: what the flows' receivers got). */
export function cpuPerGigabyte(cpuSeconds: number, bytes: number): number {
  return bytes > 0 ? cpuSeconds / (bytes / 1e9) : Number.NaN;
}

const fixed = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** Pings split at the supernode (rtt-hops.ts supernodeRounds), µs: medians, the 90th percentile of in and out, and how many rounds were whole. */
export interface HopSplit {
  readonly in: number;
  readonly kernel: number;
  readonly out: number;
  readonly in90: number;
  readonly out90: number;
  readonly rounds: number;
}

interface Figure {
  readonly label: string;
  /** One turn's cell. */
  readonly cell: (turn: TurnFigures) => string;
  /** The number the ratio compares (undefined: no ratio for this row). */
  readonly value?: (turn: TurnFigures) => number;
}

function restartCell(restart: RestartFigures | undefined, deadlineSeconds: number): string {
  if (restart === undefined) return 'n/a';
  return restart.allBackSeconds === undefined ? `> ${deadlineSeconds} (${restart.backAtEnd} back)` : fixed(restart.allBackSeconds, 1);
}

/** A restart's handshakes per CPU-second from the moment the supernode was up: the initiator's cost without the start-up. */
const afterStart = (restart: RestartFigures): number => perCpuSecond(restart.backAtEnd, restart.cpuSeconds - restart.startCpuSeconds);

function figures(options: SupernodeOptions, restartDeadlineSeconds: number): Figure[] {
  const all = options.routers + options.probes;
  const seconds = (restart: RestartFigures | undefined) => restart?.allBackSeconds ?? Number.NaN;
  const list: Figure[] = [
    { label: `cold start: all ${all} routers connected (s)`, cell: (t) => fixed(t.coldStartSeconds, 1), value: (t) => t.coldStartSeconds },
    { label: 'of which starting the routers (s)', cell: (t) => fixed(t.routersStartedSeconds, 1) },
    // a cold start's handshakes are the routers' inits, answered: the responder's cost, with the start-up's
    { label: 'cold start: handshakes per CPU-s (start-up included)', cell: (t) => fixed(perCpuSecond(all, t.coldStartCpuSeconds), 0), value: (t) => perCpuSecond(all, t.coldStartCpuSeconds) },
    { label: 'its UDP drops for a full socket buffer meanwhile', cell: (t) => String(t.coldStartUdpDrops), value: (t) => t.coldStartUdpDrops },
    { label: `${options.probes} iperf3 TCP flows, sum (Mbit/s)`, cell: (t) => fixed(t.mbit, 0), value: (t) => t.mbit },
    { label: 'TCP retransmits in the flows', cell: (t) => String(t.retransmits), value: (t) => t.retransmits },
    { label: 'its UDP drops in the flows', cell: (t) => String(t.flowUdpDrops), value: (t) => t.flowUdpDrops },
    { label: 'its CoDel drops in the flows (fastd-ts)', cell: (t) => String(t.flowQueueDrops) },
    { label: 'supernode CPU-s per GB in the flows', cell: (t) => fixed(t.cpuPerGb, 2), value: (t) => t.cpuPerGb },
    { label: 'ping idle, avg / max (ms)', cell: (t) => pingCell(t.idlePing), value: (t) => t.idlePing.avgMs },
    // where an idle ping spends the supernode's share: datagram in → request on its TAP, and reply → datagram out
    { label: 'idle ping at the supernode: in / out, median (µs)', cell: (t) => `${fixed(t.idleHops.in, 0)} / ${fixed(t.idleHops.out, 0)}`, value: (t) => t.idleHops.in + t.idleHops.out },
    { label: 'ping during the flows, avg / max (ms)', cell: (t) => pingCell(t.loadPing), value: (t) => t.loadPing.avgMs },
    // the same split during the flows: the socket's queue and the worker's waits for a core (in), the TAP's queue behind the flows' ACKs (out)
    { label: 'ping during the flows at the supernode: in / out, median (µs)', cell: (t) => `${fixed(t.loadHops.in, 0)} / ${fixed(t.loadHops.out, 0)}`, value: (t) => t.loadHops.in + t.loadHops.out },
    { label: 'the same, 90th percentile (µs)', cell: (t) => `${fixed(t.loadHops.in90, 0)} / ${fixed(t.loadHops.out90, 0)}`, value: (t) => t.loadHops.in90 + t.loadHops.out90 },
    { label: 'kill -9, restart: all back (s)', cell: (t) => restartCell(t.restart, restartDeadlineSeconds), value: (t) => seconds(t.restart) },
    { label: 'routers back 5 s after the restart', cell: (t) => String(t.restart.backAfter5s), value: (t) => t.restart.backAfter5s },
    // fastd-ts greets the peers it remembers (the initiator's cost); fastd waits for the routers' inits
    { label: 'restart: handshakes per CPU-s (start-up included)', cell: (t) => fixed(perCpuSecond(t.restart.backAtEnd, t.restart.cpuSeconds), 0), value: (t) => perCpuSecond(t.restart.backAtEnd, t.restart.cpuSeconds) },
    { label: 'restart: handshakes per CPU-s once it was up', cell: (t) => fixed(afterStart(t.restart), 0), value: (t) => afterStart(t.restart) },
  ];
  if (options.extraKeys > 0) {
    list.push(
      { label: `same, ${options.extraKeys} extra keys: all back (s)`, cell: (t) => restartCell(t.restartExtraKeys, restartDeadlineSeconds), value: (t) => seconds(t.restartExtraKeys) },
      { label: `same, ${options.extraKeys} extra keys: back after 5 s`, cell: (t) => String(t.restartExtraKeys?.backAfter5s ?? 'n/a'), value: (t) => t.restartExtraKeys?.backAfter5s ?? Number.NaN },
    );
  }
  list.push(
    { label: `storm: all ${options.routers} routers restart, new sessions after (s)`, cell: (t) => (t.storm.seconds === undefined ? `> ${restartDeadlineSeconds} (${t.storm.renewed})` : fixed(t.storm.seconds, 1)), value: (t) => t.storm.seconds ?? Number.NaN },
    { label: 'storm: handshakes per CPU-s', cell: (t) => fixed(perCpuSecond(t.storm.renewed, t.storm.cpuSeconds), 0), value: (t) => perCpuSecond(t.storm.renewed, t.storm.cpuSeconds) },
    { label: 'storm: ping from a connected probe, avg / max (ms)', cell: (t) => pingCell(t.storm.ping), value: (t) => t.storm.ping.avgMs },
    { label: `RSS, ${all} routers connected (MiB)`, cell: (t) => fixed(t.rssMiB, 0), value: (t) => t.rssMiB },
    { label: `idle CPU-s over ${options.idleSeconds} s`, cell: (t) => fixed(t.idleCpuSeconds, 2), value: (t) => t.idleCpuSeconds },
    { label: `status fetch, median / max of ${STATUS_FETCHES} (ms)`, cell: (t) => `${fixed(t.statusFetch.medianMs, 1)} / ${fixed(t.statusFetch.maxMs, 1)}`, value: (t) => t.statusFetch.medianMs },
    { label: 'ping while fetching it, avg / max (ms)', cell: (t) => pingCell(t.statusPing), value: (t) => t.statusPing.avgMs },
    {
      label: `metrics scrape, median / max of ${STATUS_FETCHES} (ms; fastd-ts)`,
      cell: (t) => (t.metricsScrape ? `${fixed(t.metricsScrape.medianMs, 1)} / ${fixed(t.metricsScrape.maxMs, 1)}` : 'n/a'),
    },
    {
      label: 'the same gzipped, as Prometheus asks (ms; fastd-ts)',
      cell: (t) => (t.metricsScrapeGzip ? `${fixed(t.metricsScrapeGzip.medianMs, 1)} / ${fixed(t.metricsScrapeGzip.maxMs, 1)}` : 'n/a'),
    },
    {
      label: `the same, ${SPACED_SCRAPES} scrapes ${METRICS_SPACING_S} s apart (ms; fastd-ts)`,
      cell: (t) => (t.metricsScrapeSpaced ? `${fixed(t.metricsScrapeSpaced.medianMs, 1)} / ${fixed(t.metricsScrapeSpaced.maxMs, 1)}` : 'n/a'),
    },
    {
      label: 'first metrics scrape, plain (ms; its main thread CPU-ms; fastd-ts)',
      cell: (t) => (t.metricsFirst ? `${fixed(t.metricsFirst.ms, 1)} (${fixed(t.metricsFirst.mainCpuMs, 1)})` : 'n/a'),
    },
    {
      label: `the restarted one's, gzipped, ${METRICS_SPACING_S} s after its routers are back (same)`,
      cell: (t) => (t.metricsFirstGzip ? `${fixed(t.metricsFirstGzip.ms, 1)} (${fixed(t.metricsFirstGzip.mainCpuMs, 1)})` : 'n/a'),
    },
    { label: 'ping while scraping them, avg / max (ms)', cell: (t) => (t.metricsPing ? pingCell(t.metricsPing) : 'n/a') },
    { label: `CPU-s over ${options.floodSeconds} s of spoofed inits`, cell: (t) => fixed(t.flood.cpuSeconds, 2), value: (t) => t.flood.cpuSeconds },
    { label: 'spoofed inits answered / sent', cell: (t) => `${t.flood.answered} / ${t.flood.sent}`, value: (t) => t.flood.answered },
    { label: 'spoofed inits answered per CPU-s', cell: (t) => fixed(perCpuSecond(t.flood.answered, t.flood.cpuSeconds), 0), value: (t) => perCpuSecond(t.flood.answered, t.flood.cpuSeconds) },
    { label: 'the same above its idle CPU', cell: (t) => fixed(answeredPerCpuSecondAboveIdle(t, options), 0), value: (t) => answeredPerCpuSecondAboveIdle(t, options) },
  );
  return list;
}

/** The ratio of the medians, as `0.42×`; empty when a side is missing or not a number. */
export function ratioCell(ours: readonly number[], theirs: readonly number[]): string {
  const ratio = median(ours) / median(theirs);
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '';
}

/** One row per figure, one column per supernode (turns separated by `;`), then the ratio. */
export function formatSupernodeTable(turns: ReadonlyMap<DaemonKind, readonly TurnFigures[]>, options: SupernodeOptions, restartDeadlineSeconds: number): string {
  const kinds = KINDS.filter((kind) => (turns.get(kind) ?? []).length > 0);
  const both = kinds.length === KINDS.length;
  const header = ['figure', ...kinds.map((kind) => (kind === 'fastd' ? 'Debian fastd' : kind)), ...(both ? ['fastd-ts / fastd'] : [])];
  const body = figures(options, restartDeadlineSeconds).map((figure) => {
    const of = (kind: DaemonKind) => turns.get(kind) ?? [];
    const cells = kinds.map((kind) => of(kind).map(figure.cell).join('; '));
    const value = figure.value;
    const ratio = both && value ? [ratioCell(of('fastd-ts').map(value), of('fastd').map(value))] : both ? [''] : [];
    return [figure.label, ...cells, ...ratio];
  });
  return alignedTable(header, body);
}
