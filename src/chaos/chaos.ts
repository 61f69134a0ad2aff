// `npm run test:chaos` (root): fastd-ts tried as an attacker and a bad network would, with
// Debian fastd in its place in the same run, the same keys and configuration: a bad network
// (impairment-scenario.ts), kill -9 of either end (restart-scenario.ts), SIGHUP with broken
// peer files (reload-scenario.ts), and the floods of the flood benches (flood-bench.ts: garbage,
// init-flood-bench.ts: spoofed handshake inits). Prints one table (report.ts). `--quick` is
// the short version CI runs (test/chaos/chaos.e2e.test.ts), without the floods (they have CI
// tests of their own: test/chaos/garbage-flood.e2e.test.ts, init-flood.e2e.test.ts).
import { generateKeyPair } from '../bench/daemon.js';
import type { DaemonKind } from '../bench/report.js';
import { missingPrerequisites, progress, runAsScript } from '../bench/script.js';
import { type ImpairmentSettings, NO_IMPAIRMENT } from './impairment.js';
import { type ImpairmentFigures, runImpairment } from './impairment-scenario.js';
import { type FloodRun, floodRun } from './flood-bench.js';
import { type DaemonRun, FLOOD_SHAPES, initFloodRun } from './init-flood-bench.js';
import type { LabKeys } from './lab.js';
import { type ReloadFigures, reloadKeys, runReload } from './reload-scenario.js';
import { describeImpairment, formatChaosTable, garbageSection, impairmentSection, initFloodSection, KINDS, reloadSection, restartSection, type Section } from './report.js';
import { type RestartFigures, runRestarts, SESSION_SETTLE_MS } from './restart-scenario.js';

export interface ChaosOptions {
  readonly kinds: readonly DaemonKind[];
  readonly impairment: ImpairmentSettings;
  /** iperf3's seconds through the relay. */
  readonly seconds: number;
  readonly pingIntervalSeconds: number;
  /** Also a run through the relay without impairment: what it carries at all. */
  readonly cleanRelay: boolean;
  /**
   * Run the restarts (which wait out fastd's 15 s quiet period twice) beside the other
   * scenarios instead of after them: shorter, but their figures then share the CPU.
   */
  readonly restartsBeside: boolean;
  /** How long a restart or a reload gets to recover before it counts as failed. */
  readonly recoveryDeadlineMs: number;
  /** The garbage flood (count, rate) and the spoofed-init flood (rate, seconds); none in --quick unless --floods. */
  readonly floods: { readonly garbageCount: number; readonly garbageRate: number; readonly initRate: number; readonly initSeconds: number } | undefined;
}

/** Issue 15's floods: 1,000,000 garbage datagrams at 200 kpps; 10,000 spoofed inits a second. */
const FLOODS: ChaosOptions['floods'] = { garbageCount: 1_000_000, garbageRate: 200_000, initRate: 10_000, initSeconds: 5 };

/** Issue 15's bad network: 5 % loss, 2 % duplication, reordering; and a millisecond of delay. */
export const ISSUE_IMPAIRMENT: ImpairmentSettings = { loss: 0.05, duplicate: 0.02, reorder: 0.02, reorderGap: 3, delayMs: 1, seed: 15 };

const FULL: ChaosOptions = {
  kinds: KINDS,
  impairment: ISSUE_IMPAIRMENT,
  seconds: 10,
  pingIntervalSeconds: 0.1,
  cleanRelay: true,
  restartsBeside: false,
  recoveryDeadlineMs: 60_000,
  floods: FLOODS,
};

const QUICK: ChaosOptions = { ...FULL, seconds: 3, pingIntervalSeconds: 0.02, cleanRelay: false, restartsBeside: true, recoveryDeadlineMs: 45_000, floods: undefined };

export const USAGE = 'usage: npm run test:chaos [-- --quick] [--floods] [--only fastd|fastd-ts] [--seed N] [--loss %] [--duplicate %] [--reorder %] [--delay ms] [--seconds S]';

/** Impairment options in percent (or ms), as an operator says them. */
const IMPAIRMENT_FLAGS: Readonly<Record<string, [keyof ImpairmentSettings, number, number]>> = {
  '--loss': ['loss', 0, 100],
  '--duplicate': ['duplicate', 0, 100],
  '--reorder': ['reorder', 0, 100],
  '--delay': ['delayMs', 0, 1000],
  '--seed': ['seed', 0, 2 ** 32 - 1],
};

