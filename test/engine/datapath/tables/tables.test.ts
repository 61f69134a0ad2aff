// The worker's lookup tables: peers by endpoint (IPv4 exact keys, IPv6 hashed keys with
// collisions resolved by comparison), MAC learning with staleness, and the per-address rate
// limit for unknown sources.
import { describe, expect, it } from 'vitest';
import { createDatagramBatch } from '../../../../src/io/batch.js';
import { writeSockaddr } from '../../../../src/io/sockaddr.js';
import { endpointKey, sameEndpoint } from '../../../../src/engine/datapath/tables/address-key.js';
import { ETH_ADDR_STALE_TIME, isUnicast, LOCAL, MacTable, macKey, UNKNOWN } from '../../../../src/engine/datapath/tables/mac-table.js';
import { NO_PEER, PeerTable } from '../../../../src/engine/datapath/tables/peer-table.js';
import { ABSENT, NumberMap } from '../../../../src/engine/datapath/tables/number-map.js';
import { TRIAL_OPEN_LIMIT, UNKNOWN_SOURCE_INTERVAL, UNKNOWN_SOURCE_LIMIT, UnknownSources } from '../../../../src/engine/datapath/tables/unknown-sources.js';
import type { Endpoint } from '../../../../src/engine/datapath/messages.js';
import { macBytes } from '../../../io/packets.js';

const v4 = (address: string, port: number): Endpoint => ({ family: 4, address, port, scopeId: 0 });
const v6 = (address: string, port: number, scopeId = 0): Endpoint => ({ family: 6, address, port, scopeId });

/** A received batch whose slot i holds endpoints[i], with stale bytes left after each address as the kernel leaves them. */
function received(...endpoints: Endpoint[]) {
  const batch = createDatagramBatch(endpoints.length);
  batch.addresses.fill(0xee);
  endpoints.forEach((endpoint, i) => {
    const stale = batch.addresses.slice(i * 32, i * 32 + 32);
    writeSockaddr(batch.addresses, i, endpoint);
    const used = endpoint.family === 4 ? 16 : 28;
    batch.addresses.set(stale.subarray(used), i * 32 + used);
  });
  return batch;
}

describe('endpoint keys', () => {
  it('distinguish address and port, and ignore the IPv6 flow label and stale slot bytes', () => {
    const batch = received(v4('192.0.2.1', 10000), v4('192.0.2.1', 10001), v4('192.0.2.2', 10000), v4('192.0.2.1', 10000));
    const keys = [0, 1, 2, 3].map((i) => endpointKey(batch.addressWords, i));
    expect(new Set(keys.slice(0, 3)).size).toBe(3);
    expect(keys[3]).toBe(keys[0]);

    const six = received(v6('2001:db8::1', 443), v6('2001:db8::1', 443), v6('fe80::1', 443, 2), v6('fe80::1', 443, 3));
    six.addresses[1 * 32 + 4] = 0x12; // flow label of the second copy
    expect(endpointKey(six.addressWords, 1)).toBe(endpointKey(six.addressWords, 0));
    expect(sameEndpoint(six.addressWords, 0, six.addressWords, 1)).toBe(true);
    expect(sameEndpoint(six.addressWords, 2, six.addressWords, 3)).toBe(false);
    expect(endpointKey(six.addressWords, 0)).toBeGreaterThanOrEqual(2 ** 48);
  });
});

