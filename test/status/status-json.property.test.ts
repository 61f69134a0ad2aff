// Property tests of what the daemon writes about its peers, whatever their names and counters:
// the status document survives JSON both ways unchanged, the metrics text carries each name
// back exactly and says what the document says, and the status table has one line per peer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GLOBAL_STATS_FIELDS, PEER_STATS_FIELDS } from '../../src/engine/datapath/messages.js';
import { PeerStatistics } from '../../src/engine/control/peer-stats.js';
import { DaemonMetrics } from '../../src/status/metrics.js';
import { buildStatus, type PeerStatusSource, type StatusSource } from '../../src/status/status-json.js';
import { formatStatusTable } from '../../src/status/status-table.js';
import { FUZZ, FUZZ_TIMEOUT_MS } from '../helpers/fuzz.js';
import { parseExposition, samplesOf, valueOf } from '../helpers/prometheus-text.js';

const hexKey = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString('hex'));
/** Any text a configuration's string may hold (its escapes allow every character but NUL). */
const anyName = fc.string({ unit: 'binary', maxLength: 20 }).map((text) => text.replace(/\0/g, ''));
const peer = fc.record({
  name: fc.option(anyName, { nil: undefined }),
  address: fc.oneof(fc.constant('any'), fc.ipV4().map((ip) => `${ip}:10000`), fc.ipV6().map((ip) => `[${ip}]:10000`)),
  establishedAt: fc.option(fc.integer({ min: 0, max: 1e6 }), { nil: undefined }),
  method: fc.option(fc.constantFrom('salsa2012+umac', 'null', 'aes128-ctr+umac'), { nil: undefined }),
});
const peers = fc.uniqueArray(fc.tuple(hexKey, peer), { maxLength: 8, selector: ([key]) => key });
const counters = (length: number) => fc.array(fc.nat({ max: 2 ** 48 }), { minLength: length, maxLength: length });

type PeerFields = Pick<PeerStatusSource, 'name' | 'address' | 'establishedAt' | 'method'>;

function sourceOf(entries: readonly (readonly [string, PeerFields])[], globalStats: number[], peerStats: number[]): StatusSource {
  const sources: PeerStatusSource[] = entries.map(([key, source], peerId) => ({ key, ...source, iface: undefined, peerId, macAddresses: [] }));
  return {
    now: 2e6,
    startedAt: 0,
    mode: 'tap',
    singleInterface: 'fastd0',
    globalStats: Float64Array.from(globalStats),
    peerStats: new PeerStatistics([Float64Array.from(peerStats).buffer]),
    peers: sources,
    ioBackend: 'io_uring',
    workers: [],
  };
}

const sources = fc
  .tuple(peers, counters(GLOBAL_STATS_FIELDS), counters(8 * PEER_STATS_FIELDS))
  .map(([entries, globalStats, peerStats]) => sourceOf(entries, globalStats, peerStats));
const documents = sources.map(buildStatus);
const TRAFFIC = ['rx', 'rx_reordered', 'tx', 'tx_dropped', 'tx_error'] as const;

describe('the status document, whatever the peers are called', () => {
  it('comes back from JSON unchanged', () => {
    fc.assert(
      fc.property(documents, (status) => {
        expect(JSON.parse(JSON.stringify(status))).toEqual(status);
      }),
      FUZZ,
    );
  }, FUZZ_TIMEOUT_MS);

  it('gives metrics text that carries every name back exactly and says what the document says', async () => {
    const metrics = new DaemonMetrics('fuzz', false);
    await fc.assert(
      fc.asyncProperty(sources, async (source) => {
        const status = buildStatus(source);
        const exposition = parseExposition(await metrics.render(source, async (text) => text.toString()));
        expect(valueOf(exposition, 'fastd_uptime_seconds')).toBe(status.uptime / 1000);
        for (const stat of TRAFFIC) expect(valueOf(exposition, `fastd_${stat}_bytes`)).toBe(status.statistics[stat].bytes);
        for (const [key, peerStatus] of Object.entries(status.peers)) {
          const [sample] = samplesOf(exposition, 'fastd_peer_up', { public_key: key });
          expect(sample?.labels.name).toBe(peerStatus.name ?? '');
          expect(sample?.value).toBe(peerStatus.connection ? 1 : 0);
          const { connection } = peerStatus;
          if (!connection) continue;
          expect(valueOf(exposition, 'fastd_peer_uptime_seconds', { public_key: key })).toBe(connection.established / 1000);
          for (const stat of TRAFFIC) {
            expect(valueOf(exposition, `fastd_peer_${stat}_packets`, { public_key: key })).toBe(connection.statistics[stat].packets);
            expect(valueOf(exposition, `fastd_peer_${stat}_bytes`, { public_key: key })).toBe(connection.statistics[stat].bytes);
          }
        }
      }),
      FUZZ,
    );
  }, FUZZ_TIMEOUT_MS);

  it('gives a table with one line per peer', () => {
    fc.assert(
      fc.property(documents, (status) => {
        const lines = formatStatusTable(status, { color: false }).split('\n');
        const header = lines.findIndex((line) => line.startsWith('NAME'));
        const count = Object.keys(status.peers).length;
        expect(header < 0 ? 0 : lines.length - header - 2).toBe(count);
      }),
      FUZZ,
    );
  }, FUZZ_TIMEOUT_MS);
});
