// The tunnel bench of the datapath issue: Debian's fastd and fastd-ts in every pairing,
// for salsa2012+umac and null, plus fastd-ts with the fallback I/O backend, without UDP
// GSO/GRO, without TUN/TAP offloads and with one worker, each in its own pair of
// namespaces, all measured in one run. Per setup: iperf3 TCP throughput (median of the
// runs), CPU seconds per GB of each daemon, the RTT of pings through the tunnel during the
// runs (avg / max, the runs pooled), the median idle ping RTT (after the traffic) and each
// daemon's RSS; then each fastd-ts daemon's mechanism counters from its status
// socket, and the goals as ratios.
//
// Run (root; Debian's fastd and iperf3 installed): npm run bench [-- --quick]
// The setups take turns in alternating order (A B C, C B A, …) so drift of a shared machine
// spreads over all of them. Figures from one run are comparable; from different runs, not.
import { BenchTunnel, type ThroughputRun } from './bench-tunnel.js';
import { missingPrerequisites, progress, runAsScript } from './script.js';
import { formatMechanisms } from './mechanisms.js';
import { type Goal, formatGoals, formatTable, goals, pingCell, type Row, roundOrder, type Setup, summarize, summarizePings } from './report.js';

const METHODS = ['salsa2012+umac', 'null'] as const;
const FULL = { runs: 3, seconds: 5, pings: 50 };
const QUICK = { runs: 1, seconds: 3, pings: 20 };
const PING_INTERVAL_SECONDS = 0.05;
/** Pings beside each iperf3 run: a few per second, too few to load the tunnel. */
const LOAD_PING_INTERVAL_SECONDS = 0.1;

function setups(): Setup[] {
  const list: Setup[] = [];
  for (const method of METHODS) {
    list.push({ id: `fastd-fastd ${method}`, kinds: ['fastd', 'fastd'], method });
    list.push({ id: `ts-fastd ${method}`, kinds: ['fastd-ts', 'fastd'], method });
    list.push({ id: `ts-ts ${method}`, kinds: ['fastd-ts', 'fastd-ts'], method });
  }
  const method = METHODS[0];
  list.push({ id: `ts-ts ${method} fallback`, kinds: ['fastd-ts', 'fastd-ts'], method, fallback: true });
  list.push({ id: `ts-ts ${method} no-gso`, kinds: ['fastd-ts', 'fastd-ts'], method, noGso: true });
  list.push({ id: `ts-ts ${method} no-offload`, kinds: ['fastd-ts', 'fastd-ts'], method, noOffload: true });
  list.push({ id: `ts-ts ${method} one-worker`, kinds: ['fastd-ts', 'fastd-ts'], method, oneWorker: true });
  return list;
}

/** Brings every setup up, measures them in alternating rounds, and returns the rows in setup order. */
export async function runBench(options: { runs: number; seconds: number; pings: number }, only?: readonly Setup[]): Promise<Row[]> {
  const list = only ?? setups();
  const tunnels: BenchTunnel[] = [];
  try {
    for (const setup of list) {
      progress(`starting ${setup.id}`);
      const tunnel = BenchTunnel.create(setup);
      tunnels.push(tunnel);
      await tunnel.start();
    }
    const runs = new Map<BenchTunnel, ThroughputRun[]>(tunnels.map((t) => [t, []]));
    for (let round = 0; round < options.runs; round++) {
      for (const tunnel of roundOrder(tunnels, round)) {
        const run = await tunnel.throughput(options.seconds, LOAD_PING_INTERVAL_SECONDS);
        runs.get(tunnel)!.push(run);
        const ping = summarizePings(run.pings.times, run.pings.sent);
        progress(
          `round ${round + 1}/${options.runs} ${tunnel.setup.id}: ${run.mbit.toFixed(0)} Mbit/s, ${run.retransmits} retransmits, ${run.udpDrops} UDP drops, ping ${pingCell(ping)} ms`,
        );
      }
    }
    // Idle RTT after the traffic, when V8 has optimized the datapath as in a daemon that has run
    // a while; right after start-up, fastd-ts's first packets run unoptimized code (~1 ms more).
    const rtt = new Map<BenchTunnel, number[]>();
    for (const tunnel of tunnels) rtt.set(tunnel, await tunnel.idleRtt(options.pings, PING_INTERVAL_SECONDS));
    // read after the pings: the workers publish their totals once a second, so the last run's are in by now
    const backends = await Promise.all(tunnels.map((tunnel) => tunnel.backends()));
    const mechanisms = await Promise.all(tunnels.map((tunnel) => tunnel.mechanisms()));
    return tunnels.map((tunnel, index) =>
      summarize(tunnel.setup, {
        mbit: runs.get(tunnel)!.map((run) => run.mbit),
        cpuPerGb: runs.get(tunnel)!.map((run) => run.cpuPerGb),
        retransmits: runs.get(tunnel)!.map((run) => run.retransmits),
        udpDrops: runs.get(tunnel)!.map((run) => run.udpDrops),
        rttMs: rtt.get(tunnel)!,
        loadPings: runs.get(tunnel)!.map((run) => run.pings),
        rssMiB: tunnel.rssMiB(),
        backends: backends[index]!,
        mechanisms: mechanisms[index]!,
      }),
    );
  } finally {
    await Promise.all(tunnels.map((tunnel) => tunnel.close()));
  }
}

function goalsOf(rows: readonly Row[]): Goal[] {
  const byId = new Map(rows.map((row) => [row.setup.id, row]));
  return METHODS.flatMap((method) => {
    const base = byId.get(`fastd-fastd ${method}`);
    const ours = byId.get(`ts-ts ${method}`);
    return base && ours ? goals(method, base, byId.get(`ts-fastd ${method}`), ours) : [];
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const unknown = argv.filter((arg) => arg !== '--quick');
  if (unknown.length > 0) {
    progress(`usage: npm run bench [-- --quick]  (unknown: ${unknown.join(' ')})`);
    return 2;
  }
  const missing = missingPrerequisites(['iperf3']);
  if (missing.length > 0) {
    progress(`the tunnel bench needs: ${missing.join('; ')}`);
    return 1;
  }
  const options = argv.includes('--quick') ? QUICK : FULL;
  const started = Date.now();
  const rows = await runBench(options);
  process.stdout.write(`\n${formatTable(rows)}\n\nMechanisms, per fastd-ts daemon, totals since start:\n${formatMechanisms(rows)}\n\n${formatGoals(goalsOf(rows))}\n`);
  process.stdout.write(`\n${options.runs} run(s) × ${options.seconds} s per setup, ${options.pings} idle pings; a sends, b receives; ${((Date.now() - started) / 1000).toFixed(0)} s in all\n`);
  return 0;
}

runAsScript(import.meta.url, 'bench', main);