describe('PeerTable', () => {
  it('finds peers by the address a datagram came from, and forgets old addresses when peers move', () => {
    const table = new PeerTable(8);
    const a = table.add(3, -1);
    const b = table.add(5, -1);
    table.setAddress(a, 0, v4('198.51.100.7', 1234), undefined);
    table.setAddress(b, 1, v6('2001:db8::7', 1234), undefined);
    const batch = received(v4('198.51.100.7', 1234), v6('2001:db8::7', 1234), v4('198.51.100.7', 1235), v6('2001:db8::8', 1234));
    expect([0, 1, 2, 3].map((i) => table.find(batch.addressWords, i))).toEqual([3, 5, NO_PEER, NO_PEER]);

    table.setAddress(a, 0, v4('198.51.100.7', 1235), undefined);
    expect(table.find(batch.addressWords, 0)).toBe(NO_PEER);
    expect(table.find(batch.addressWords, 2)).toBe(3);
    table.remove(5);
    expect(table.find(batch.addressWords, 1)).toBe(NO_PEER);
    expect(Array.from(table.ids.subarray(0, table.count))).toEqual([3]);
  });

  it("keeps each peer's local address beside its endpoint, also when the table grows", () => {
    const table = new PeerTable(2);
    const a = table.add(1, -1);
    table.setAddress(a, 0, v4('198.51.100.7', 1234), v6('::ffff:198.51.100.11', 0));
    const batch = createDatagramBatch(3);
    writeSockaddr(batch.locals, 0, v6('::ffff:198.51.100.11', 0));
    writeSockaddr(batch.locals, 1, v6('::ffff:198.51.100.1', 0));
    expect(table.talksTo(1, batch.localWords, 0)).toBe(true);
    expect(table.talksTo(1, batch.localWords, 1)).toBe(false);
    table.add(40, -1);
    expect(table.talksTo(1, batch.localWords, 0)).toBe(true);
    table.setLocal(1, batch.localWords, 1);
    expect(table.talksTo(1, batch.localWords, 1)).toBe(true);
    // a peer at a socket bound to one address has none, as such a socket reports none
    table.setAddress(a, 0, v4('198.51.100.7', 1234), undefined);
    expect(table.talksTo(1, batch.localWords, 2)).toBe(true);
  });

  it('keeps peers sharing an endpoint key apart by comparing the addresses', () => {
    const table = new PeerTable(4);
    const peers = [0, 1, 2].map((id) => table.add(id, -1));
    // the same endpoint three times stands in for an IPv6 hash collision: one key, one chain
    peers.forEach((peer) => table.setAddress(peer, 0, v6('2001:db8::9', 99), undefined));
    const batch = received(v6('2001:db8::9', 99));
    expect(table.find(batch.addressWords, 0)).toBe(2);
    table.remove(2);
    expect(table.find(batch.addressWords, 0)).toBe(1);
    table.setAddress(peers[1], 0, v6('2001:db8::10', 99), undefined);
    expect(table.find(batch.addressWords, 0)).toBe(0);
    table.remove(0);
    expect(table.find(batch.addressWords, 0)).toBe(NO_PEER);
  });

  it('grows for peer ids past its first size, keeping the peers and addresses it has; refuses ids in use', () => {
    const table = new PeerTable(2);
    const a = table.add(1, -1);
    table.setAddress(a, 0, v4('198.51.100.7', 1234), undefined);
    const far = table.add(10_000, -1);
    table.setAddress(far, 0, v6('2001:db8::7', 1234), undefined);
    const batch = received(v4('198.51.100.7', 1234), v6('2001:db8::7', 1234));
    expect([0, 1].map((i) => table.find(batch.addressWords, i))).toEqual([1, 10_000]);
    expect(table.get(1)).toBe(a);
    expect(Array.from(table.ids.subarray(0, table.count))).toEqual([1, 10_000]);
    expect(() => table.add(1, -1)).toThrow(/in use/);
    expect(() => table.add(-1, -1)).toThrow(RangeError);
  });
});

