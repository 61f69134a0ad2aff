// CoDel's state machine (RFC 8289) on synthetic sojourn sequences: one packet a millisecond,
// each with the sojourn time the sequence gives it; the times it drops at are compared with
// the RFC's control law.
import { describe, expect, it } from 'vitest';
import { CoDel, CODEL_INTERVAL_MS, CODEL_TARGET_MS } from '../../../../src/engine/datapath/pipeline/codel.js';

const START = 1_000_000;
/** The RFC's own figures (section 4): the control law is checked against its numbers. */
const RFC_TARGET_MS = 5;
const RFC_INTERVAL_MS = 100;
const rfc = () => new CoDel(RFC_TARGET_MS, RFC_INTERVAL_MS);

/** The times (ms after START) CoDel drops at, one packet each `every` ms from START for `ms`, sojourn(t) each, none queued alone unless `alone`. */
function drops(codel: CoDel, ms: number, sojourn: (t: number) => number, from = 0, every = 1, alone = false): number[] {
  const times: number[] = [];
  for (let t = from; t < from + ms; t += every) if (codel.decide(sojourn(t), START + t, alone)) times.push(t);
  return times;
}

describe('CoDel', () => {
  it('never drops while packets wait less than the target', () => {
    expect(drops(rfc(), 10_000, (t) => (t % 7) * 0.7)).toEqual([]);
  });

  it('never drops a packet that queued alone, however long it waited: sparse packets are no standing queue', () => {
    expect(drops(rfc(), 10_000, () => 50, 0, 200, true)).toEqual([]);
    // the same packets with others behind them: a standing queue
    expect(drops(rfc(), 1_000, () => 50, 0, 200, false)).toEqual([200, 400, 600, 800]);
  });

  it('lets lone packets amid a standing queue change nothing: the others drop on schedule', () => {
    const codel = rfc();
    const times: number[] = [];
    for (let t = 0; t < 400; t++) if (codel.decide(20, START + t, t % 3 === 2)) times.push(t);
    // as without the lone ones, but a drop that falls on a lone packet goes to the next one
    expect(times).toEqual([100, 201, 271, 330, 379]);
  });

  it('lets a burst above the target drain for up to an interval without a drop', () => {
    const burst = (t: number) => (t % 1000 < RFC_INTERVAL_MS - 2 ? 50 : 1);
    expect(drops(rfc(), 5000, burst)).toEqual([]);
  });

  it('drops a standing queue one interval after it formed, then at interval / sqrt(count)', () => {
    const times = drops(rfc(), 400, () => 2 * RFC_TARGET_MS);
    // above the target from t=0: ok to drop from t=100; then due at 100 + 100/√1, + 100/√2, + 100/√3
    const due = [100];
    for (let count = 1; due.at(-1)! + RFC_INTERVAL_MS / Math.sqrt(count) < 400; count++) due.push(due.at(-1)! + RFC_INTERVAL_MS / Math.sqrt(count));
    expect(times).toEqual(due.map(Math.ceil));
    expect(times).toEqual([100, 200, 271, 329, 379]);
  });

  it('stops dropping at the first packet below the target, and starts over from one interval', () => {
    const codel = rfc();
    expect(drops(codel, 300, () => 20)).toEqual([100, 200, 271]);
    expect(drops(codel, 100, () => 1, 300)).toEqual([]);
    // more than 16 intervals later: the count starts again at 1
    expect(drops(codel, 400, () => 20, 2000)).toEqual([2100, 2200, 2271, 2329, 2379]);
  });

  it('goes back to the rate it reached when the queue comes back soon', () => {
    const codel = rfc();
    expect(drops(codel, 350, () => 20)).toEqual([100, 200, 271, 329]);
    expect(drops(codel, 100, () => 1, 350)).toEqual([]);
    // three drops since the last start: the new dropping state begins at count 3, so the
    // second drop follows the first after 100/√3 ms, not 100 ms
    const again = drops(codel, 300, () => 20, 450);
    expect(again[0]).toBe(550);
    expect(again[1]).toBe(550 + Math.ceil(RFC_INTERVAL_MS / Math.sqrt(3)));
  });

  it('neither drops nor judges while the queue is mostly garbage: a flood does not shrink when tunnel packets go', () => {
    const codel = rfc();
    // batches of 64 taken from the queue, of which `forSessions` were data for a session
    const times: number[] = [];
    for (let t = 0; t < 1_000; t++) {
      if (t % 64 === 0) codel.tookBatch(t < 500 ? 10 : 64, 64);
      if (codel.decide(20, START + t, false)) times.push(t);
    }
    // the flood's 500 ms pass without a drop; then the queue is the tunnel's, and stood for an interval first
    expect(times[0]).toBe(512 + RFC_INTERVAL_MS);
    // at half the batch for sessions, the queue is theirs
    const half = rfc();
    half.tookBatch(32, 64);
    expect(drops(half, 300, () => 20)).toEqual([100, 200, 271]);
  });

  it("keeps a supernode's queue to a millisecond: drops what stood above it for 20 ms", () => {
    expect([CODEL_TARGET_MS, CODEL_INTERVAL_MS]).toEqual([1, 20]);
    // 3 ms, under the RFC's 5 ms target: left alone there, a standing queue here
    expect(drops(rfc(), 1_000, () => 3)).toEqual([]);
    const times = drops(new CoDel(), 100, () => 3);
    expect(times).toEqual([20, 40, 55, 66, 76, 85, 93]);
    expect(drops(new CoDel(), 1_000, () => 0.9)).toEqual([]);
  });
});
