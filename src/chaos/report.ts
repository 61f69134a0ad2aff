// What the chaos suite prints: one Markdown table, a section per scenario, each figure in a
// row with Debian fastd's value and fastd-ts's side by side, the scenario's measured rates in
// its title. Pure functions over the scenarios' figures.
import type { DaemonKind } from '../bench/report.js';
import type { FloodRun } from './flood-bench.js';
import type { ImpairmentSettings } from './impairment.js';
import type { DaemonRun } from './init-flood-bench.js';
import type { ImpairmentFigures } from './impairment-scenario.js';
import type { PingTally } from './ping-watch.js';
import type { ReloadFigures } from './reload-scenario.js';
import type { Recovery, RestartFigures } from './restart-scenario.js';

export const KINDS: readonly DaemonKind[] = ['fastd', 'fastd-ts'];

export interface Row {
  readonly figure: string;
  readonly cells: Partial<Record<DaemonKind, string>>;
}

export interface Section {
  readonly title: string;
  readonly rows: readonly Row[];
}

type ByKind<T> = ReadonlyMap<DaemonKind, T>;

const percent = (fraction: number) => `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)} %`;
const seconds = (value: number | undefined, deadline: string) => (value === undefined ? `not within ${deadline}` : `${value.toFixed(1)} s`);
const pps = (value: number) => (value >= 10_000 ? `${(value / 1000).toFixed(0)} kpps` : `${value.toFixed(0)} pps`);

function row<T>(figure: string, figures: ByKind<T>, cell: (value: T, kind: DaemonKind) => string): Row {
  const cells: Partial<Record<DaemonKind, string>> = {};
  for (const [kind, value] of figures) cells[kind] = cell(value, kind);
  return { figure, cells };
}

export function describeImpairment(settings: ImpairmentSettings): string {
  const parts = [`${percent(settings.loss)} loss`, `${percent(settings.duplicate)} duplication`, `${percent(settings.reorder)} reordered by ${settings.reorderGap}`];
  if (settings.delayMs > 0) parts.push(`${settings.delayMs} ms delay`);
  return `${parts.join(', ')}, seed ${settings.seed}`;
}

function pingCell(tally: PingTally): string {
  const loss = tally.sent === 0 ? 'none sent' : `${tally.lost}/${tally.sent} lost`;
  return Number.isNaN(tally.avgMs) ? loss : `${loss}, avg ${tally.avgMs.toFixed(2)} ms`;
}

export function impairmentSection(settings: ImpairmentSettings, figures: ByKind<ImpairmentFigures>): Section {
  const rates = [...figures].map(([kind, f]) => `${kind}: relay took ${pps(f.relayPps.received)}, sent ${pps(f.relayPps.sent)}`).join('; ');
  return {
    title: `impairment relay (${describeImpairment(settings)}; during iperf3 ${rates})`,
    rows: [
      row('iperf3 a → b', figures, (f) => (f.mbit === undefined ? `did not complete: ${f.iperfError ?? ''}` : `completes, ${f.mbit.toFixed(0)} Mbit/s, ${f.retransmits} retransmits`)),
      row('pings', figures, (f) => pingCell(f.pings)),
      row('duplicates delivered (ping DUP!)', figures, (f) => String(f.pings.duplicates)),
      row('duplicates dropped as replay / duplicated towards b', figures, (f) => `${f.replayDrops ?? '-'} / ${f.duplicatedTowardsDaemon}`),
    ],
  };
}

function recoveryCells(figures: ByKind<RestartFigures>, killed: string, pick: (f: RestartFigures) => Recovery, deadline: string): Row[] {
  return [
    row(`${killed} killed: its TAP back after`, figures, (f) => seconds(pick(f).startSeconds, deadline)),
    row(`${killed} killed: pings answered again after`, figures, (f) => seconds(pick(f).pingSeconds, deadline)),
    row(`${killed} killed: b's status shows a connected after`, figures, (f) => seconds(pick(f).statusSeconds, deadline)),
  ];
}

export function restartSection(figures: ByKind<RestartFigures>, settleSeconds: number, beside: boolean, deadline: string): Section {
  return {
    title: `kill -9 and an immediate start, each ${settleSeconds} s into a session, pings every 0.1 s${beside ? ' (run beside the other scenarios)' : ''}`,
    rows: [...recoveryCells(figures, 'b (under test)', (f) => f.underTest, deadline), ...recoveryCells(figures, 'a (Debian fastd)', (f) => f.router, deadline)],
  };
}

