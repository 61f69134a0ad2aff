// The status document written as bytes (status-writer.ts) against the document built as objects
// and stringified (status-json.ts buildStatus, the reference): the same bytes for any mode,
// interfaces, peer names (quotes, control characters, lone surrogates, beyond ASCII), addresses,
// connections and counters.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GLOBAL_STATS_FIELDS, PEER_STATS_FIELDS } from '../../src/engine/datapath/messages.js';
import { PeerStatistics } from '../../src/engine/control/peer-stats.js';
import { buildStatus, type PeerStatusSource, type StatusSource } from '../../src/status/status-json.js';
import { writeStatus } from '../../src/status/status-writer.js';
import { FUZZ, FUZZ_TIMEOUT_MS } from '../helpers/fuzz.js';

const PEERS = 8;
const hexKey = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString('hex'));
const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), maxLength: 12 }), fc.string({ maxLength: 20 }));
/** Counters as the tables hold them: mostly whole numbers, some past 2^31 and 2^53, a few odd doubles. */
const counter = fc.oneof(fc.nat({ max: 1000 }), fc.nat({ max: 2 ** 48 }), fc.constantFrom(2 ** 31 - 1, 2 ** 31, 2 ** 53, 1e21, 0.5, -0, Number.NaN));
const peer = fc.record({
  name: fc.option(text, { nil: undefined }),
  address: fc.oneof(fc.constant('any'), fc.ipV4().map((ip) => `${ip}:10000`), fc.ipV6().map((ip) => `[${ip}]:10000`)),
  iface: fc.option(fc.record({ name: text, mtu: fc.constantFrom(0, 1280, 1406) }), { nil: undefined }),
  establishedAt: fc.option(fc.oneof(fc.integer({ min: 0, max: 2e6 }), fc.double({ min: 0, max: 3e6, noNaN: true })), { nil: undefined }),
  method: fc.option(fc.constantFrom('salsa2012+umac', 'null', 'aes128-ctr+umac'), { nil: undefined }),
  macAddresses: fc.array(fc.constantFrom('02:00:00:00:00:01', 'de:ad:be:ef:00:02'), { maxLength: 3 }),
});
const sources = fc
  .record({
    peers: fc.uniqueArray(fc.tuple(hexKey, peer), { maxLength: PEERS, selector: ([key]) => key }),
    mode: fc.constantFrom('tap', 'multitap', 'tun'),
    singleInterface: fc.option(text, { nil: undefined }),
    globalStats: fc.array(counter, { minLength: GLOBAL_STATS_FIELDS, maxLength: GLOBAL_STATS_FIELDS }),
    peerStats: fc.array(counter, { minLength: PEERS * PEER_STATS_FIELDS, maxLength: PEERS * PEER_STATS_FIELDS }),
    now: fc.oneof(fc.integer({ min: 0, max: 3e6 }), fc.double({ min: 0, max: 3e6, noNaN: true })),
    ioBackend: fc.constantFrom('io_uring', 'fallback', undefined),
    workers: fc.option(fc.array(fc.record({ peers: fc.nat(), rx_packets: fc.nat(), tx_packets: fc.nat(), handoffs: fc.nat(), handoff_drops: fc.nat() }), { maxLength: 2 }), { nil: undefined }),
  })
  .map(
    (drawn): StatusSource => ({
      now: drawn.now,
      startedAt: 1_000,
      mode: drawn.mode,
      singleInterface: drawn.singleInterface,
      globalStats: Float64Array.from(drawn.globalStats),
      peerStats: new PeerStatistics([Float64Array.from(drawn.peerStats).buffer]),
      peers: drawn.peers.map(([key, fields], peerId): PeerStatusSource => ({ key, ...fields, peerId })),
      ioBackend: drawn.ioBackend,
      workers: drawn.workers,
    }),
  );

const reference = (source: StatusSource): string => JSON.stringify(buildStatus(source));

describe('the status document written as bytes', () => {
  it('is what the document built as objects stringifies to, byte for byte', () => {
    fc.assert(
      fc.property(sources, (source) => {
        expect(writeStatus(source).equals(Buffer.from(reference(source)))).toBe(true);
      }),
      FUZZ,
    );
  }, FUZZ_TIMEOUT_MS);

  it('is so again for the same peer rows in a later source (the writer keeps their text by row)', () => {
    fc.assert(
      fc.property(sources, sources, (first, later) => {
        const again: StatusSource = { ...later, peers: first.peers, peerStats: first.peerStats };
        expect(writeStatus(first).equals(Buffer.from(reference(first)))).toBe(true);
        expect(writeStatus(again).equals(Buffer.from(reference(again)))).toBe(true);
      }),
      FUZZ,
    );
  }, FUZZ_TIMEOUT_MS);

  it('grows past its first guess of room (long names)', () => {
    const name = 'ü"'.repeat(400);
    const source: StatusSource = {
      now: 5_000,
      startedAt: 0,
      mode: 'tun',
      singleInterface: undefined,
      globalStats: new Float64Array(GLOBAL_STATS_FIELDS),
      peerStats: new PeerStatistics([new Float64Array(PEER_STATS_FIELDS).buffer]),
      peers: [{ key: 'ab'.repeat(32), name, address: 'any', iface: { name, mtu: 1280 }, peerId: 0, establishedAt: 10, method: 'null', macAddresses: [] }],
      ioBackend: undefined,
    };
    expect(writeStatus(source).toString()).toBe(reference(source));
  });
});
