// What the chaos suite prints: one Markdown table, a section per scenario, each figure in a
// row with Debian fastd's value and fastd-ts's side by side, the scenario's measured rates in
// its title. Pure functions over the scenarios' figures.
import type { DaemonKind } from '../bench/report.js';
import type { ImpairmentSettings } from './impairment.js';
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
const rate = (pps: number) => (pps >= 10_000 ? `${(pps / 1000).toFixed(0)} kpps` : `${pps.toFixed(0)} pps`);

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
  const rates = [...figures].map(([kind, f]) => `${kind}: relay took ${rate(f.relayPps.received)}, sent ${rate(f.relayPps.sent)}`).join('; ');
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
          const kept = breakage.routerKept ? 'kept' : `LOST (${breakage.lostPings} pings)`;
          return `${kept}; ${breakage.logLines[0] ?? 'nothing logged'}`;
        }),
      ),
      row('fixed file + SIGHUP: new peer listed after', figures, (f) => seconds(f.fixSeconds, deadline)),
      row('pings over the whole scenario', figures, (f) => pingCell(f.pings)),
    ],
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
