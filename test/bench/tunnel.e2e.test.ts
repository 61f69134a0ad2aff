// The tunnel bench, end to end in its quickest form: two fastd-ts ↔ fastd-ts setups (the
// default backend, and --io-backend fallback) brought up in namespaces and measured once.
// Asserts that every figure of the table was really measured and that the backend switch
// reaches the datapath; never how fast anything is.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUpEverything } from '../../src/testbed/cleanup.ts';
import { formatMechanisms } from '../../src/bench/mechanisms.ts';
import { formatTable, type Setup } from '../../src/bench/report.ts';
import { runBench } from '../../src/bench/tunnel.ts';
import { haveDebianFastd, haveNetns, isRoot, requireSystem } from '../helpers/prereq.ts';

const ok = requireSystem('tunnel bench smoke run', {
  root: isRoot,
  netns: haveNetns,
  fastd: haveDebianFastd,
  iperf3: existsSync('/usr/bin/iperf3'),
  'fastd-ts build (npm run build)': existsSync(fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))),
});

const SETUPS: Setup[] = [
  { id: 'ts-ts null', kinds: ['fastd-ts', 'fastd-ts'], method: 'null' },
  { id: 'ts-ts null fallback', kinds: ['fastd-ts', 'fastd-ts'], method: 'null', fallback: true },
];
const PINGS = 5;
const DEADLINE_MS = 120_000;

describe.runIf(ok)('tunnel bench', () => {
  afterAll(cleanUpEverything);

  it('measures every column of a row, and the fallback backend is the one in use', async () => {
    const rows = await runBench({ runs: 1, seconds: 1, pings: PINGS }, SETUPS);
    expect(rows.map((row) => row.setup.id)).toEqual(SETUPS.map((setup) => setup.id));
    for (const row of rows) {
      expect(row.mbit).toBeGreaterThan(0);
      for (const value of [...row.cpuPerGb, ...row.rssMiB, row.rttMs, row.loadPing.avgMs, row.loadPing.maxMs]) {
        expect(Number.isFinite(value) && value > 0).toBe(true);
      }
      expect(row.loadPing.sent).toBeGreaterThan(0);
    }
    // The default prefers io_uring; where the kernel refuses it the daemon falls back by itself.
    expect(['io_uring', 'fallback']).toContain(rows[0]!.backends[0]);
    expect(rows[1]!.backends).toEqual(['fallback', 'fallback']);
    expect(formatTable(rows)).toContain('fastd-ts → fastd-ts null (fallback)');
    // every fastd-ts daemon's status socket gave its mechanism counters, covering the traffic
    for (const row of rows) {
      for (const side of row.mechanisms ?? []) expect(side?.tunnelPackets).toBeGreaterThan(0);
      expect(row.mechanisms?.every((side) => side !== undefined)).toBe(true);
    }
    expect(formatMechanisms(rows).split('\n')).toHaveLength(2 + 2 * rows.length);
  }, DEADLINE_MS);
});
