// The bench's mechanism counters: read from a status document as the daemon builds it, and
// laid out one line per fastd-ts daemon with ratios that say how well each mechanism batches.
import { describe, expect, it } from 'vitest';
import { GLOBAL_STATS_FIELDS, GlobalStat } from '../../src/engine/datapath/messages.ts';
import { formatMechanisms, readMechanisms } from '../../src/bench/mechanisms.ts';
import { setupLabel, summarize, type Setup } from '../../src/bench/report.ts';
import { PeerStatistics } from '../../src/engine/control/peer-stats.ts';
import { buildStatus } from '../../src/status/status-json.ts';

function statusWith(values: Partial<Record<keyof typeof GlobalStat, number>>): unknown {
  const globalStats = new Float64Array(GLOBAL_STATS_FIELDS);
  for (const [name, value] of Object.entries(values)) globalStats[GlobalStat[name as keyof typeof GlobalStat]] = value;
  const document = buildStatus({ now: 1, startedAt: 0, mode: 'tap', singleInterface: 'fts0', globalStats, peerStats: new PeerStatistics([]), peers: [], ioBackend: 'io_uring' });
  return JSON.parse(JSON.stringify(document));
}

const sender = statusWith({
  RxPackets: 1_000,
  TxPackets: 9_000,
  GsoSends: 200,
  GsoDatagrams: 8_000,
  IoSyscalls: 450,
  TsoSuperFrames: 250,
  TsoSegments: 9_000,
  PoolSize: 256,
  PoolGrows: 4,
  PoolShrinks: 1,
});
const receiver = statusWith({ RxPackets: 9_000, TxPackets: 1_000, GroDatagrams: 8_500, IoSyscalls: 900, GroSuperFrames: 300, GroFrames: 8_700, PoolSize: 128, PoolGrows: 2 });

const setup: Setup = { id: 'ts-ts', kinds: ['fastd-ts', 'fastd-ts'], method: 'null', noOffload: true };

function rowOf(mechanisms: Parameters<typeof summarize>[1]['mechanisms']) {
  return summarize(setup, { mbit: [1], cpuPerGb: [[1, 1]], retransmits: [0], udpDrops: [0], rttMs: [0.1], loadPings: [], rssMiB: [1, 1], backends: ['io_uring', 'io_uring'], mechanisms });
}

describe('bench mechanism counters', () => {
  it('reads every counter from a fastd-ts status document, and none from fastd', () => {
    expect(readMechanisms(sender)).toEqual({
      gsoSends: 200,
      gsoDatagrams: 8_000,
      groDatagrams: 0,
      ioSyscalls: 450,
      tunnelPackets: 10_000,
      tsoSuperFrames: 250,
      tsoSegments: 9_000,
      groSuperFrames: 0,
      groFrames: 0,
      poolBuffers: 256,
      poolGrows: 4,
      poolShrinks: 1,
    });
    const fastds = { uptime: 1, statistics: { rx: { packets: 1, bytes: 1 }, tx: { packets: 1, bytes: 1 } }, peers: {} };
    expect(readMechanisms(fastds)).toBeUndefined();
    expect(readMechanisms(null)).toBeUndefined();
  });

  it('prints one aligned line per fastd-ts side with datagrams per send and system calls per 1000 packets', () => {
    const text = formatMechanisms([rowOf([readMechanisms(sender), readMechanisms(receiver)])]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(4);
    expect(new Set(lines.map((line) => line.length)).size).toBe(1);
    const cells = (line: string) => line.split(/\s{2,}/);
    // 8000 datagrams in 200 sends; 450 calls for 10000 packets
    expect(cells(lines[2]!)).toEqual([setupLabel(setup), 'a', '40.0', '0', '45', '250', '9000', '0', '0', '256', '4', '1']);
    // no GSO sends at all: no ratio to show
    expect(cells(lines[3]!)).toEqual([setupLabel(setup), 'b', '-', '8500', '90', '0', '0', '300', '8700', '128', '2', '0']);
  });

  it('leaves out Debian fastd sides and prints nothing without fastd-ts', () => {
    const mixed = formatMechanisms([rowOf([readMechanisms(sender), undefined])]);
    expect(mixed.split('\n')).toHaveLength(3);
    expect(formatMechanisms([rowOf([undefined, undefined]), rowOf(undefined)])).toBe('');
  });

  it('names the new variants in the setup label', () => {
    expect(setupLabel({ ...setup, noOffload: true })).toBe('fastd-ts → fastd-ts null (no TUN/TAP offloads)');
    expect(setupLabel({ ...setup, noOffload: false, oneWorker: true })).toBe('fastd-ts → fastd-ts null (1 worker)');
  });
});