export function reloadSection(figures: ByKind<ReloadFigures>, deadline: string): Section {
  const names = [...figures.values()][0]?.breakages.map((b) => b.name) ?? [];
  return {
    title: "SIGHUP with a broken file in b's peer directory, pings every 0.05 s",
    rows: [
      ...names.map((name, i) =>
        row(`${name}: router kept / logged`, figures, (f) => {
          const breakage = f.breakages[i]!;
          const lost = breakage.lostPings === 0 ? '' : ` (${breakage.lostPings} ping${breakage.lostPings === 1 ? '' : 's'} lost)`;
          const kept = `${breakage.routerKept ? 'kept' : 'DROPPED'}${lost}`;
          return `${kept}; ${breakage.logLines[0] ?? 'nothing logged'}`;
        }),
      ),
      row('fixed file + SIGHUP: new peer listed after', figures, (f) => seconds(f.fixSeconds, deadline)),
      row('pings lost through the other peers\' broken files', figures, (f) => String(f.lostBesideOwnFile)),
      ...([...figures.values()].some((f) => f.ownFile)
        ? [
            row("syntax error in the router's own file: router kept / logged", figures, (f) => (f.ownFile ? `${f.ownFile.routerKept ? 'kept' : 'dropped'}; ${f.ownFile.logLines[0] ?? 'nothing logged'}` : '')),
            row("the router's file fixed + SIGHUP: pings back after", figures, (f) => (f.ownFile ? seconds(f.ownFile.backSeconds, deadline) : '')),
          ]
        : []),
    ],
  };
}

export function garbageSection(figures: ByKind<FloodRun>, count: number, rate: number): Section {
  const reached = [...figures].map(([kind, run]) => `${kind} ${pps(run.flood.pps)}`).join(', ');
  return {
    title: `garbage flood at b's port during the session: ${count.toLocaleString('en')} datagrams asked at ${pps(rate)} (reached: ${reached})`,
    rows: [
      row('pings during the flood', figures, (run) => `${run.pingsSent - run.pingsAnswered}/${run.pingsSent} lost`),
      row("datagrams b's kernel dropped before the daemon", figures, (run) => run.kernelDrops.toLocaleString('en')),
      row("b's CPU over the flood", figures, (run) => `${run.cpuSeconds.toFixed(2)} s`),
      row("b's RSS before → after", figures, (run) => `${run.rssMiB[0].toFixed(1)} → ${run.rssMiB[1].toFixed(1)} MiB`),
      row('pings answered after the flood', figures, (run) => String(run.alive)),
    ],
  };
}
export function initFloodSection(figures: ByKind<DaemonRun>, rate: number, seconds: number, newcomerDeadlineSeconds: number): Section {
  const shapes = [...figures.values()][0]?.shapes.map((shape) => shape.shape) ?? [];
  const reached = [...figures].map(([kind, run]) => `${kind} ${run.shapes.map((shape) => pps(shape.flood.pps)).join(' / ')}`).join(', ');
  const shapeOf = (run: DaemonRun, i: number) => run.shapes[i]!;
  const newcomer = (value: number | null) => (value === null ? `not within ${newcomerDeadlineSeconds} s` : `${value.toFixed(1)} s`);
  return {
    title: `spoofed handshake inits with known keys, ${pps(rate)} for ${seconds} s during iperf3, from few and from many addresses (reached: ${reached})`,
    rows: shapes.flatMap((name, i) => [
      row(`${name} sources: iperf3 during the flood / without`, figures, (run) => `${shapeOf(run, i).mbit.toFixed(0)} / ${run.mbit.toFixed(0)} Mbit/s (${percent(shapeOf(run, i).mbit / run.mbit)})`),
      row(`${name} sources: b's CPU during the flood / without`, figures, (run) => `${shapeOf(run, i).cpuSeconds.toFixed(2)} / ${run.cpuSeconds.toFixed(2)} cores`),
      row(`${name} sources: a new router connected after`, figures, (run) => newcomer(shapeOf(run, i).newcomerSeconds)),
      row(`${name} sources: answers to spoofed addresses`, figures, (run) => shapeOf(run, i).flood.answered.toLocaleString('en')),
    ]),
  };
}

/** The table in Markdown: a section's title in its first row. */
export function formatChaosTable(sections: readonly Section[]): string {
  const escape = (text: string) => text.replaceAll('|', '\\|');
  const lines = ['| scenario / figure | Debian fastd | fastd-ts |', '|---|---|---|'];
  for (const section of sections) {
    lines.push(`| **${escape(section.title)}** | | |`);
    for (const { figure, cells } of section.rows) lines.push(`| ${escape(figure)} | ${KINDS.map((kind) => escape(cells[kind] ?? '')).join(' | ')} |`);
  }
  return lines.join('\n');
}
