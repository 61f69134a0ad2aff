// The supernode bench's handshake figures alone (issue 13, goal 5), for profiling and quick
// comparison: the same lab (supernode-lab.ts) and phases as supernode.ts, without the flows,
// pings and status fetches. Per turn, Debian fastd and fastd-ts in alternating order:
//  1. cold start: every router connects (the responder's cost, start-up included and not);
//  2. idle CPU over S seconds, then S seconds of spoofed inits (40 addresses × 4 known keys a
//     second): inits answered per CPU-second, also above the idle cost, and the main thread's
//     share of the CPU (the rest: fastd-ts's workers and V8's helper threads); then the same
//     flood again at once, when V8 has compiled the handshake code (the steady state);
//  3. kill -9 and restart (fastd-ts greets the routers it remembers: the initiator's cost);
//  4. the connect storm: every router restarts at once.
// With --cpu-prof DIR, fastd-ts's threads write V8 CPU profiles there (a turn then ends after
// the flood with a clean stop, and its restart figures are the cold start's). --node-option
// passes a flag to fastd-ts's node (e.g. --trace-deopt, whose lines go to the daemon's log),
// --log-dir keeps each supernode's log there.
//
// Run (root; Debian's fastd): npm run bench:handshakes [-- --help] (options: USAGE below)
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchDaemon } from './daemon.js';
import { alignedTable, type DaemonKind, roundOrder } from './report.js';
import { missingPrerequisites, numberOption, optionValues, progress, runAsScript } from './script.js';
import { connectDeadlineSeconds, flood, reconnection, restart, START_DEADLINE_MS, storm } from './supernode.js';
import { SupernodeLab } from './supernode-lab.js';
import { perCpuSecond, ratioCell, type RestartFigures } from './supernode-report.js';

const KINDS: readonly DaemonKind[] = ['fastd', 'fastd-ts'];
const USAGE =
  'usage: npm run bench:handshakes [-- --routers N] [--seconds S] [--rounds R] [--only fastd|fastd-ts] [--cpu-prof DIR] [--node-option FLAG]... [--log-dir DIR] [--flood-keys fixed|fresh]';
/** The options that take a value; --help alone takes none. */
const VALUE_OPTIONS = ['--routers', '--seconds', '--rounds', '--only', '--cpu-prof', '--node-option', '--log-dir', '--flood-keys'];

/** Whether every argument is a known option followed by its value. */
function wellFormed(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i += 2) if (!VALUE_OPTIONS.includes(argv[i]!) || i + 1 >= argv.length) return false;
  return true;
}

interface FloodFigures {
  readonly cpuSeconds: number;
  readonly mainThreadCpuSeconds: number;
  readonly sent: number;
  readonly answered: number;
}

interface HandshakeTurn {
  readonly cold: RestartFigures;
  readonly idleCpuSeconds: number;
  readonly flood: FloodFigures;
  /** The same flood again at once: with V8's compiler done with the handshake code. */
  readonly warmFlood: FloodFigures;
  readonly restart: RestartFigures;
  readonly storm: { readonly renewed: number; readonly cpuSeconds: number };
}

/** A thread's name (its comm): V8's and Node's threads are all `node`, io_uring's workers `iou-wrk-…`. */
function threadName(pid: number, tid: number): string {
  try {
    return readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return 'gone';
  }
}

/** Each thread's CPU seconds between two readings of threadCpuSeconds(), the main thread (its id is the pid) first, then the busiest. */
function threadCpu(supernode: BenchDaemon, before: ReadonlyMap<number, number>): { tid: number; name: string; seconds: number }[] {
  const threads = [...supernode.threadCpuSeconds()].map(([tid, seconds]) => ({ tid, name: threadName(supernode.pid, tid), seconds: seconds - (before.get(tid) ?? 0) }));
  return threads.sort((a, b) => Number(b.tid === supernode.pid) - Number(a.tid === supernode.pid) || b.seconds - a.seconds);
}

/** A flood of spoofed inits, with the supernode's CPU per thread over it. */
async function measuredFlood(lab: SupernodeLab, supernode: BenchDaemon, options: TurnOptions, say: (text: string) => void): Promise<FloodFigures> {
  const before = supernode.threadCpuSeconds();
  const spoofed = await flood(lab, supernode, options.seconds, options.freshKeys);
  const threads = threadCpu(supernode, before);
  const busy = threads.filter((thread) => thread.seconds > 0).map((thread) => `${thread.name} ${thread.seconds.toFixed(2)}`);
  say(`spoofed inits ${spoofed.cpuSeconds.toFixed(2)} CPU-s (threads, main first: ${busy.join(' ')}), ${spoofed.answered}/${spoofed.sent} answered`);
  return { ...spoofed, mainThreadCpuSeconds: threads[0]?.seconds ?? 0 };
}