describe('MacTable', () => {
  const mac = (text: string) => macKey(Uint8Array.from(macBytes(text)), 0);

  it('learns, moves and forgets addresses, and lets them go stale after ETH_ADDR_STALE_TIME', () => {
    const table = new MacTable();
    const x = mac('02:00:00:00:00:01');
    table.learn(x, 4, 1000);
    table.learn(mac('02:00:00:00:00:02'), LOCAL, 1000);
    expect(table.lookup(x, 2000)).toBe(4);
    expect(table.lookup(mac('02:00:00:00:00:02'), 2000)).toBe(LOCAL);
    expect(table.lookup(mac('02:00:00:00:00:03'), 2000)).toBe(UNKNOWN);
    table.learn(x, 6, 5000);
    expect(table.lookup(x, 5000 + ETH_ADDR_STALE_TIME - 1)).toBe(6);
    expect(table.lookup(x, 5000 + ETH_ADDR_STALE_TIME)).toBe(UNKNOWN);
    expect(table.snapshot(6000)).toEqual(new Map([[6, ['02:00:00:00:00:01']]]));
    expect(table.snapshot(6000)).toBeNull();
    table.learn(x, 6, 6000);
    expect(table.snapshot(6000)).toBeNull();
    table.forgetPeer(6);
    expect(table.snapshot(6000)).toEqual(new Map());
    expect(table.lookup(x, 6000)).toBe(UNKNOWN);
    table.expire(6000);
    expect(table.size).toBe(1);
  });

  it('grows past its first capacity and keys whole 48-bit addresses', () => {
    const table = new MacTable();
    for (let i = 0; i < 300; i++) table.learn(0xfe_00_00_00_00_00 + i * 0x01_00_00_01, i, 0);
    for (let i = 0; i < 300; i++) expect(table.lookup(0xfe_00_00_00_00_00 + i * 0x01_00_00_01, 1)).toBe(i);
    expect(mac('ff:ff:ff:ff:ff:ff')).toBe(2 ** 48 - 1);
    expect(isUnicast(Uint8Array.of(0x01, 0, 0x5e), 0)).toBe(false);
    expect(isUnicast(Uint8Array.of(0x02), 0)).toBe(true);
  });
});

describe('UnknownSources', () => {
  it('admits a source once per interval and at most UNKNOWN_SOURCE_LIMIT sources per interval', () => {
    const limiter = new UnknownSources();
    expect(limiter.admit(7, 0)).toBe(true);
    expect(limiter.admit(7, UNKNOWN_SOURCE_INTERVAL - 1)).toBe(false);
    expect(limiter.admit(8, 10)).toBe(true);
    expect(limiter.admit(7, UNKNOWN_SOURCE_INTERVAL)).toBe(true);
    let admitted = 0;
    for (let key = 100; key < 100 + UNKNOWN_SOURCE_LIMIT + 50; key++) if (limiter.admit(key, 2 * UNKNOWN_SOURCE_INTERVAL)) admitted++;
    expect(admitted).toBe(UNKNOWN_SOURCE_LIMIT);
  });

  it('allows TRIAL_OPEN_LIMIT session tries per interval over all addresses', () => {
    const limiter = new UnknownSources();
    limiter.admit(1, 0);
    let tries = 0;
    while (limiter.takeTrial() && tries <= TRIAL_OPEN_LIMIT) tries++;
    expect(tries).toBe(TRIAL_OPEN_LIMIT);
    limiter.admit(2, UNKNOWN_SOURCE_INTERVAL);
    expect(limiter.takeTrial()).toBe(true);
  });
});

describe('NumberMap', () => {
  it('agrees with a Map through inserts, updates, deletes and growth, for keys up to 2^53', () => {
    const map = new NumberMap(8);
    const reference = new Map<number, number>();
    let seed = 12345;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let step = 0; step < 20_000; step++) {
      // few distinct keys, so that updates and deletes hit; high bits vary as much as low ones
      const key = (random() % 500) * 2 ** 32 * 4096 + (random() % 3) + (step % 7 === 0 ? 2 ** 48 : 0);
      const action = random() % 3;
      if (action === 0) {
        const value = random() % 1000;
        map.set(key, value);
        reference.set(key, value);
      } else if (action === 1) {
        expect(map.delete(key)).toBe(reference.delete(key));
      } else {
        expect(map.get(key)).toBe(reference.get(key) ?? ABSENT);
      }
    }
    expect(map.size).toBe(reference.size);
    const seen = new Map<number, number>();
    map.forEach((value, key) => seen.set(key, value));
    expect(seen).toEqual(reference);
    map.clear();
    expect(map.size).toBe(0);
    expect(map.get([...reference.keys()][0])).toBe(ABSENT);
  });
});
