// Pings through the tunnel: loss, RTT and the time to the first reply, parsed from ping's own
// output (iperf3 runs are the bench's, src/bench/traffic.ts).
import type { Namespace } from '../../../src/testbed/namespaces.js';

/** IPv4 + ICMP headers: a ping of payload size mtu - this fills the tunnel MTU exactly. */
export const IPV4_ICMP_OVERHEAD = 28;
/** IPv6 + ICMPv6 headers. */
export const IPV6_ICMP_OVERHEAD = 48;

export interface PingOptions {
  readonly count: number;
  /** ICMP payload bytes; sent with "don't fragment", so too large a size shows as loss. */
  readonly size?: number;
  /** Seconds after which ping gives up, whatever was received. */
  readonly deadlineSeconds: number;
  readonly intervalSeconds?: number;
}

export interface PingResult {
  readonly transmitted: number;
  readonly received: number;
  /** Fraction lost, 0..1. */
  readonly loss: number;
  /** Round-trip times in ms; undefined when nothing came back. */
  readonly rtt?: { readonly min: number; readonly avg: number; readonly max: number };
  readonly output: string;
}

export function parsePing(output: string): PingResult {
  const counts = /(\d+) packets transmitted, (\d+) received/.exec(output);
  const transmitted = counts ? Number(counts[1]) : 0;
  const received = counts ? Number(counts[2]) : 0;
  const rtt = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\/[\d.]+ ms/.exec(output);
  return {
    transmitted,
    received,
    loss: transmitted === 0 ? 1 : 1 - received / transmitted,
    rtt: rtt ? { min: Number(rtt[1]), avg: Number(rtt[2]), max: Number(rtt[3]) } : undefined,
    output,
  };
}

export async function ping(from: Namespace, target: string, options: PingOptions): Promise<PingResult> {
  const args = ['-n', '-q', '-c', String(options.count), '-w', String(options.deadlineSeconds)];
  args.push('-i', String(options.intervalSeconds ?? 0.2));
  if (options.size !== undefined) args.push('-s', String(options.size), '-M', 'do');
  const result = await from.run('ping', [...args, target], (options.deadlineSeconds + 10) * 1000);
  return parsePing(result.stdout + result.stderr);
}

/** How long one probe of timeToFirstReply waits for its echo reply. */
const PROBE_WAIT_SECONDS = 1;
/** Within a probe, a new echo request every 100 ms: the first reply is timed to that. */
const PROBE_INTERVAL_SECONDS = 0.1;

/**
 * Pings until the first reply; returns the milliseconds that took, or undefined if nothing
 * came back within `deadlineSeconds`. Short probes, because ping counts "host
 * unreachable" errors towards its count and would stop before the deadline.
 */
export async function timeToFirstReply(from: Namespace, target: string, deadlineSeconds: number): Promise<number | undefined> {
  const started = Date.now();
  const deadline = started + deadlineSeconds * 1000;
  while (Date.now() < deadline) {
    const result = await ping(from, target, { count: 1, deadlineSeconds: PROBE_WAIT_SECONDS, intervalSeconds: PROBE_INTERVAL_SECONDS });
    if (result.received > 0) return Date.now() - started;
  }
  return undefined;
}
