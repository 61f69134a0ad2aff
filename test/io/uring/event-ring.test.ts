import { afterEach, describe, expect, it } from 'vitest';
import { Op } from '../../../src/io/uring/abi.js';
import { probeUring } from '../../../src/io/uring/availability.js';
import { type CompletionSink, EventRing } from '../../../src/io/uring/event-ring.js';
import { Ring } from '../../../src/io/uring/ring.js';
import { heapBytesAllocated } from '../../helpers/heap-allocation.js';

const support = probeUring();
/** Whether this kernel honours a wait's minimum (Linux 6.13's IORING_FEAT_MIN_TIMEOUT). */
const minWait = ((): boolean => {
  if (!support.available) return false;
  const ring = new Ring(8, true);
  try {
    return ring.minWait;
  } finally {
    ring.close();
  }
})();
const rings: EventRing[] = [];
afterEach(() => {
  for (const ring of rings.splice(0)) ring.close();
});

function eventRing(): EventRing {
  const events = new EventRing(64);
  rings.push(events);
  return events;
}

/** A sink that counts its completions and, like a TUN/TAP queue's READ, arms its op again after each. */
class Rearming implements CompletionSink {
  completions = 0;
  tag = 0;

  constructor(private readonly events: EventRing) {
    this.arm();
  }

  arm(): void {
    this.tag = this.events.arm(this, Op.NOP, -1, 0, 0);
  }

  complete(): void {
    this.completions++;
    this.arm();
  }
}

describe.runIf(support.available)('event ring', () => {
  it('routes each completion to the sink that armed the op, over many re-arms', () => {
    const events = eventRing();
    const sinks = [new Rearming(events), new Rearming(events), new Rearming(events)];
    expect(new Set(sinks.map((sink) => sink.tag)).size).toBe(3);
    for (let i = 0; i < 1000; i++) events.wait(0);
    for (const sink of sinks) expect(sink.completions).toBe(1000);
    expect(new Set(sinks.map((sink) => sink.tag)).size).toBe(3);
  });

  it('arms and routes at packet rate without allocating', () => {
    // a worker re-arms a queue's READ for every frame; what that allocates piles up in V8's old
    // generation (once the ring's bookkeeping is old) until a full collection
    const events = eventRing();
    const sink = new Rearming(events);
    const waits = (count: number) => () => {
      for (let i = 0; i < count; i++) events.wait(0);
    };
    waits(20_000)(); // optimised by now
    const perRearm = Math.min(...[1, 2, 3].map(() => heapBytesAllocated(waits(20_000)) / 20_000));
    expect(sink.completions).toBe(80_000);
    expect(perRearm).toBeLessThan(1);
  });

  it.runIf(minWait)('a gathering wait that finds one completion sleeps out its minimum for more, then returns with it (no timeout)', () => {
    const events = eventRing();
    const sink = new Rearming(events);
    const gatherUs = 20_000;
    const start = performance.now();
    events.wait(-1, gatherUs);
    expect(sink.completions).toBe(1);
    // a lower bound only: the kernel returns no sooner than the minimum, however slow the machine
    expect(performance.now() - start).toBeGreaterThanOrEqual(gatherUs / 1000 - 1);
  });
});
