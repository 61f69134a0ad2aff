// The measuring tools of the bench, run inside the namespaces: iperf3 for TCP throughput
// through the tunnel, ping for the round-trip time. Results come from the tools' own output.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { trackPid, untrackPid } from '../testbed/cleanup.js';
import type { Namespace } from '../testbed/namespaces.js';

export const IPERF_PORT = 5201;
/** iperf3's server needs a moment before it accepts; the client retries once after it. */
const SERVER_START_MS = 300;
const TOOL_SLACK_MS = 30_000;
/** Pings beside a load start once it runs (iperf3's server start, the client's ramp). */
const LOAD_PING_DELAY_MS = 800;

export interface IperfRun {
  readonly mbitPerSecond: number;
  /** Bytes the receiver got: the divisor of CPU per GB. */
  readonly bytes: number;
  /** TCP retransmissions of the sender: loss or reordering in the tunnel. */
  readonly retransmits: number;
}

/**
 * One TCP iperf3 run from `client` to `serverAddress` (inside `server`), a one-off server each
 * time; runs at the same time need a port each.
 */
export async function iperf3(client: Namespace, server: Namespace, serverAddress: string, seconds: number, port = IPERF_PORT): Promise<IperfRun> {
  const daemon = spawn('ip', ['netns', 'exec', server.name, 'iperf3', '-s', '-1', '-B', serverAddress, '-p', String(port)], { stdio: 'ignore' });
  if (daemon.pid !== undefined) trackPid(daemon.pid);
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  const runClient = async () => {
    await sleep(SERVER_START_MS);
    return client.run('iperf3', ['-c', serverAddress, '-p', String(port), '-t', String(seconds), '-J'], seconds * 1000 + TOOL_SLACK_MS);
  };
  try {
    let result = await runClient();
    if (result.code !== 0 && /connect|refused/i.test(result.stdout + result.stderr)) result = await runClient();
    if (result.code !== 0) throw new Error(`iperf3 failed (${result.code}): ${result.stdout}${result.stderr}`);
    const report = JSON.parse(result.stdout) as {
      end: { sum_received: { bits_per_second: number; bytes: number }; sum_sent: { retransmits?: number } };
    };
    const { sum_received: received, sum_sent: sent } = report.end;
    return { mbitPerSecond: received.bits_per_second / 1e6, bytes: received.bytes, retransmits: sent.retransmits ?? 0 };
  } finally {
    if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
    await exited;
    if (daemon.pid !== undefined) untrackPid(daemon.pid);
  }
}

/** Every reply's round-trip time in ms of `count` pings, `intervalSeconds` apart. */
export async function pingTimes(from: Namespace, target: string, count: number, intervalSeconds: number): Promise<number[]> {
  const deadline = Math.ceil(count * intervalSeconds) + 5;
  const result = await from.run('ping', ['-n', '-c', String(count), '-i', String(intervalSeconds), '-w', String(deadline), target], deadline * 1000 + TOOL_SLACK_MS);
  return [...result.stdout.matchAll(/time=([\d.]+) ms/g)].map((match) => Number(match[1]));
}

/** Pings `intervalSeconds` apart beside a load of `seconds` that starts now: how many went out, and every reply's RTT in ms. */
export async function pingsDuringLoad(from: Namespace, target: string, seconds: number, intervalSeconds: number): Promise<{ sent: number; times: number[] }> {
  const sent = Math.max(5, Math.floor((seconds - 1) / intervalSeconds));
  await sleep(LOAD_PING_DELAY_MS);
  return { sent, times: await pingTimes(from, target, sent, intervalSeconds) };
}

/** Whether one ping to `target` comes back within a second. */
export async function answers(from: Namespace, target: string): Promise<boolean> {
  const result = await from.run('ping', ['-n', '-c', '1', '-w', '1', target], TOOL_SLACK_MS);
  return result.code === 0;
}