/** The command line; a string says what is wrong with it. */
export function parseChaosOptions(argv: readonly string[]): ChaosOptions | string {
  let options = argv.includes('--quick') ? QUICK : FULL;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg === '--quick') continue;
    if (arg === '--floods') {
      options = { ...options, floods: FLOODS };
      continue;
    }
    const value = Number(next);
    if (arg === '--only') {
      if (next !== 'fastd' && next !== 'fastd-ts') return `--only takes fastd or fastd-ts, not ${next ?? 'nothing'}`;
      options = { ...options, kinds: [next] };
    } else if (arg === '--seconds') {
      if (!Number.isInteger(value) || value < 1 || value > 600) return `--seconds takes a whole number from 1 to 600, not ${next ?? 'nothing'}`;
      options = { ...options, seconds: value };
    } else if (IMPAIRMENT_FLAGS[arg]) {
      const [field, min, max] = IMPAIRMENT_FLAGS[arg];
      if (next === undefined || !Number.isFinite(value) || value < min || value > max) return `${arg} takes a number from ${min} to ${max}, not ${next ?? 'nothing'}`;
      const scaled = field === 'delayMs' || field === 'seed' ? value : value / 100;
      options = { ...options, impairment: { ...options.impairment, [field]: scaled } };
    } else {
      return `unknown option ${arg}`;
    }
    i++;
  }
  return options;
}

export interface ChaosResults {
  readonly clean: Map<DaemonKind, ImpairmentFigures>;
  readonly impaired: Map<DaemonKind, ImpairmentFigures>;
  readonly restarts: Map<DaemonKind, RestartFigures>;
  readonly reload: Map<DaemonKind, ReloadFigures>;
  readonly garbage: Map<DaemonKind, FloodRun>;
  readonly inits: Map<DaemonKind, DaemonRun>;
}

/** Every scenario with each daemon in turn on side b, the same keys for both. */
export async function runChaos(options: ChaosOptions): Promise<ChaosResults> {
  const keys: LabKeys = { a: generateKeyPair(), b: generateKeyPair() };
  const extra = reloadKeys();
  const results: ChaosResults = { clean: new Map(), impaired: new Map(), restarts: new Map(), reload: new Map(), garbage: new Map(), inits: new Map() };
  const restarts = async (kind: DaemonKind) => {
    progress(`${kind}: kill -9 of either end`);
    results.restarts.set(kind, await runRestarts(kind, keys, options.recoveryDeadlineMs));
  };
  const beside = options.restartsBeside ? options.kinds.map(restarts) : [];
  for (const kind of options.kinds) {
    if (options.cleanRelay) {
      progress(`${kind}: through the relay without impairment`);
      results.clean.set(kind, await runImpairment(kind, keys, NO_IMPAIRMENT, options.seconds, options.pingIntervalSeconds));
    }
    progress(`${kind}: through the relay with ${describeImpairment(options.impairment)}`);
    results.impaired.set(kind, await runImpairment(kind, keys, options.impairment, options.seconds, options.pingIntervalSeconds));
    if (!options.restartsBeside) await restarts(kind);
    progress(`${kind}: SIGHUP with broken peer files`);
    results.reload.set(kind, await runReload(kind, keys, extra, options.recoveryDeadlineMs));
    const floods = options.floods;
    if (floods) {
      progress(`${kind}: garbage flood`);
      results.garbage.set(kind, await floodRun(kind, floods.garbageCount, floods.garbageRate));
      progress(`${kind}: spoofed handshake inits`);
      results.inits.set(kind, await initFloodRun(kind, FLOOD_SHAPES, floods.initRate, floods.initSeconds));
    }
  }
  await Promise.all(beside);
  return results;
}

export function chaosSections(results: ChaosResults, options: ChaosOptions): Section[] {
  const deadline = `${options.recoveryDeadlineMs / 1000} s`;
  return [
    ...(results.clean.size > 0 ? [impairmentSection(NO_IMPAIRMENT, results.clean)] : []),
    impairmentSection(options.impairment, results.impaired),
    restartSection(results.restarts, SESSION_SETTLE_MS / 1000, options.restartsBeside, deadline),
    reloadSection(results.reload, deadline),
    ...(options.floods && results.garbage.size > 0 ? [garbageSection(results.garbage, options.floods.garbageCount, options.floods.garbageRate)] : []),
    ...(options.floods && results.inits.size > 0 ? [initFloodSection(results.inits, options.floods.initRate, options.floods.initSeconds)] : []),
  ];
}

async function main(argv: string[]): Promise<number> {
  const options = parseChaosOptions(argv);
  if (typeof options === 'string') {
    progress(`${options}\n${USAGE}`);
    return 2;
  }
  const missing = missingPrerequisites(['iperf3', 'ping', ...(options.floods ? ['tcpdump'] : [])]);
  if (missing.length > 0) {
    progress(`the chaos suite needs: ${missing.join(', ')}`);
    return 1;
  }
  const results = await runChaos(options);
  process.stdout.write(`${formatChaosTable(chaosSections(results, options))}\n`);
  return 0;
}

runAsScript(import.meta.url, 'chaos suite', main);
