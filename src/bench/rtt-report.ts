// What `npm run bench:rtt` prints: the round-trip times per tunnel setup next to fastd → fastd's
// at gaps from warm to idle, each idle round trip's hops, the wake floor of a native and a Node echo, and the issue's
// goal figure. Pure functions over the raw samples, so the arithmetic is tested without namespaces.
import type { HopRound } from './rtt-hops.js';
import { alignedTable, median, type Setup, setupLabel } from './report.js';

/**
 * Gaps between pings, ms, from warm to idle: the caches here go cold within a few ms, so
 * the sweep shows how a setup's RTT grows as they do. The idle gap is the goal's.
 */
export const PING_GAPS_MS = [2, 5, 10, 20, 50] as const;
export const WARM_GAP_MS = PING_GAPS_MS[0];
export const IDLE_GAP_MS = PING_GAPS_MS[PING_GAPS_MS.length - 1];

/** Raw samples of one tunnel setup, pooled over the runs. */
export interface TunnelSamples {
  readonly setup: Setup;
  /** ping's own RTTs in ms, by the gap between pings in ms. */
  readonly rttMs: ReadonlyMap<number, readonly number[]>;
  /** Idle round trips split at side a's veth. */
  readonly hops: readonly HopRound[];
}

/** Echo times of one echo server on loopback, in µs, pooled over the runs. */
export interface FloorSamples {
  readonly kind: string;
  readonly coldUs: readonly number[];
  readonly warmUs: readonly number[];
}

/** The idle-RTT goal of the datapath issue: fastd-ts within this much of fastd → fastd. */
const IDLE_RTT_GOAL_MS = 0.1;

const HOPS = ['aOut', 'bRound', 'aIn'] as const;

const isBaseline = (samples: TunnelSamples) => samples.setup.kinds[0] === 'fastd' && samples.setup.kinds[1] === 'fastd';
const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const signed = (value: number, digits: number) => (Number.isFinite(value) ? `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(digits)}` : 'n/a');
/** A value with its difference to the baseline's, or the value alone (baseline's own row, nothing measured on either). */
const withDelta = (value: number, base: number | undefined, digits: number, own: boolean) =>
  own || base === undefined || !Number.isFinite(value) || !Number.isFinite(base) ? fixed(value, digits) : `${fixed(value, digits)} (${signed(value - base, digits)})`;

/** Median of each hop and of the whole round (TAP to TAP), in µs. */
export function hopMedians(hops: readonly HopRound[]): { aOut: number; bRound: number; aIn: number; total: number } {
  return {
    aOut: median(hops.map((round) => round.aOut)),
    bRound: median(hops.map((round) => round.bRound)),
    aIn: median(hops.map((round) => round.aIn)),
    total: median(hops.map((round) => round.aOut + round.bRound + round.aIn)),
  };
}

/** Median RTT at one gap between pings, ms (NaN: none measured). */
const rttAt = (samples: TunnelSamples, gapMs: number) => median(samples.rttMs.get(gapMs) ?? []);

export function formatRttTable(all: readonly TunnelSamples[]): string {
  const base = all.find(isBaseline);
  const gaps = [...new Set(all.flatMap((samples) => [...samples.rttMs.keys()]))].sort((a, b) => a - b);
  const body = all.map((samples) => {
    const own = samples === base;
    return [
      setupLabel(samples.setup),
      ...gaps.map((gap) => withDelta(rttAt(samples, gap), base && rttAt(base, gap), 3, own)),
      gaps.map((gap) => samples.rttMs.get(gap)?.length ?? 0).join('/'),
    ];
  });
  return alignedTable(['RTT ms (Δ fastd), gap between pings:', ...gaps.map((gap) => `${gap} ms`), 'pings'], body);
}

export function formatHopTable(all: readonly TunnelSamples[]): string {
  const base = all.find(isBaseline);
  const baseHops = base && hopMedians(base.hops);
  const body = all.map((samples) => {
    const own = samples === base;
    const hops = hopMedians(samples.hops);
    return [
      setupLabel(samples.setup),
      ...HOPS.map((hop) => withDelta(hops[hop], baseHops?.[hop], 1, own)),
      withDelta(hops.total, baseHops?.total, 1, own),
      String(samples.hops.length),
    ];
  });
  return alignedTable(['idle round trip, µs (Δ fastd)', 'a-out', 'b-round', 'a-in', 'TAP to TAP', 'rounds'], body);
}

/**
 * One row per echo server, then the second's difference to the first (the runtime's share).
 * cold − warm is what going cold costs each, apart from the work per echo (socat relays
 * through a pipe and makes many more system calls per echo than the Node echo).
 */
export function formatFloorTable(floor: readonly FloorSamples[]): string {
  const figures = floor.map((samples) => {
    const [cold, warm] = [median(samples.coldUs), median(samples.warmUs)];
    return { kind: samples.kind, cold, warm, wake: cold - warm, probes: `${samples.coldUs.length}/${samples.warmUs.length}` };
  });
  const rows = figures.map((f) => [f.kind, fixed(f.cold, 1), fixed(f.warm, 1), fixed(f.wake, 1), f.probes]);
  const [native, node] = figures;
  if (native && node) {
    rows.push([`${node.kind} − ${native.kind}`, signed(node.cold - native.cold, 1), signed(node.warm - native.warm, 1), signed(node.wake - native.wake, 1), '']);
  }
  return alignedTable(['UDP echo on loopback, µs', 'cold', 'warm', 'cold − warm', 'probes cold/warm'], rows);
}

/** Idle RTT minus fastd → fastd's for each setup with fastd-ts in it. */
export function goalLine(all: readonly TunnelSamples[]): string {
  const base = all.find(isBaseline);
  if (!base) return 'goal: no fastd → fastd row to compare with';
  const figures = all
    .filter((samples) => samples.setup.kinds.includes('fastd-ts'))
    .map((samples) => {
      const gap = rttAt(samples, IDLE_GAP_MS) - rttAt(base, IDLE_GAP_MS);
      return `${samples.setup.kinds.join(' → ')} ${signed(gap, 3)} ms (${gap <= IDLE_RTT_GOAL_MS ? 'met' : 'NOT met'})`;
    });
  return `goal, idle RTT (${IDLE_GAP_MS} ms gaps) − fastd → fastd's ≤ ${IDLE_RTT_GOAL_MS.toFixed(2)} ms: ${figures.join(', ')}`;
}
