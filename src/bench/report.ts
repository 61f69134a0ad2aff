// What the tunnel bench prints: one row per setup (medians over the runs) and the goals of
// the datapath issue as ratios between rows measured in the same run. Pure functions, so
// the arithmetic is tested without namespaces.
import type { MechanismCounters } from './mechanisms.js';

export type DaemonKind = 'fastd' | 'fastd-ts';

export interface Setup {
  /** Short name used in the goals, e.g. "ts-ts salsa2012+umac". */
  readonly id: string;
  readonly kinds: readonly [DaemonKind, DaemonKind];
  readonly method: string;
  /** fastd-ts only: --io-backend fallback. */
  readonly fallback?: boolean;
  /** fastd-ts only: UDP GSO/GRO off (FASTD_TS_GSO=0). */
  readonly noGso?: boolean;
  /** fastd-ts only: TUN/TAP vnet-header offloads off (FASTD_TS_OFFLOAD=0). */
  readonly noOffload?: boolean;
  /** fastd-ts only: one datapath worker (--workers 1). */
  readonly oneWorker?: boolean;
}

/** Raw measurements of one setup, one entry per iperf3 run. */
interface Measurements {
  readonly mbit: readonly number[];
  /** Per run: CPU seconds per GB received, of side a (sender) and side b (receiver). */
  readonly cpuPerGb: readonly (readonly [number, number])[];
  readonly retransmits: readonly number[];
  /** Per run: tunnel datagrams dropped by the kernel for full socket receive buffers (both sides). */
  readonly udpDrops: readonly number[];
  readonly rttMs: readonly number[];
  /** Per run: the pings a → b during it, how many went out and the replies' RTTs in ms. */
  readonly loadPings: readonly { readonly sent: number; readonly times: readonly number[] }[];
  readonly rssMiB: readonly [number, number];
  /** What each fastd-ts side logged as its I/O backend ("-" for fastd). */
  readonly backends: readonly [string, string];
  /** Each side's mechanism counters after the runs (undefined for Debian's fastd). */
  readonly mechanisms?: readonly [MechanismCounters | undefined, MechanismCounters | undefined];
}

