// When the metrics are rendered unsent: once more sessions came or went than the last render
// listed connected peers, at the first second that saw few of them, twice a tick apart.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TICK_MS, WARM_RENDERS, WarmRender } from '../../src/status/warm-render.js';

/** A WarmRender whose renders are counted in `last`, each listing `connected` peers then. */
function warmRender(connected: () => number, before = { renders: 0, connectedPeers: 0 }) {
  const last = { ...before };
  const warm = new WarmRender(() => {
    last.renders++;
    last.connectedPeers = connected();
  }, last);
  return { warm, last };
}

describe('WarmRender', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('renders after a connect storm, when it has passed, twice a tick apart', () => {
    let connected = 0;
    const { warm, last } = warmRender(() => connected);
    // 1,000 peers in 4 s, as a supernode's cold start
    for (let i = 0; i < 40; i++) {
      connected += 25;
      for (let j = 0; j < 25; j++) warm.peersChanged();
      vi.advanceTimersByTime(TICK_MS / 10);
    }
    expect(last.renders).toBe(0);
    for (let waited = 0; last.renders === 0 && waited < 2 * TICK_MS; waited += TICK_MS / 10) vi.advanceTimersByTime(TICK_MS / 10);
    expect(last).toEqual({ renders: 1, connectedPeers: 1000 });
    vi.advanceTimersByTime(TICK_MS);
    expect(last.renders).toBe(2);
    vi.advanceTimersByTime(10 * TICK_MS);
    expect(last.renders).toBe(WARM_RENDERS);
  });

  it('renders through a steady churn of sessions once the storm is over', () => {
    const { warm, last } = warmRender(() => 1000);
    for (let j = 0; j < 1000; j++) warm.peersChanged();
    for (let second = 0; second < 5; second++) {
      for (let j = 0; j < 20; j++) warm.peersChanged();
      vi.advanceTimersByTime(TICK_MS);
    }
    expect(last.renders).toBe(WARM_RENDERS);
  });

  it('renders nothing for sessions fewer than the connected peers of the last render (a scrape or its own)', () => {
    const { warm, last } = warmRender(() => 1000, { renders: 1, connectedPeers: 1000 });
    for (let j = 0; j < 1000; j++) warm.peersChanged();
    vi.advanceTimersByTime(10 * TICK_MS);
    expect(last.renders).toBe(1);
    warm.peersChanged();
    vi.advanceTimersByTime(10 * TICK_MS);
    expect(last.renders).toBe(1 + WARM_RENDERS);
  });

  it('counts sessions anew after a scrape', () => {
    const { warm, last } = warmRender(() => 10);
    for (let j = 0; j < 10; j++) warm.peersChanged();
    // a scrape's render
    last.renders++;
    last.connectedPeers = 10;
    vi.advanceTimersByTime(10 * TICK_MS);
    expect(last.renders).toBe(1);
    for (let j = 0; j < 10; j++) warm.peersChanged();
    vi.advanceTimersByTime(10 * TICK_MS);
    expect(last.renders).toBe(1);
  });

  it('renders nothing without sessions, nor after close', () => {
    const { warm, last } = warmRender(() => 10);
    vi.advanceTimersByTime(10 * TICK_MS);
    warm.peersChanged();
    warm.close();
    vi.advanceTimersByTime(10 * TICK_MS);
    expect(last.renders).toBe(0);
  });
});
