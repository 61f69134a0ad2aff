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
import { NO_IMPAIRMENT } from './impairment.js';
import { type ImpairmentFigures, runImpairment } from './impairment-scenario.js';
import { type FloodRun, floodRun } from './flood-bench.js';
import { type DaemonRun, FLOOD_SHAPES, initFloodRun, NEWCOMER_DEADLINE_MS } from './init-flood-bench.js';
import type { LabKeys } from './lab.js';
import { type ReloadFigures, reloadKeys, runReload } from './reload-scenario.js';
import { describeImpairment, formatChaosTable, garbageSection, impairmentSection, initFloodSection, reloadSection, restartSection, type Section } from './report.js';
import { type ChaosOptions, parseChaosOptions, USAGE } from './options.js';
import { type RestartFigures, runRestarts, SESSION_SETTLE_MS } from './restart-scenario.js';

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
    results.reload.set(kind, await runReload(kind, keys, extra, options.recoveryDeadlineMs, options.breakOwnFile));
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
    ...(options.floods && results.inits.size > 0 ? [initFloodSection(results.inits, options.floods.initRate, options.floods.initSeconds, NEWCOMER_DEADLINE_MS / 1000)] : []),
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
