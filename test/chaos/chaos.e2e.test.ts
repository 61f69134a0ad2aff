// The chaos suite's quick version (`npm run test:chaos -- --quick`) through its own code, both
// daemons on side b in turn: the tunnel completes across the impairment relay with no
// duplicate delivered, each kill -9 recovers within a bound generous enough for a loaded CI
// machine, a broken peer file on SIGHUP leaves the running peer's session up and is reported,
// and a fixed one is picked up. Behaviour only; no figure is held against a speed.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUpEverything } from '../../src/testbed/cleanup.ts';
import { chaosSections, runChaos } from '../../src/chaos/chaos.ts';
import { type ChaosOptions, parseChaosOptions } from '../../src/chaos/options.ts';
import { formatChaosTable } from '../../src/chaos/report.ts';
import { haveDebianFastd, haveNetns, isRoot, requireSystem } from '../helpers/prereq.ts';

const ok = requireSystem('chaos suite quick run', {
  root: isRoot,
  netns: haveNetns,
  fastd: haveDebianFastd,
  iperf3: existsSync('/usr/bin/iperf3'),
  'fastd-ts build (npm run build)': existsSync(fileURLToPath(new URL('../../dist/chaos/impairment-relay.js', import.meta.url))),
});

/** A restart on a loaded CI machine: fastd-ts's start-up, one handshake retry of fastd's (~20 s) and slack. */
const RECOVERY_BOUND_SECONDS = 40;
const DEADLINE_MS = 240_000;

describe.runIf(ok)('chaos suite, quick', () => {
  afterAll(cleanUpEverything);

  it('survives the bad network, the restarts and the broken reloads with both daemons', async () => {
    const options = parseChaosOptions(['--quick']) as ChaosOptions;
    const results = await runChaos(options);
    process.stderr.write(`${formatChaosTable(chaosSections(results, options))}\n`);
    for (const kind of ['fastd', 'fastd-ts'] as const) {
      const impaired = results.impaired.get(kind)!;
      expect(impaired.iperfError, kind).toBeUndefined();
      expect(impaired.mbit, kind).toBeGreaterThan(0);
      expect(impaired.pings.answered, kind).toBeGreaterThan(0);
      expect(impaired.pings.duplicates, kind).toBe(0);
      expect(impaired.relay.up.duplicated + impaired.relay.down.duplicated, `${kind}: the relay duplicated`).toBeGreaterThan(0);
      // (not one for one: a copy the kernel drops at a full socket buffer leaves nothing to replay)
      if (kind === 'fastd-ts') expect(impaired.replayDrops, 'duplicates towards fastd-ts dropped as replay').toBeGreaterThan(0);

      const { underTest, router } = results.restarts.get(kind)!;
      for (const [what, recovery] of [['b killed', underTest], ['a killed', router]] as const) {
        expect(recovery.pingSeconds, `${kind}, ${what}: pings back`).toBeLessThan(RECOVERY_BOUND_SECONDS);
        expect(recovery.statusSeconds, `${kind}, ${what}: status connected`).toBeLessThan(RECOVERY_BOUND_SECONDS);
      }

      const reload = results.reload.get(kind)!;
      for (const breakage of reload.breakages) {
        expect(breakage.routerKept, `${kind}, ${breakage.name}: the router's session kept`).toBe(true);
        expect(breakage.logLines.length, `${kind}, ${breakage.name}: reported`).toBeGreaterThan(0);
      }
      expect(reload.fixSeconds, `${kind}: the fixed file picked up`).toBeDefined();
    }
    const syntaxError = results.reload.get('fastd-ts')!.breakages.find((b) => b.name === 'syntax error')!;
    expect(syntaxError.logLines[0], 'fastd-ts names file:line:col').toMatch(/new-router:2:1\b/);
  }, DEADLINE_MS);
});
