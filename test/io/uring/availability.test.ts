import { describe, expect, it } from 'vitest';
import { probeUring } from '../../../src/io/uring/availability.js';
import { Op } from '../../../src/io/uring/abi.js';
import { Ring } from '../../../src/io/uring/ring.js';
import { createBackend } from '../../../src/io/backend.js';
import { testPacketMemory } from '../../helpers/packet-memory.js';

describe('io_uring ring through raw system calls', () => {
  const support = probeUring();

  it('probes the kernel and reports what it offers, or why not', () => {
    if (support.available) {
      expect(support.ops.has(Op.RECVMSG)).toBe(true);
      process.stderr.write(`io_uring: features 0x${support.features.toString(16)}, buffer rings ${support.bufferRings}, multishot recvmsg ${support.multishotRecvmsg}\n`);
    } else {
      expect(support.reason).toMatch(/io_uring/);
    }
  });

  it.runIf(support.available)('runs 100 NOPs with one io_uring_enter and reads back their completions', () => {
    const ring = new Ring(128);
    try {
      for (let i = 0; i < 100; i++) ring.prepare(ring.claim(), Op.NOP, -1, 0, 0, 1000 + i);
      ring.submit(100);
      expect(ring.enterCalls).toBe(1);
      expect(ring.ready()).toBe(100);
      const seen = new Set<number>();
      for (let k = 0; k < 100; k++) {
        expect(ring.cqeResult(k)).toBe(0);
        seen.add(ring.cqeUserData(k));
      }
      ring.consume(100);
      expect(ring.ready()).toBe(0);
      expect(seen.size).toBe(100);
      expect(Math.min(...seen)).toBe(1000);
    } finally {
      ring.close();
    }
  });

  it.runIf(support.available)('refuses more SQEs than the ring holds until the kernel consumed them', () => {
    const ring = new Ring(4);
    try {
      for (let i = 0; i < ring.sqEntries; i++) expect(ring.claim()).toBeGreaterThanOrEqual(0);
      expect(ring.claim()).toBe(-1);
      ring.submit(ring.sqEntries);
      ring.consume(ring.ready());
      expect(ring.claim()).toBeGreaterThanOrEqual(0);
    } finally {
      ring.close();
    }
  });
});

describe('backend selection', () => {
  it('gives the fallback when asked, and io_uring when preferred and available', () => {
    const mem = testPacketMemory(4);
    const fallback = createBackend(mem, { prefer: 'fallback' });
    expect(fallback.kind).toBe('fallback');
    expect(fallback.fallbackReason).toBeNull();
    fallback.close();
    const preferred = createBackend(mem, { prefer: 'io_uring' });
    const support = probeUring();
    expect(preferred.kind).toBe(support.available ? 'io_uring' : 'fallback');
    if (!support.available) expect(preferred.fallbackReason).toBe(support.reason);
    preferred.close();
  });

  const support = probeUring();
  it.runIf(support.available && support.multishotRecvmsg)('waits on an event ring unless told not to (the FASTD_TS_URING_WAIT=0 benchmark)', () => {
    const mem = testPacketMemory(4);
    const waiting = createBackend(mem, { prefer: 'io_uring' });
    expect(waiting.events).not.toBeNull();
    waiting.close();
    const polling = createBackend(mem, { prefer: 'io_uring', eventRing: false });
    expect(polling.kind).toBe('io_uring');
    expect(polling.events).toBeNull();
    polling.close();
  });
});
