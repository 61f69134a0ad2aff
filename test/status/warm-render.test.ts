// When the metrics are rendered unsent: once the peers have stayed as they are for a while, and
// only when the connected peers have more than doubled since the last render.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PeerStatistics } from '../../src/engine/control/peer-stats.js';
import type { PeerStatusSource, StatusSource } from '../../src/status/status-json.js';
import { QUIET_MS, WarmRender } from '../../src/status/warm-render.js';

function sourceWith(connected: number, listed = connected): StatusSource {
  const peers: PeerStatusSource[] = Array.from({ length: listed }, (_, peerId) => ({
    key: peerId.toString(16).padStart(64, '0'),
    name: undefined,
    address: 'any',
    iface: undefined,
    peerId,
    establishedAt: peerId < connected ? 1 : undefined,
    method: undefined,
    macAddresses: [],
  }));
  return { now: 0, startedAt: 0, mode: 'tap', singleInterface: 'ffda-vpn', globalStats: new Float64Array(0), peerStats: new PeerStatistics([]), peers, ioBackend: undefined };
}

/** A WarmRender over `source`, whose last render listed `rendered` connected peers; `renders`: what it rendered. */
function warmRender(source: StatusSource, rendered = 0): { warm: WarmRender; renders: StatusSource[] } {
  const renders: StatusSource[] = [];
  return { warm: new WarmRender(() => source, (from) => renders.push(from), () => rendered), renders };
}

describe('WarmRender', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('renders once, after a storm of sessions, when the peers have been quiet', () => {
    const source = sourceWith(1000, 1200);
    const { warm, renders } = warmRender(source);
    for (let i = 0; i < 40; i++) {
      warm.peersChanged();
      vi.advanceTimersByTime(QUIET_MS / 4);
    }
    expect(renders).toEqual([]);
    vi.advanceTimersByTime(2 * QUIET_MS);
    expect(renders).toEqual([source]);
    vi.advanceTimersByTime(10 * QUIET_MS);
    expect(renders).toHaveLength(1);
  });

  it('renders only when more than twice as many peers are connected as at the last render', () => {
    const kept = warmRender(sourceWith(1000), 500);
    kept.warm.peersChanged();
    vi.advanceTimersByTime(2 * QUIET_MS);
    expect(kept.renders).toEqual([]);
    const doubled = warmRender(sourceWith(1000), 499);
    doubled.warm.peersChanged();
    vi.advanceTimersByTime(2 * QUIET_MS);
    expect(doubled.renders).toHaveLength(1);
  });

  it('renders nothing without a change, nor after close', () => {
    const { warm, renders } = warmRender(sourceWith(10));
    vi.advanceTimersByTime(10 * QUIET_MS);
    warm.peersChanged();
    warm.close();
    vi.advanceTimersByTime(10 * QUIET_MS);
    expect(renders).toEqual([]);
  });
});
