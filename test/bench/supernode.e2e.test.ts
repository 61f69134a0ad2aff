// The supernode bench, end to end in a small form (20 routers sharing an address, 2 probes,
// short windows): both supernodes take their turn through the bench's own code. Asserts that
// every router connected to each, that traffic flowed and every figure is a finite number;
// never how fast anything is.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUpEverything } from '../../src/testbed/cleanup.ts';
import { connectDeadlineSeconds, runSupernodeBench } from '../../src/bench/supernode.ts';
import { formatSupernodeTable, parseSupernodeOptions, type SupernodeOptions } from '../../src/bench/supernode-report.ts';
import { haveDebianFastd, haveNetns, isRoot, requireSystem } from '../helpers/prereq.ts';

const ok = requireSystem('supernode bench smoke run', {
  root: isRoot,
  netns: haveNetns,
  fastd: haveDebianFastd,
  iperf3: existsSync('/usr/bin/iperf3'),
  'fastd-ts build (npm run build)': existsSync(fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))),
});

/** Two cold starts, two restarts (fastd-ts's takes up to ~90 s with routers sharing an address) and the windows. */
const DEADLINE_MS = 600_000;

describe.runIf(ok)('supernode bench', () => {
  afterAll(cleanUpEverything);

  it('connects every router to both supernodes, carries the flows and measures every figure', async () => {
    const options = parseSupernodeOptions(['--quick']) as SupernodeOptions;
    const results = await runSupernodeBench(options);
    const all = options.routers + options.probes;
    for (const kind of ['fastd', 'fastd-ts'] as const) {
      const [turn, ...more] = results.get(kind) ?? [];
      expect(more, kind).toHaveLength(0);
      expect(turn, kind).toBeDefined();
      const figures = turn!;
      expect(figures.coldStartSeconds, kind).toBeGreaterThan(0);
      expect(figures.mbit, kind).toBeGreaterThan(0);
      expect(figures.loadPing.answered, kind).toBeGreaterThan(0);
      expect(figures.idlePing.answered, kind).toBeGreaterThan(0);
      // the idle pings split at the supernode's veth and TAP
      expect(figures.idleHops.rounds, kind).toBeGreaterThan(0);
      expect(figures.loadHops.rounds, kind).toBeGreaterThan(0);
      for (const value of [figures.coldStartUdpDrops, figures.flowUdpDrops, figures.cpuPerGb, figures.rssMiB, figures.idleCpuSeconds, figures.flood.cpuSeconds, figures.coldStartCpuSeconds, figures.restart.cpuSeconds, figures.storm.cpuSeconds, figures.storm.ping.avgMs, figures.idlePing.avgMs, figures.idleHops.in, figures.idleHops.kernel, figures.idleHops.out, figures.loadHops.in, figures.loadHops.out, figures.loadHops.in90, figures.loadHops.out90, figures.loadPing.maxMs, figures.statusFetch.medianMs, figures.statusFetch.maxMs]) {
        expect(Number.isFinite(value) && value >= 0, `${kind}: ${value}`).toBe(true);
      }
      expect(figures.statusPing.answered, kind).toBeGreaterThan(0);
      expect(figures.flood.sent, kind).toBeGreaterThan(0);
      expect(figures.storm.renewed, kind).toBe(options.routers);
      expect(figures.restart.backAtEnd, kind).toBeGreaterThan(0);
      expect(figures.restart.backAtEnd, kind).toBeLessThanOrEqual(all);
    }
    const table = formatSupernodeTable(results, options, connectDeadlineSeconds(options.routers));
    expect(table).toContain(`cold start: all ${all} routers connected`);
    expect(table.split('\n')[0]).toContain('fastd-ts / fastd');
  }, DEADLINE_MS);
});
