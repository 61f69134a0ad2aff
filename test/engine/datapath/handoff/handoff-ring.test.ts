import { describe, expect, it } from 'vitest';
import { HandoffBatch, HandoffKind, HandoffRing } from '../../../../src/engine/datapath/handoff/handoff-ring.js';
import { close, eventfd } from '../../../../src/io/libc.js';
import { EventFdFlag, SOCKADDR_SLOT } from '../../../../src/io/linux-abi.js';
import { nextMessage, startTsWorker } from '../../../helpers/ts-worker.js';
import { expectedEntry, pushEntry, takenEntry } from './handoff-ring.entries.js';
import type { StressJob } from './handoff-ring.worker.js';

const ADDRESS_WORDS = SOCKADDR_SLOT / 4;

function ringPair(capacity: number) {
  const buffer = HandoffRing.create(capacity);
  return { buffer, producer: new HandoffRing(buffer), consumer: new HandoffRing(buffer) };
}

describe('HandoffRing', () => {
  it('sizes itself from the capacity, which must be a power of two', () => {
    expect(HandoffRing.bytesFor(8)).toBeLessThan(HandoffRing.bytesFor(16));
    expect(new HandoffRing(HandoffRing.create(64)).capacity).toBe(64);
    for (const bad of [0, 3, 12, -4, 1.5]) expect(() => HandoffRing.bytesFor(bad)).toThrow(/power of two/);
    expect(() => new HandoffRing(new SharedArrayBuffer(1000))).toThrow(/not a handoff ring/);
  });

  it('shows entries only after publish, in order, each kind with its own fields', () => {
    const { producer, consumer } = ringPair(16);
    const out = new HandoffBatch(16);
    const address = new Uint32Array(ADDRESS_WORDS);
    for (let i = 0; i < 5; i++) expect(pushEntry(producer, expectedEntry(i), address)).toBe(true);
    expect(consumer.take(out)).toBe(0);
    expect(out.count).toBe(0);
    producer.publish();
    expect(consumer.take(out)).toBe(5);
    expect(out.count).toBe(5);
    for (let i = 0; i < 5; i++) {
      const e = expectedEntry(i);
      expect(takenEntry(out, i)).toEqual([e.kind, e.subject, e.offset, e.length]);
    }
    expect(consumer.take(out)).toBe(0);
  });

  it('carries the sender’s address of a Try entry, copied from the caller’s slot', () => {
    const { producer, consumer } = ringPair(4);
    const table = new Uint32Array(3 * ADDRESS_WORDS);
    for (let i = 0; i < table.length; i++) table[i] = 0xa0000000 + i;
    expect(producer.pushTry(2, 3, 4, table, 2)).toBe(true);
    expect(producer.pushTry(6, 7, 8, table, 0)).toBe(true);
    producer.publish();
    const out = new HandoffBatch(4);
    expect(consumer.take(out)).toBe(2);
    expect([...out.addressWords.subarray(0, ADDRESS_WORDS)]).toEqual([...table.subarray(2 * ADDRESS_WORDS, 3 * ADDRESS_WORDS)]);
    expect([...out.addressWords.subarray(ADDRESS_WORDS, 2 * ADDRESS_WORDS)]).toEqual([...table.subarray(0, ADDRESS_WORDS)]);
    expect(takenEntry(out, 1)).toEqual([HandoffKind.Try, 6, 7, 8]);
  });

  it('refuses pushes when full without overwriting anything, and frees room as entries are taken', () => {
    const { producer, consumer } = ringPair(8);
    for (let i = 0; i < 8; i++) expect(producer.pushSeal(i, i * 100, i)).toBe(true);
    expect(producer.pushSeal(99, 9900, 99)).toBe(false);
    expect(producer.pushTry(98, 9800, 98, new Uint32Array(ADDRESS_WORDS), 0)).toBe(false);
    expect(producer.pushFree(9700)).toBe(false);
    producer.publish();
    expect(producer.pushOpen(97, 9700, 97)).toBe(false);

    const small = new HandoffBatch(3);
    expect(consumer.take(small)).toBe(3);
    expect([...small.subjects]).toEqual([0, 1, 2]);
    for (let i = 8; i < 11; i++) expect(producer.pushSeal(i, i * 100, i)).toBe(true);
    expect(producer.pushSealAll(96, 9600, 96)).toBe(false);
    producer.publish();

    const out = new HandoffBatch(16);
    expect(consumer.take(out)).toBe(8);
    expect([...out.subjects.subarray(0, 8)]).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect([...out.offsets.subarray(0, 8)]).toEqual([300, 400, 500, 600, 700, 800, 900, 1000]);
  });

  it('keeps order across many wrap-arounds of a small ring', () => {
    const { producer, consumer } = ringPair(4);
    const out = new HandoffBatch(3);
    let sent = 0;
    let received = 0;
    while (received < 10_000) {
      while (sent < 10_000 && producer.pushOpen(sent, sent * 2, sent)) sent++;
      producer.publish();
      const count = consumer.take(out);
      for (let k = 0; k < count; k++) expect(out.peerId(k)).toBe(received++);
    }
    expect(sent).toBe(10_000);
  });

  it('tells the producer to wake a consumer that went to sleep, once', () => {
    const { producer, consumer } = ringPair(8);
    const out = new HandoffBatch(8);
    expect(producer.publish()).toBe(false); // nothing pushed: nothing to do

    // Consumer awake: publishing needs no wake-up.
    producer.pushFree(1);
    expect(producer.publish()).toBe(false);
    // Entries arrived before it went to sleep: it must not sleep.
    expect(consumer.prepareToSleep()).toBe(false);
    expect(consumer.take(out)).toBe(1);

    expect(consumer.prepareToSleep()).toBe(true);
    producer.pushFree(2);
    expect(producer.publish()).toBe(true);
    producer.pushFree(3);
    expect(producer.publish()).toBe(false); // already woken
    consumer.awake();
    expect(consumer.take(out)).toBe(2);

    // A consumer that woke for another reason clears the flag: no needless eventfd write.
    expect(consumer.prepareToSleep()).toBe(true);
    consumer.awake();
    producer.pushFree(4);
    expect(producer.publish()).toBe(false);
  });

  it('moves two million entries between two real threads, each once and in order, sleeping on an eventfd without losing a wake-up', async () => {
    const total = 2_000_000;
    const ring = HandoffRing.create(256);
    const fd = eventfd(0, EventFdFlag.NONBLOCK | EventFdFlag.CLOEXEC);
    expect(fd).toBeGreaterThanOrEqual(0);
    const entry = new URL('./handoff-ring.worker.ts', import.meta.url);
    const job = (role: StressJob['role']): StressJob => ({ role, ring, eventFd: fd, total, pollTimeoutMs: 5000 });
    const consumer = startTsWorker(entry, { workerData: job('consumer') });
    const producer = startTsWorker(entry, { workerData: job('producer') });
    try {
      const [consumed, produced] = await Promise.all([
        nextMessage<{ received: number; wrong: number; firstWrong: number; sleeps: number; timeouts: number }>(consumer),
        nextMessage<{ wakes: number; full: number }>(producer),
      ]);
      expect(consumed.received).toBe(total);
      expect(consumed.wrong, `first wrong entry ${consumed.firstWrong}`).toBe(0);
      // Every poll ended by an eventfd write, none by its timeout.
      expect(consumed.timeouts).toBe(0);
      // Both paths were really taken: the consumer slept and was woken, the ring ran full.
      expect(consumed.sleeps).toBeGreaterThan(0);
      expect(produced.wakes).toBeGreaterThan(0);
      expect(produced.full).toBeGreaterThan(0);
    } finally {
      await Promise.all([consumer.terminate(), producer.terminate()]);
      close(fd);
    }
  });
});