interface TurnOptions {
  readonly seconds: number;
  /** fastd-ts's node flags. */
  readonly nodeArgs: readonly string[];
  /** A turn ends after the floods with a clean stop, so that CPU profiles get written. */
  readonly profiling: boolean;
  readonly logDir: string | undefined;
  /** The floods claim the keys with a fresh handshake key each (supernode.ts's flood). */
  readonly freshKeys: boolean;
}

async function turn(lab: SupernodeLab, kind: DaemonKind, label: string, options: TurnOptions): Promise<HandshakeTurn> {
  const { seconds, nodeArgs, profiling, logDir } = options;
  const supernode = lab.supernode(kind, label, [], kind === 'fastd-ts' ? nodeArgs : []);
  const say = (text: string) => progress(`${label}: ${text}`);
  try {
    const execAt = performance.now();
    await lab.startSupernode(supernode, START_DEADLINE_MS);
    await lab.statusAnswers(supernode, START_DEADLINE_MS);
    const startCpuSeconds = supernode.cpuSeconds();
    await lab.startClients();
    const cold = await reconnection(lab, supernode, execAt, startCpuSeconds);
    if (cold.allBackSeconds === undefined) throw new Error(`${label}: only ${cold.backAtEnd} of ${lab.clientCount} routers connected\n${lab.logsOf([supernode])}`);
    say(`cold start ${cold.allBackSeconds.toFixed(1)} s, ${cold.cpuSeconds.toFixed(2)} CPU-s (${startCpuSeconds.toFixed(2)} before the routers)`);
    const idleBefore = supernode.cpuSeconds();
    await sleep(seconds * 1000);
    const idleCpuSeconds = supernode.cpuSeconds() - idleBefore;
    say(`idle ${idleCpuSeconds.toFixed(2)} CPU-s`);
    const spoofed = await measuredFlood(lab, supernode, options, say);
    const warm = await measuredFlood(lab, supernode, options, say);
    // a profile is written at a clean stop: kill -9 would lose the flood's
    if (profiling && kind === 'fastd-ts') return { cold, idleCpuSeconds, flood: spoofed, warmFlood: warm, restart: cold, storm: { renewed: 0, cpuSeconds: Number.NaN } };
    const restarted = await restart(lab, supernode);
    say(`restart: all back ${restarted.allBackSeconds?.toFixed(1) ?? 'never'} s, ${restarted.cpuSeconds.toFixed(2)} CPU-s (${restarted.startCpuSeconds.toFixed(2)} until up)`);
    const stormed = await storm(lab, supernode);
    say(`storm: ${stormed.renewed} renewed, ${stormed.cpuSeconds.toFixed(2)} CPU-s`);
    return { cold, idleCpuSeconds, flood: spoofed, warmFlood: warm, restart: restarted, storm: stormed };
  } finally {
    await supernode.stop();
    await lab.stopClients();
    if (logDir !== undefined) copyFileSync(supernode.logPath, join(logDir, `${label}.log`));
  }
}

interface Figure {
  readonly label: string;
  readonly value: (turn: HandshakeTurn) => number;
  readonly digits: number;
}

function figures(seconds: number): Figure[] {
  return [
    { label: 'cold start: handshakes per CPU-s (start-up included)', value: (t) => perCpuSecond(t.cold.backAtEnd, t.cold.cpuSeconds), digits: 0 },
    { label: 'cold start: handshakes per CPU-s once it was up', value: (t) => perCpuSecond(t.cold.backAtEnd, t.cold.cpuSeconds - t.cold.startCpuSeconds), digits: 0 },
    { label: `idle CPU-s over ${seconds} s`, value: (t) => t.idleCpuSeconds, digits: 2 },
    ...(['flood', 'warmFlood'] as const).flatMap((which): Figure[] => {
      const name = which === 'flood' ? 'spoofed inits' : 'again at once';
      return [
        { label: `${name}: CPU-s over ${seconds} s`, value: (t) => t[which].cpuSeconds, digits: 2 },
        { label: `${name}: of which its main thread`, value: (t) => t[which].mainThreadCpuSeconds, digits: 2 },
        { label: `${name}: answered`, value: (t) => t[which].answered, digits: 0 },
        { label: `${name}: answered per CPU-s`, value: (t) => perCpuSecond(t[which].answered, t[which].cpuSeconds), digits: 0 },
        { label: `${name}: the same above its idle CPU`, value: (t) => perCpuSecond(t[which].answered, t[which].cpuSeconds - t.idleCpuSeconds), digits: 0 },
      ];
    }),
    { label: 'restart: all back (s)', value: (t) => t.restart.allBackSeconds ?? Number.NaN, digits: 1 },
    { label: 'restart: handshakes per CPU-s (start-up included)', value: (t) => perCpuSecond(t.restart.backAtEnd, t.restart.cpuSeconds), digits: 0 },
    { label: 'restart: handshakes per CPU-s once it was up', value: (t) => perCpuSecond(t.restart.backAtEnd, t.restart.cpuSeconds - t.restart.startCpuSeconds), digits: 0 },
    { label: 'storm: handshakes per CPU-s', value: (t) => perCpuSecond(t.storm.renewed, t.storm.cpuSeconds), digits: 0 },
  ];
}

