// The scale bench of a supernode's peer directory: Debian's fastd and fastd-ts each started
// with the same directory of 10,000 and of 50,000 keys (a community key repository), alone in
// a namespace. Per daemon: start-up time, from exec until its status socket lists every peer,
// its RSS then and after a few idle seconds, and its CPU use in those idle seconds. Polling the status socket costs the daemon
// a little while it starts; both daemons are polled alike.
//
// Run (root; Debian's fastd installed): npm run bench:peers [-- --quick]
// Each size's daemons take turns in alternating order (fastd first, then fastd-ts first, …).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NamespacePair, UNDERLAY_ADDRESSES } from '../testbed/namespaces.js';
import { BenchDaemon, generateKeyPair } from './daemon.js';
import { bulkPublicKeys, writePeerDir } from './peer-keys.js';
import type { DaemonKind } from './report.js';
import { missingPrerequisites, progress, runAsScript } from './script.js';

const SIZES = [10_000, 50_000] as const;
const FULL = { rounds: 3 };
const QUICK = { rounds: 1 };
const KINDS: readonly DaemonKind[] = ['fastd', 'fastd-ts'];
const POLL_MS = 50;
/** Longer than either daemon has ever needed for 50,000 peers here (fastd: 286 s at a load average of ~60). */
const START_DEADLINE_MS = 600_000;
/** How long the daemon idles after listing every peer before its RSS is read again. */
const SETTLE_MS = 5_000;

interface Sample {
  readonly seconds: number;
  /** The daemon's CPU seconds (all threads) until it listed every peer: less noisy than `seconds` on a shared machine. */
  readonly cpuSeconds: number;
  /** RSS in MiB when the status socket first listed every peer, and after SETTLE_MS idle. */
  readonly rssListed: number;
  readonly rssIdle: number;
  /** CPU use during the SETTLE_MS idle, in % of one core. */
  readonly idleCpu: number;
}

/** Peers the status document lists, or -1 while the socket does not answer. */
async function listed(daemon: BenchDaemon): Promise<number> {
  try {
    return Object.keys(((await daemon.status()) as { peers: object }).peers).length;
  } catch {
    return -1;
  }
}

/** One daemon started with the directory: seconds until it lists `peers`, and its RSS. */
async function measure(kind: DaemonKind, dir: string, peers: number, work: string): Promise<Sample> {
  const namespaces = NamespacePair.create('ftsbench');
  const daemon = new BenchDaemon(
    namespaces.sides[0],
    { kind, method: 'salsa2012+umac', mtu: 1406, interfaceName: 'fts0', bind: `${UNDERLAY_ADDRESSES[0]}:10000`, keys: generateKeyPair(), peerKey: bulkPublicKeys(1)[0]!, peerDir: dir },
    work,
    `${kind}-${peers}`,
  );
  try {
    const started = performance.now();
    daemon.start();
    for (;;) {
      if (!daemon.running) throw new Error(`${kind} exited while starting:\n${daemon.log().slice(-3000)}`);
      if ((await listed(daemon)) >= peers) break;
      if (performance.now() - started > START_DEADLINE_MS) throw new Error(`${kind} did not list ${peers} peers within ${START_DEADLINE_MS / 1000} s`);
      await sleep(POLL_MS);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpuSeconds = daemon.cpuSeconds();
    const rssListed = daemon.rssMiB();
    await sleep(SETTLE_MS);
    return { seconds, cpuSeconds, rssListed, rssIdle: daemon.rssMiB(), idleCpu: ((daemon.cpuSeconds() - cpuSeconds) / (SETTLE_MS / 1000)) * 100 };
  } finally {
    await daemon.stop();
    namespaces.delete();
  }
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

function formatRows(results: ReadonlyMap<string, Sample[]>): string {
  const header = ['keys', 'daemon', 'start-up s', 'its CPU-s', 'RSS MiB listed', `RSS MiB +${SETTLE_MS / 1000} s`, 'idle CPU %', 'start-up / fastd', 'RSS / fastd'];
  const rows: string[][] = [header];
  for (const size of SIZES) {
    const of = (kind: DaemonKind) => results.get(`${kind} ${size}`) ?? [];
    const fastd = of('fastd');
    for (const kind of KINDS) {
      const samples = of(kind);
      if (samples.length === 0) continue;
      const seconds = median(samples.map((s) => s.seconds));
      const rss = median(samples.map((s) => s.rssIdle));
      const ratio = (ours: number, theirs: number) => (fastd.length === 0 ? '' : `${(ours / theirs).toFixed(2)}×`);
      rows.push([
        String(size),
        kind,
        seconds.toFixed(2),
        median(samples.map((s) => s.cpuSeconds)).toFixed(2),
        median(samples.map((s) => s.rssListed)).toFixed(1),
        rss.toFixed(1),
        median(samples.map((s) => s.idleCpu)).toFixed(1),
        kind === 'fastd' ? '' : ratio(seconds, median(fastd.map((s) => s.seconds))),
        kind === 'fastd' ? '' : ratio(rss, median(fastd.map((s) => s.rssIdle))),
      ]);
    }
  }
  const widths = header.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const unknown = argv.filter((arg) => arg !== '--quick');
  if (unknown.length > 0) {
    progress(`usage: npm run bench:peers [-- --quick]  (unknown: ${unknown.join(' ')})`);
    return 2;
  }
  const missing = missingPrerequisites();
  if (missing.length > 0) {
    progress(`the peer directory bench needs: ${missing.join('; ')}`);
    return 1;
  }
  const { rounds } = argv.includes('--quick') ? QUICK : FULL;
  const work = mkdtempSync(join(tmpdir(), 'fastd-ts-bench-peers-'));
  const results = new Map<string, Sample[]>();
  try {
    for (const size of SIZES) {
      progress(`writing ${size} keys`);
      const dir = join(work, `peers-${size}`);
      writePeerDir(dir, bulkPublicKeys(size));
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? KINDS : [...KINDS].reverse();
        for (const kind of order) {
          // the directory's keys and the configured peer
          const sample = await measure(kind, dir, size + 1, work);
          progress(`${size} keys, ${kind}: ${sample.seconds.toFixed(2)} s (${sample.cpuSeconds.toFixed(2)} CPU-s), ${sample.rssListed.toFixed(1)} / ${sample.rssIdle.toFixed(1)} MiB, idle ${sample.idleCpu.toFixed(1)} % CPU`);
          const key = `${kind} ${size}`;
          results.set(key, [...(results.get(key) ?? []), sample]);
        }
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(`\n${formatRows(results)}\n\nmedian of ${rounds} start(s) each; start-up: exec until the status socket lists every peer (polled every ${POLL_MS} ms); its CPU-s: the daemon's, all threads, until then\n`);
  return 0;
}

runAsScript(import.meta.url, 'peer directory bench', main);
