// The receive buffer's size rule on synthetic rates: the worker takes bytes at a given rate,
// one receive a millisecond, and the sizes the rule asks for are compared with RECEIVE_BUFFER_MS
// of that rate, within its floor (fastd's buffer) and its ceiling (the buffer sockets open with).
import { describe, expect, it } from 'vitest';
import { SOCKET_BUFFER_BYTES } from '../../../src/engine/net/sockets.js';
import { MIN_RECEIVE_BUFFER, RECEIVE_BUFFER_MS, RESIZE_INTERVAL_MS, ReceiveBuffer } from '../../../src/engine/datapath/receive-buffer.js';

const START = 1_000_000;

/** Takes `bytesPerMs` each millisecond from `from` for `ms`; the sizes asked for, by the time (ms after START). */
function run(buffer: ReceiveBuffer, bytesPerMs: number, ms: number, from = 0): Map<number, number> {
  const sizes = new Map<number, number>();
  for (let t = from; t < from + ms; t++) {
    buffer.took(bytesPerMs);
    const size = buffer.resize(START + t);
    if (size > 0) sizes.set(t, size);
  }
  return sizes;
}

describe('ReceiveBuffer', () => {
  it('starts at the size sockets open with', () => {
    expect(new ReceiveBuffer().size).toBe(SOCKET_BUFFER_BYTES);
  });

  it('holds RECEIVE_BUFFER_MS of the rate the worker takes, halving at most once an interval on the way down', () => {
    const buffer = new ReceiveBuffer();
    // an eighth of the ceiling's worth: three halvings
    const target = SOCKET_BUFFER_BYTES / 8;
    const sizes = [...run(buffer, target / RECEIVE_BUFFER_MS, 20 * RESIZE_INTERVAL_MS).values()];
    expect(sizes).toEqual([SOCKET_BUFFER_BYTES / 2, SOCKET_BUFFER_BYTES / 4, target]);
  });

  it('never goes below fastd’s buffer, however slow the rate', () => {
    const buffer = new ReceiveBuffer();
    run(buffer, 100, 40 * RESIZE_INTERVAL_MS);
    expect(buffer.size).toBe(MIN_RECEIVE_BUFFER);
  });

  it('follows a rising rate within one interval, up to the size sockets open with', () => {
    const buffer = new ReceiveBuffer();
    run(buffer, 100, 40 * RESIZE_INTERVAL_MS);
    const rising = run(buffer, 100_000_000, 2 * RESIZE_INTERVAL_MS, 40 * RESIZE_INTERVAL_MS);
    expect([...rising.values()]).toEqual([SOCKET_BUFFER_BYTES]);
    expect([...rising.keys()][0]! - 40 * RESIZE_INTERVAL_MS).toBeLessThanOrEqual(RESIZE_INTERVAL_MS);
  });

  it('asks for no change smaller than a quarter of the size (each is a system call)', () => {
    const buffer = new ReceiveBuffer();
    const steady = 300_000 / RECEIVE_BUFFER_MS;
    run(buffer, steady, 20 * RESIZE_INTERVAL_MS);
    expect(buffer.size).toBe(300_000);
    // 20 % more, then 20 % less: within the hysteresis, no resize asked
    expect(run(buffer, steady * 1.2, 10 * RESIZE_INTERVAL_MS, 20 * RESIZE_INTERVAL_MS).size).toBe(0);
    expect(run(buffer, steady * 0.8, 10 * RESIZE_INTERVAL_MS, 30 * RESIZE_INTERVAL_MS).size).toBe(0);
  });

  it('takes an idle spell as a lull: one halving at the next receive, then the rate of the traffic after it', () => {
    const buffer = new ReceiveBuffer();
    const size = SOCKET_BUFFER_BYTES / 4;
    const steady = size / RECEIVE_BUFFER_MS;
    run(buffer, steady, 20 * RESIZE_INTERVAL_MS);
    expect(buffer.size).toBe(size);
    // a minute without a datagram, then the same traffic again
    const after = run(buffer, steady, 3 * RESIZE_INTERVAL_MS, 60_000);
    expect([...after.values()]).toEqual([size / 2, size]);
  });

  it('counts the kernel’s drops once, and asks for them only after the worker took something', () => {
    const buffer = new ReceiveBuffer();
    expect(buffer.tookSince()).toBe(false);
    buffer.took(1400);
    expect(buffer.tookSince()).toBe(true);
    expect(buffer.tookSince()).toBe(false);
    expect(buffer.newDrops(12)).toBe(12);
    expect(buffer.newDrops(12)).toBe(0);
    expect(buffer.newDrops(20)).toBe(8);
  });
});
