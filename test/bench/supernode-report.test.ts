// The supernode bench's command line, arithmetic and table: options and their bounds, ping
// and CPU-per-GB summaries, ratios of medians, and a table whose rows and columns line up.
import { describe, expect, it } from 'vitest';
import {
  cpuPerGigabyte,
  formatSupernodeTable,
  parseSupernodeOptions,
  perCpuSecond,
  ratioCell,
  type SupernodeOptions,
  type TurnFigures,
} from '../../src/bench/supernode-report.ts';
import { summarizePings } from '../../src/bench/report.ts';

function options(argv: string[]): SupernodeOptions {
  const parsed = parseSupernodeOptions(argv);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

function turn(scale: number, extra: Partial<TurnFigures> = {}): TurnFigures {
  return {
    coldStartSeconds: 25 * scale,
    coldStartCpuSeconds: 0.2 * scale,
    routersStartedSeconds: 1.5,
    coldStartUdpDrops: 244,
    mbit: 500 * scale,
    retransmits: 1000,
    flowUdpDrops: 0,
    flowQueueDrops: 0,
    cpuPerGb: 10 * scale,
    idlePing: summarizePings([0.5, 0.7], 2),
    idleHops: { in: 400 * scale, kernel: 20, out: 120 * scale, in90: 500 * scale, out90: 150 * scale, rounds: 2 },
    loadPing: summarizePings([2, 8 * scale], 3),
    loadHops: { in: 900 * scale, kernel: 20, out: 200 * scale, in90: 5000 * scale, out90: 1000 * scale, rounds: 2 },
    restart: { allBackSeconds: 20 * scale, backAfter5s: 3, backAtEnd: 12, cpuSeconds: 0.1 * scale, startCpuSeconds: 0.05 * scale },
    rssMiB: 6 * scale,
    idleCpuSeconds: 0.01,
    statusFetch: { medianMs: 4 * scale, maxMs: 9 * scale },
    statusPing: summarizePings([0.5, 0.9], 2),
    flood: { cpuSeconds: 0.3 * scale, sent: 3200, answered: 3200 },
    storm: { seconds: 6 * scale, renewed: 20, cpuSeconds: 0.1 * scale, ping: summarizePings([1, 3 * scale], 3) },
    ...extra,
  };
}

describe('supernode bench options', () => {
  it('defaults to the issue\'s workload, and --quick to a small one', () => {
    expect(options([])).toMatchObject({ routers: 200, probes: 4, seconds: 10, warmUpSeconds: 3, ownAddresses: false, extraKeys: 0, rounds: 1, idleSeconds: 20, floodSeconds: 20, kinds: ['fastd', 'fastd-ts'] });
    expect(options(['--quick'])).toMatchObject({ routers: 20, probes: 2, seconds: 3, warmUpSeconds: 1 });
    expect(options(['--warm-up', '0'])).toMatchObject({ warmUpSeconds: 0 });
  });

  it('takes sizes and switches in any order; later sizes override --quick\'s', () => {
    expect(options(['--routers', '1000', '--quick', '--probes', '3', '--own-addresses', '--only', 'fastd-ts', '--rounds', '2'])).toMatchObject({
      routers: 1000,
      probes: 3,
      ownAddresses: true,
      rounds: 2,
      kinds: ['fastd-ts'],
    });
    expect(options(['--extra-keys']).extraKeys).toBe(5000);
    expect(options(['--extra-keys', '--quick']).extraKeys).toBe(5000);
    expect(options(['--extra-keys', '300']).extraKeys).toBe(300);
  });

  it('says what is wrong with a bad command line', () => {
    expect(parseSupernodeOptions(['--routers', '1001'])).toMatch(/--routers takes a whole number from 1 to 1000/);
    expect(parseSupernodeOptions(['--routers'])).toMatch(/not nothing/);
    expect(parseSupernodeOptions(['--seconds', '2.5'])).toMatch(/--seconds/);
    expect(parseSupernodeOptions(['--only', 'wireguard'])).toMatch(/--only takes fastd or fastd-ts/);
    expect(parseSupernodeOptions(['--fast'])).toBe('unknown option --fast');
  });
});

describe('supernode bench arithmetic', () => {
  it('counts handshakes per CPU-second', () => {
    expect(perCpuSecond(300, 0.5)).toBe(600);
    expect(perCpuSecond(3, 0)).toBeNaN();
    // a flood's 0.47 CPU-s less an idle 0.47 scaled to its length: 5.6e-17, a rounding error
    expect(perCpuSecond(800, 0.47 - (0.47 * 5) / 5)).toBeNaN();
  });

  it('divides CPU time by the gigabytes carried', () => {
    expect(cpuPerGigabyte(2, 500e6)).toBe(4);
    expect(cpuPerGigabyte(2, 0)).toBeNaN();
  });

  it('compares medians, and leaves the ratio out when a side has none', () => {
    expect(ratioCell([1, 3, 2], [4])).toBe('0.50×');
    expect(ratioCell([Number.NaN], [4])).toBe('');
    expect(ratioCell([1], [])).toBe('');
  });
});

describe('supernode bench table', () => {
  const quick = options(['--quick', '--extra-keys', '100']);

  it('has a row per figure, both supernodes and the ratio, columns aligned', () => {
    const metrics = { metricsScrape: { medianMs: 3, maxMs: 8 }, metricsScrapeGzip: { medianMs: 2, maxMs: 5 }, metricsScrapeSpaced: { medianMs: 2.5, maxMs: 6 }, metricsPing: summarizePings([0.6, 1.0], 2), metricsFirst: { ms: 9, mainCpuMs: 4.25 }, metricsFirstGzip: { ms: 7.5, mainCpuMs: 3 } };
    const table = formatSupernodeTable(
      new Map([
        ['fastd', [turn(1), turn(1)]],
        ['fastd-ts', [turn(0.5, { flowQueueDrops: 7, ...metrics }), turn(0.5, { flowQueueDrops: 7, ...metrics, restartExtraKeys: { allBackSeconds: 4, backAfter5s: 22, backAtEnd: 22, cpuSeconds: 0.5, startCpuSeconds: 0.3 } })]],
      ]),
      quick,
      120,
    );
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^figure +Debian fastd +fastd-ts +fastd-ts \/ fastd$/);
    expect(new Set(lines.map((line) => line.length)).size).toBe(1);
    expect(lines).toHaveLength(2 + 37);
    expect(table).toMatch(/its CoDel drops in the flows \(fastd-ts\) +0; 0 +7; 7 +$/m);
    expect(table).toMatch(/of which starting the routers \(s\) +1\.5; 1\.5 +1\.5; 1\.5 +$/m);
    expect(table).toMatch(/cold start: all 22 routers connected \(s\) +25\.0; 25\.0 +12\.5; 12\.5 +0\.50×/);
    expect(table).toMatch(/ping during the flows, avg \/ max \(ms\) +5\.00 \/ 8\.0 \(1 lost\); 5\.00 \/ 8\.0 \(1 lost\) +3\.00 \/ 4\.0 \(1 lost\)/);
    expect(table).toMatch(/idle ping at the supernode: in \/ out, median \(µs\) +400 \/ 120; 400 \/ 120 +200 \/ 60; 200 \/ 60 +0\.50×/);
    expect(table).toMatch(/ping during the flows at the supernode: in \/ out, median \(µs\) +900 \/ 200; 900 \/ 200 +450 \/ 100; 450 \/ 100 +0\.50×/);
    expect(table).toMatch(/the same, 90th percentile \(µs\) +5000 \/ 1000; 5000 \/ 1000 +2500 \/ 500; 2500 \/ 500 +0\.50×/);
    expect(table).toMatch(/same, 100 extra keys: all back \(s\) +n\/a; n\/a +n\/a; 4\.0 +$/m);
    expect(table).toMatch(/status fetch, median \/ max of 20 \(ms\) +4\.0 \/ 9\.0; 4\.0 \/ 9\.0 +2\.0 \/ 4\.5; 2\.0 \/ 4\.5 +0\.50×/);
    expect(table).toMatch(/ping while fetching it, avg \/ max \(ms\) +0\.70 \/ 0\.9; 0\.70 \/ 0\.9 +0\.70 \/ 0\.9; 0\.70 \/ 0\.9 +1\.00×/);
    expect(table).toMatch(/metrics scrape, median \/ max of 20 \(ms; fastd-ts\) +n\/a; n\/a +3\.0 \/ 8\.0; 3\.0 \/ 8\.0 +$/m);
    expect(table).toMatch(/the same gzipped, as Prometheus asks \(ms; fastd-ts\) +n\/a; n\/a +2\.0 \/ 5\.0; 2\.0 \/ 5\.0 +$/m);
    expect(table).toMatch(/the same, 8 scrapes 5 s apart \(ms; fastd-ts\) +n\/a; n\/a +2\.5 \/ 6\.0; 2\.5 \/ 6\.0 +$/m);
    expect(table).toMatch(/first metrics scrape, plain \(ms; its main thread CPU-ms; fastd-ts\) +n\/a; n\/a +9\.0 \(4\.3\); 9\.0 \(4\.3\) +$/m);
    expect(table).toMatch(/the restarted one's, gzipped, 5 s after its routers are back \(same\) +n\/a; n\/a +7\.5 \(3\.0\); 7\.5 \(3\.0\) +$/m);
    expect(table).toMatch(/ping while scraping them, avg \/ max \(ms\) +n\/a; n\/a +0\.80 \/ 1\.0; 0\.80 \/ 1\.0 +$/m);
    expect(table).toMatch(/spoofed inits answered \/ sent +3200 \/ 3200; 3200 \/ 3200 +3200 \/ 3200; 3200 \/ 3200 +1\.00×/);
    expect(table).toMatch(/spoofed inits answered per CPU-s +10667; 10667 +21333; 21333 +2\.00×/);
    expect(table).toMatch(/cold start: handshakes per CPU-s \(start-up included\) +110; 110 +220; 220 +2\.00×/);
    expect(table).toMatch(/storm: all 20 routers restart, new sessions after \(s\) +6\.0; 6\.0 +3\.0; 3\.0 +0\.50×/);
    expect(table).toMatch(/storm: handshakes per CPU-s +200; 200 +400; 400 +2\.00×/);
    expect(table).toMatch(/storm: ping from a connected probe, avg \/ max \(ms\) +2\.00 \/ 3\.0 \(1 lost\); 2\.00 \/ 3\.0 \(1 lost\) +1\.25 \/ 1\.5 \(1 lost\)/);
    expect(table).toMatch(/restart: handshakes per CPU-s \(start-up included\) +120; 120 +240; 240 +2\.00×/);
    expect(table).toMatch(/restart: handshakes per CPU-s once it was up +240; 240 +480; 480 +2\.00×/);
    // 0.01 idle CPU-s over 5 s, so 0.01 of the flood's 5 s were the idle cost: 3200 / 0.29 and 3200 / 0.14
    expect(table).toMatch(/the same above its idle CPU +11034; 11034 +22857; 22857 +2\.07×/);
  });

  it('says how many were back when a restart missed the deadline, and has no ratio column for one supernode', () => {
    const table = formatSupernodeTable(new Map([['fastd-ts', [turn(1, { restart: { allBackSeconds: undefined, backAfter5s: 0, backAtEnd: 17, cpuSeconds: 1, startCpuSeconds: 0.5 } })]]]), options(['--quick']), 120);
    expect(table.split('\n')[0]).toMatch(/^figure +fastd-ts$/);
    expect(table).toMatch(/kill -9, restart: all back \(s\) +> 120 \(17 back\)$/m);
    expect(table).not.toContain('extra keys');
  });
});
