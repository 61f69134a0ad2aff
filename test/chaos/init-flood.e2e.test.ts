// A fastd-ts flooded with 10,000 spoofed inits a second from a few addresses (the init-flood
// bench's lab and code, short windows): the established session keeps carrying iperf3
// traffic, a newcomer (Debian fastd) connects within 5 s, and the handshakes the token
// buckets refused are counted. Never how fast anything is, beyond the newcomer's goal.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUpEverything } from '../../src/testbed/cleanup.ts';
import { FLOOD_SHAPES, initFloodRun } from '../../src/chaos/init-flood-bench.ts';
import { haveDebianFastd, haveNetns, isRoot, requireSystem } from '../helpers/prereq.ts';

const ok = requireSystem('init flood against fastd-ts', {
  root: isRoot,
  netns: haveNetns,
  fastd: haveDebianFastd,
  iperf3: existsSync('/usr/bin/iperf3'),
  'fastd-ts build (npm run build)': existsSync(fileURLToPath(new URL('../../dist/chaos/init-flood-sender.js', import.meta.url))),
});

const RATE = 10_000;
const SECONDS = 3;

describe.runIf(ok)('spoofed init flood', () => {
  afterAll(cleanUpEverything);

  it('keeps the established session, lets a newcomer connect within 5 s and counts what the buckets refused', async () => {
    const few = FLOOD_SHAPES.find((shape) => shape.name === 'few')!;
    const run = await initFloodRun('fastd-ts', [few], RATE, SECONDS);
    const [flooded] = run.shapes;
    expect(flooded!.flood.sent).toBeGreaterThan(RATE * SECONDS * 0.5);
    expect(flooded!.mbit).toBeGreaterThan(0);
    expect(flooded!.newcomerSeconds).not.toBeNull();
    expect(flooded!.newcomerSeconds!).toBeLessThan(5);
    // most inits the daemon saw: the kernel drops some before it when the socket buffer is full
    expect(flooded!.dropped!['handshake_rate']).toBeGreaterThan(flooded!.flood.sent / 5);
    expect(flooded!.flood.answered).toBeLessThan(flooded!.flood.sent / 10);
  }, 60_000);
});