function table(results: ReadonlyMap<DaemonKind, readonly HandshakeTurn[]>, seconds: number): string {
  const kinds = KINDS.filter((kind) => (results.get(kind) ?? []).length > 0);
  const both = kinds.length === KINDS.length;
  const of = (kind: DaemonKind) => results.get(kind) ?? [];
  const body = figures(seconds).map(({ label, value, digits }) => {
    const cell = (t: HandshakeTurn) => (Number.isFinite(value(t)) ? value(t).toFixed(digits) : 'n/a');
    return [label, ...kinds.map((kind) => of(kind).map(cell).join('; ')), ...(both ? [ratioCell(of('fastd-ts').map(value), of('fastd').map(value))] : [])];
  });
  return alignedTable(['figure', ...kinds.map((kind) => (kind === 'fastd' ? 'Debian fastd' : kind)), ...(both ? ['fastd-ts / fastd'] : [])], body);
}

/** What a run does, from its command line. */
export interface BenchOptions {
  readonly routers: number;
  readonly rounds: number;
  readonly kinds: readonly DaemonKind[];
  readonly turn: TurnOptions;
}

/** The command line read: 'help' for --help, undefined when it is not one this bench takes (an unknown option, a missing value). */
export function benchOptions(argv: readonly string[]): BenchOptions | 'help' | undefined {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  if (!wellFormed(argv)) return undefined;
  const routers = numberOption(argv, '--routers', 200);
  const seconds = numberOption(argv, '--seconds', 20);
  const rounds = numberOption(argv, '--rounds', 1);
  const [profileDir] = optionValues(argv, '--cpu-prof');
  const nodeArgs = [...(profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]), ...optionValues(argv, '--node-option')];
  const [only] = optionValues(argv, '--only');
  const [logDir] = optionValues(argv, '--log-dir');
  const [floodKeys = 'fixed'] = optionValues(argv, '--flood-keys');
  const kinds = only === undefined ? KINDS : KINDS.filter((kind) => kind === only);
  if (![routers, seconds, rounds].every((n) => Number.isInteger(n) && n >= 1) || kinds.length === 0) return undefined;
  if (floodKeys !== 'fixed' && floodKeys !== 'fresh') return undefined;
  return { routers, rounds, kinds, turn: { seconds, nodeArgs, profiling: profileDir !== undefined, logDir, freshKeys: floodKeys === 'fresh' } };
}

async function main(argv: readonly string[]): Promise<number> {
  const options = benchOptions(argv);
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (options === undefined) {
    progress(USAGE);
    return 2;
  }
  const { routers, rounds, kinds, turn: turnOptions } = options;
  const { seconds, logDir } = turnOptions;
  if (logDir !== undefined) mkdirSync(logDir, { recursive: true });
  const missing = missingPrerequisites();
  if (missing.length > 0) {
    progress(`the handshake bench needs: ${missing.join('; ')}`);
    return 1;
  }
  const work = mkdtempSync(join(tmpdir(), 'fastd-ts-bench-handshakes-'));
  const results = new Map<DaemonKind, HandshakeTurn[]>(kinds.map((kind) => [kind, []]));
  let lab: SupernodeLab | undefined;
  try {
    lab = SupernodeLab.create(work, { routers, probes: 1, ownAddresses: false });
    for (let round = 0; round < rounds; round++) {
      for (const kind of roundOrder(kinds, round)) results.get(kind)!.push(await turn(lab, kind, `${kind}-${round + 1}`, turnOptions));
    }
  } finally {
    lab?.delete();
    rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(`\n${table(results, seconds)}\n\n${routers} routers sharing one address + 1 probe; ${rounds} turn(s) per supernode; medians compared (connect deadline ${connectDeadlineSeconds(routers)} s)\n`);
  return 0;
}

runAsScript(import.meta.url, 'bench:handshakes', main);
