import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { ETH_ADDR_STALE_TIME, MacTable } from '../../../../src/engine/datapath/tables/mac-table.js';
import { LOCAL, REFRESH_INTERVAL, SharedMacTable, UNKNOWN } from '../../../../src/engine/datapath/tables/shared-mac-table.js';
import { nextMessage, startTsWorker } from '../../../helpers/ts-worker.js';
import { ownedKey, ownerFamily, sharedKey, sharedOwner } from './shared-mac-table.keys.js';
import type { LearnJob } from './shared-mac-table.worker.js';

const MAC_A = 0x02_11_22_33_44_55;
const MAC_B = 0x02_11_22_33_44_66;
const MAC_C = 0xfe_ff_ff_ff_ff_fe; // high bits set: both key words carry data

function newTable(capacity = 64): SharedMacTable {
  return new SharedMacTable(SharedMacTable.create(capacity));
}

function normalized(snapshot: Map<number, string[]> | null): [number, string[]][] | null {
  if (snapshot === null) return null;
  return [...snapshot].map(([peer, macs]): [number, string[]] => [peer, [...macs].sort()]).sort((a, b) => a[0] - b[0]);
}

describe('SharedMacTable', () => {
  it('learns and looks up an address read from frame bytes as the same address as its key', () => {
    const shared = newTable();
    const single = new MacTable();
    // MAC_C at offset 3 of a frame: its low word is above 2^31, its high word uses all 16 bits
    const frame = Uint8Array.from([0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xfe, 0]);
    for (const table of [shared, single]) {
      table.learnAt(frame, 3, 5, 1000);
      expect(table.lookup(MAC_C, 1001)).toBe(5);
      expect(table.lookupAt(frame, 3, 1001)).toBe(5);
      expect(table.lookupAt(frame, 2, 1001)).toBe(UNKNOWN);
      table.learn(MAC_A, 6, 1000);
      expect(table.lookupAt(Uint8Array.from([0x02, 0x11, 0x22, 0x33, 0x44, 0x55]), 0, 1001)).toBe(6);
    }
  });

  it('answers the peer an address was learned on, LOCAL, or UNKNOWN', () => {
    const table = newTable();
    table.learn(MAC_A, 7, 1000);
    table.learn(MAC_B, LOCAL, 1000);
    table.learn(MAC_C, 3, 1000);
    expect(table.lookup(MAC_A, 1001)).toBe(7);
    expect(table.lookup(MAC_B, 1001)).toBe(LOCAL);
    expect(table.lookup(MAC_C, 1001)).toBe(3);
    expect(table.lookup(0x02_00_00_00_00_01, 1001)).toBe(UNKNOWN);
    table.learn(MAC_A, 9, 1002); // the address moved to another peer
    expect(table.lookup(MAC_A, 1003)).toBe(9);
    expect(table.size).toBe(3);
  });

  it('lets an address go stale ETH_ADDR_STALE_TIME after it was learned, and learns it again', () => {
    const table = newTable();
    table.learn(MAC_A, 7, 5000);
    expect(table.lookup(MAC_A, 5000 + ETH_ADDR_STALE_TIME - 1)).toBe(7);
    expect(table.lookup(MAC_A, 5000 + ETH_ADDR_STALE_TIME)).toBe(UNKNOWN);
    table.learn(MAC_A, 7, 5000 + ETH_ADDR_STALE_TIME + 10);
    expect(table.lookup(MAC_A, 5000 + ETH_ADDR_STALE_TIME + 11)).toBe(7);
  });

  it('skips refreshes that would move the timeout by less than REFRESH_INTERVAL, but not an owner change', () => {
    const table = newTable();
    table.learn(MAC_A, 7, 0);
    table.learn(MAC_A, 7, REFRESH_INTERVAL - 1); // skipped
    expect(table.lookup(MAC_A, ETH_ADDR_STALE_TIME)).toBe(UNKNOWN);
    table.learn(MAC_A, 7, 0);
    table.learn(MAC_A, 7, REFRESH_INTERVAL); // taken
    expect(table.lookup(MAC_A, ETH_ADDR_STALE_TIME + REFRESH_INTERVAL - 1)).toBe(7);
    table.learn(MAC_A, 8, REFRESH_INTERVAL + 1);
    expect(table.lookup(MAC_A, REFRESH_INTERVAL + 2)).toBe(8);
  });

  it('forgets the addresses of one peer only', () => {
    const table = newTable();
    table.learn(MAC_A, 7, 0);
    table.learn(MAC_B, 8, 0);
    table.learn(MAC_C, 7, 0);
    table.forgetPeer(7);
    expect(table.lookup(MAC_A, 1)).toBe(UNKNOWN);
    expect(table.lookup(MAC_C, 1)).toBe(UNKNOWN);
    expect(table.lookup(MAC_B, 1)).toBe(8);
  });

  it('behaves like MacTable over a long random sequence of learn, lookup, forgetPeer, expire and snapshot', () => {
    const shared = newTable(256);
    const reference = new MacTable();
    let seed = 99;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const keys = Array.from({ length: 60 }, (_, i) => 0x02_00_5e_00_00_00 + i * 0x10001);
    let now = 0;
    let snapshots = 0;
    for (let step = 0; step < 5000; step++) {
      // Steps of at least REFRESH_INTERVAL, so no refresh is skipped and the timeouts agree exactly.
      now += REFRESH_INTERVAL + random(20_000);
      const op = random(100);
      if (op < 60) {
        const key = keys[random(keys.length)];
        const owner = random(5) === 0 ? LOCAL : random(6);
        shared.learn(key, owner, now);
        reference.learn(key, owner, now);
      } else if (op < 65) {
        const peer = random(6);
        shared.forgetPeer(peer);
        reference.forgetPeer(peer);
      } else if (op < 80) {
        shared.expire(now);
        reference.expire(now);
        expect(shared.size).toBe(reference.size);
      } else {
        const a = normalized(shared.snapshot(now));
        expect(a).toEqual(normalized(reference.snapshot(now)));
        if (a) snapshots++;
      }
      expect(keys.map((key) => shared.lookup(key, now))).toEqual(keys.map((key) => reference.lookup(key, now)));
    }
    expect(snapshots).toBeGreaterThan(100);
  });

  it('reuses the slots of expired addresses: a small table survives many generations of addresses', () => {
    const table = newTable(16);
    let now = 0;
    for (let generation = 0; generation < 500; generation++) {
      const base = 0x02_00_00_00_00_00 + generation * 1000;
      for (let i = 0; i < 12; i++) table.learn(base + i * 7919, generation * 16 + i, now);
      for (let i = 0; i < 12; i++) expect(table.lookup(base + i * 7919, now)).toBe(generation * 16 + i);
      expect(table.size).toBe(12);
      now += ETH_ADDR_STALE_TIME;
      table.expire(now);
      expect(table.size).toBe(0);
    }
  });

  it('refuses new addresses beyond three quarters of its slots, without harm to the known ones', () => {
    const table = newTable(16);
    for (let i = 0; i < 20; i++) table.learn(MAC_A + i, i, 0);
    expect(table.size).toBe(12);
    for (let i = 0; i < 12; i++) expect(table.lookup(MAC_A + i, 1)).toBe(i);
    for (let i = 12; i < 20; i++) expect(table.lookup(MAC_A + i, 1)).toBe(UNKNOWN);
  });

  it('reports snapshots like MacTable: null when nothing changed, peers filtered, LOCAL left out', () => {
    const table = newTable();
    expect(table.snapshot(0)).toBeNull();
    table.learn(MAC_A, 1, 0);
    table.learn(MAC_B, 2, 0);
    table.learn(MAC_C, LOCAL, 0);
    expect(normalized(table.snapshot(1))).toEqual([[1, ['02:11:22:33:44:55']], [2, ['02:11:22:33:44:66']]]);
    expect(table.snapshot(2)).toBeNull();
    table.learn(MAC_C, 2, 3);
    expect(normalized(table.snapshot(4, (peer) => peer === 2))).toEqual([[2, ['02:11:22:33:44:66', 'fe:ff:ff:ff:ff:fe']]]);
  });

  it('refuses a capacity that is not a power of two, and a buffer that is not a table', () => {
    expect(() => SharedMacTable.create(100)).toThrow(/power of two/);
    expect(() => new SharedMacTable(new SharedArrayBuffer(1000))).toThrow(/not a MAC table/);
  });

  it('is learned by two real threads at once: no address twice, every address found, no torn read', async () => {
    const buffer = SharedMacTable.create(8192);
    const owned = 2000;
    const shared = 500;
    const entry = new URL('./shared-mac-table.worker.ts', import.meta.url);
    const start = new SharedArrayBuffer(4);
    const job = (worker: number): LearnJob => ({ table: buffer, worker, other: 1 - worker, owned, shared, rounds: 30, start });
    const workers = [startTsWorker(entry, { workerData: job(0) }), startTsWorker(entry, { workerData: job(1) })];
    try {
      const results = await Promise.all(workers.map((w) => nextMessage<{ tornReads: number; lookups: number; missing: number }>(w)));
      for (const result of results) {
        expect(result.tornReads).toBe(0);
        expect(result.missing).toBe(0);
        expect(result.lookups).toBe(30 * (owned + shared));
      }
      // Looked up here, with this thread's clock: the table keeps epoch time.
      const table = new SharedMacTable(buffer);
      const now = performance.now();
      for (const worker of [0, 1]) {
        for (let i = 0; i < owned; i++) expect(table.lookup(ownedKey(worker, i), now) >> 1).toBe(ownerFamily(worker, i));
      }
      for (let i = 0; i < shared; i++) expect([sharedOwner(i, 0), sharedOwner(i, 1)]).toContain(table.lookup(sharedKey(i), now));
      expect(table.size).toBe(2 * owned + shared);
      const listed = [...table.snapshot(now)!.values()].flat();
      expect(listed).toHaveLength(2 * owned + shared);
      expect(new Set(listed).size).toBe(listed.length);
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  });
});
