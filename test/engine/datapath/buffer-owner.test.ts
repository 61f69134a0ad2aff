// A payload's owner in its three states: each encodes apart from the others (also at offset
// 0 and at the far end of a large memory), and releasing one frees a pool buffer, gives a
// lent buffer back by its offset, or does nothing for a read slot.
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../../src/bufferpool/pool.js';
import { PacketMemory } from '../../../src/bufferpool/packet-memory.js';
import { isLent, isPooled, lentOffset, lentOwner, NO_OWNER, pooledOwner, releaseOwner } from '../../../src/engine/datapath/buffer-owner.js';

describe('buffer owners', () => {
  it('tells the states apart and decodes a lent buffer\'s offset', () => {
    for (const index of [0, 1, 4095]) {
      expect(isPooled(pooledOwner(index))).toBe(true);
      expect(isLent(pooledOwner(index))).toBe(false);
    }
    expect(isPooled(NO_OWNER)).toBe(false);
    expect(isLent(NO_OWNER)).toBe(false);
    for (const offset of [0, 64, 2 ** 31 - 64]) {
      const owner = lentOwner(offset);
      expect(isLent(owner)).toBe(true);
      expect(isPooled(owner)).toBe(false);
      expect(owner).toBe(new Int32Array([owner])[0]); // fits the typed arrays the send path keeps
      expect(lentOffset(owner)).toBe(offset);
    }
  });

  it('releases into the pool, to the lender, or nowhere', () => {
    const pool = new BufferPool(new PacketMemory(1 << 20, 1 << 20), { bufferSize: 2048, buffersPerChunk: 8, maxBuffers: 64, minChunks: 1, idleReleaseMs: 1000 });
    const given: number[] = [];
    const lender = { giveBack: (offset: number) => given.push(offset) };
    const index = pool.alloc(0);
    expect(pool.stats().inUse).toBe(1);
    releaseOwner(pooledOwner(index), pool, lender);
    expect(pool.stats().inUse).toBe(0);
    releaseOwner(lentOwner(4096), pool, lender);
    releaseOwner(NO_OWNER, pool, null);
    expect(given).toEqual([4096]);
    expect(pool.stats().inUse).toBe(0);
  });
});
