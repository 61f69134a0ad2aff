// The chaos suite's settings: the full run, the quick one CI runs, and the command line that
// changes them (`npm run test:chaos -- …`).
import type { DaemonKind } from '../bench/report.js';
import type { ImpairmentSettings } from './impairment.js';
import { KINDS } from './report.js';

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
  /** Also break the router's own peer file on SIGHUP (its session ends; ~16 s until it is back). */
  readonly breakOwnFile: boolean;
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
  breakOwnFile: true,
  recoveryDeadlineMs: 60_000,
  floods: FLOODS,
};

const QUICK: ChaosOptions = { ...FULL, seconds: 3, pingIntervalSeconds: 0.02, cleanRelay: false, restartsBeside: true, breakOwnFile: false, recoveryDeadlineMs: 45_000, floods: undefined };

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
