// The I/O backend switch end to end: fastd-ts started with --io-backend fallback runs the
// fallback backend, says so in its log and in its status socket, and carries traffic.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { BenchTunnel } from '../../src/bench/bench-tunnel.ts';
import { cleanUpEverything } from '../../src/testbed/cleanup.ts';
import { haveDebianFastd, haveNetns, isRoot, requireSystem } from '../helpers/prereq.ts';

const ok = requireSystem('I/O backend switch', {
  root: isRoot,
  netns: haveNetns,
  'fastd (for the keys)': haveDebianFastd,
  'fastd-ts build (npm run build)': existsSync(fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))),
});
const DEADLINE_MS = 60_000;
const PINGS = 3;

describe.runIf(ok)('--io-backend', () => {
  afterAll(cleanUpEverything);

  it('fallback: used, logged, reported in the status socket, and the tunnel works', async () => {
    const tunnel = BenchTunnel.create({ id: 'fallback', kinds: ['fastd-ts', 'fastd-ts'], method: 'null', fallback: true });
    onTestFailed(() => {
      process.stderr.write(tunnel.logs());
    });
    try {
      await tunnel.start();
      expect(await tunnel.backends()).toEqual(['fallback', 'fallback']);
      for (const daemon of tunnel.daemons) expect(daemon.log()).toMatch(/datapath I\/O backend: fallback$/m);
      expect((await tunnel.idleRtt(PINGS, 0.1)).length).toBeGreaterThan(0);
    } finally {
      await tunnel.close();
    }
  }, DEADLINE_MS);
});