export interface Row {
  readonly setup: Setup;
  readonly mbit: number;
  readonly cpuPerGb: readonly [number, number];
  readonly retransmits: number;
  readonly udpDrops: number;
  readonly rttMs: number;
  /** The pings during the iperf3 runs, all runs pooled. */
  readonly loadPing: PingSummary;
  readonly rssMiB: readonly [number, number];
  readonly backends: readonly [string, string];
  readonly mechanisms?: Measurements['mechanisms'];
  readonly runs: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The value below which a share `p` (0-1) of the values lie (nearest rank); NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export interface PingSummary {
  readonly avgMs: number;
  readonly maxMs: number;
  readonly answered: number;
  readonly sent: number;
}

export function summarizePings(times: readonly number[], sent: number): PingSummary {
  const avgMs = times.length === 0 ? Number.NaN : times.reduce((sum, time) => sum + time, 0) / times.length;
  return { avgMs, maxMs: times.length === 0 ? Number.NaN : Math.max(...times), answered: times.length, sent };
}

/** `avg / max`, and how many got no answer. */
export function pingCell(summary: PingSummary): string {
  return `${fixed(summary.avgMs, 2)} / ${fixed(summary.maxMs, 1)}${summary.answered < summary.sent ? ` (${summary.sent - summary.answered} lost)` : ''}`;
}

export function summarize(setup: Setup, m: Measurements): Row {
  return {
    setup,
    mbit: median(m.mbit),
    cpuPerGb: [median(m.cpuPerGb.map((run) => run[0])), median(m.cpuPerGb.map((run) => run[1]))],
    retransmits: median(m.retransmits),
    udpDrops: median(m.udpDrops),
    rttMs: median(m.rttMs),
    loadPing: summarizePings(
      m.loadPings.flatMap((run) => run.times),
      m.loadPings.reduce((sum, run) => sum + run.sent, 0),
    ),
    rssMiB: m.rssMiB,
    backends: m.backends,
    mechanisms: m.mechanisms,
    runs: m.mbit.length,
  };
}

export function setupLabel(setup: Setup): string {
  const pair = `${setup.kinds[0]} → ${setup.kinds[1]}`;
  const variant = [
    setup.fallback ? 'fallback' : '',
    setup.noGso ? 'no GSO/GRO' : '',
    setup.noOffload ? 'no TUN/TAP offloads' : '',
    setup.oneWorker ? '1 worker' : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${pair} ${setup.method}${variant ? ` (${variant})` : ''}`;
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** The table, columns aligned; a and b are the sending and the receiving side. */
export function formatTable(rows: readonly Row[]): string {
  const header = ['setup (a → b)', 'Mbit/s', 'retr', 'UDP drops', 'CPU s/GB a', 'CPU s/GB b', 'RTT ms', 'loaded RTT avg / max', 'RSS MiB a', 'RSS MiB b', 'io a/b', 'runs'];
  const body = rows.map((row) => [
    setupLabel(row.setup),
    fixed(row.mbit, 0),
    fixed(row.retransmits, 0),
    fixed(row.udpDrops, 0),
    fixed(row.cpuPerGb[0], 2),
    fixed(row.cpuPerGb[1], 2),
    fixed(row.rttMs, 3),
    pingCell(row.loadPing),
    fixed(row.rssMiB[0], 0),
    fixed(row.rssMiB[1], 0),
    `${row.backends[0]}/${row.backends[1]}`,
    String(row.runs),
  ]);
  return alignedTable(header, body);
}

/** Columns aligned, the first left and the rest right. */
export function alignedTable(header: readonly string[], body: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => cells[column]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...body.map(line)].join('\n');
}

export interface Goal {
  readonly what: string;
  readonly value: number;
  readonly target: string;
  readonly met: boolean;
}

/** The issue's goals that three setups of one method (fastd↔fastd, fastd-ts↔fastd, fastd-ts↔fastd-ts) allow. */
export function goals(method: string, base: Row, mixed: Row | undefined, ours: Row): Goal[] {
  const result: Goal[] = [];
  const speedup = ours.mbit / base.mbit;
  result.push({ what: `${method}: fastd-ts↔fastd-ts / fastd↔fastd throughput`, value: speedup, target: '≥ 2.00×', met: speedup >= 2 });
  if (mixed) {
    const mixedSpeedup = mixed.mbit / base.mbit;
    result.push({ what: `${method}: fastd-ts↔fastd / fastd↔fastd throughput`, value: mixedSpeedup, target: '≥ 1.00×', met: mixedSpeedup >= 1 });
  }
  const cpu = (ours.cpuPerGb[0] + ours.cpuPerGb[1]) / (base.cpuPerGb[0] + base.cpuPerGb[1]);
  result.push({ what: `${method}: CPU per GB, both fastd-ts / both fastd`, value: cpu, target: '≤ 0.50×', met: cpu <= 0.5 });
  const rtt = ours.rttMs - base.rttMs;
  result.push({ what: `${method}: idle RTT, fastd-ts↔fastd-ts − fastd↔fastd (ms)`, value: rtt, target: '≤ 0.10', met: rtt <= 0.1 });
  return result;
}

export function formatGoals(list: readonly Goal[]): string {
  const width = Math.max(...list.map((goal) => goal.what.length));
  return list.map((goal) => `${goal.what.padEnd(width)}  ${fixed(goal.value, 2).padStart(6)}  (goal ${goal.target})  ${goal.met ? 'met' : 'NOT met'}`).join('\n');
}

/**
 * The order of the setups in each round: forwards in even rounds, backwards in odd ones
 * (A B C, C B A, …), so slow drift of the machine spreads evenly over the setups.
 */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...items] : [...items].reverse();
}
