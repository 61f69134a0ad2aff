// `npm run bench:first-pings`: how a fresh tunnel performs in its first second, next to
// Debian's fastd in the same run. Per setup (fastd → fastd, fastd-ts → fastd, fastd-ts →
// fastd-ts; salsa2012+umac, tap): the time from starting the daemons to the first ping
// answered through the tunnel, then the first 50 pings after it, 20 ms apart (avg and max),
// while V8 may still be interpreting the datapath. Setups take turns in alternating order.
//
// Run (root; Debian's fastd installed): npm run bench:first-pings [-- --quick]
import { BenchTunnel, TUNNEL_ADDRESSES } from './bench-tunnel.js';
import { roundOrder, type Setup } from './report.js';
import { pingTimes } from './traffic.js';
import { progress, runAsScript } from './script.js';

const METHOD = 'salsa2012+umac';
const SETUPS: readonly Setup[] = [
  { id: 'fastd-fastd', kinds: ['fastd', 'fastd'], method: METHOD },
  { id: 'ts-fastd', kinds: ['fastd-ts', 'fastd'], method: METHOD },
  { id: 'ts-ts', kinds: ['fastd-ts', 'fastd-ts'], method: METHOD },
];
const PINGS = 50;
const GAP_SECONDS = 0.02;

interface Sample {
  readonly firstReplyMs: number;
  readonly rtts: readonly number[];
}

async function measure(setup: Setup): Promise<Sample> {
  const tunnel = BenchTunnel.create(setup);
  try {
    const started = performance.now();
    await tunnel.start();
    const firstReplyMs = performance.now() - started;
    const rtts = await pingTimes(tunnel.sides[0], TUNNEL_ADDRESSES[1], PINGS, GAP_SECONDS);
    return { firstReplyMs, rtts };
  } finally {
    await tunnel.close();
  }
}

const average = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);

async function main(argv: string[]): Promise<number> {
  const runs = argv.includes('--quick') ? 1 : 3;
  const samples = new Map<string, Sample[]>(SETUPS.map((setup) => [setup.id, []]));
  for (let run = 0; run < runs; run++) {
    for (const setup of roundOrder(SETUPS, run)) {
      progress(`run ${run + 1}/${runs}: ${setup.id}`);
      samples.get(setup.id)!.push(await measure(setup));
    }
  }
  process.stdout.write(`first ${PINGS} pings (${GAP_SECONDS * 1000} ms apart) after the first answered one, per run:\n`);
  for (const setup of SETUPS) {
    for (const sample of samples.get(setup.id)!) {
      const { rtts } = sample;
      process.stdout.write(
        `${setup.id.padEnd(12)} first reply after start ${(sample.firstReplyMs / 1000).toFixed(2)} s   ` +
          `pings ${rtts.length}/${PINGS}  avg ${average(rtts).toFixed(3)} ms  max ${Math.max(...rtts).toFixed(3)} ms\n`,
      );
    }
  }
  return 0;
}

runAsScript(import.meta.url, 'bench:first-pings', main);
