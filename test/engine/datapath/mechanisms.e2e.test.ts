// Every datapath mechanism proven used on a real tunnel, through the counters the status
// socket shows: two fastd-ts daemons in namespaces, an iperf3 TCP stream a → b, then TSO
// super-frames cut up on the sender, coalesced super-frames written on the receiver, UDP
// GSO sends, and io_uring batching (system calls per packet). With FASTD_TS_OFFLOAD=0 the
// TUN/TAP offload counters stay at zero, which proves both the switch and that they can fail.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { haveDebianFastd, haveNetns, isRoot, requireSystem } from '../../helpers/prereq.js';
import { type DaemonKind, haveFastdTsBuild, Tunnel } from '../../interop/harness/tunnel.js';

interface Mechanisms {
  readonly io_backend: string | null;
  readonly dropped: { readonly malformed: number };
  readonly offloads: {
    readonly tso_superframes: number;
    readonly tso_segments: number;
    readonly checksums_completed: number;
    readonly gro_superframes: number;
    readonly gro_frames: number;
  };
  readonly udp_offloads: { readonly gso_sends: number; readonly gso_datagrams: number; readonly gro_datagrams: number };
  readonly io: { readonly system_calls: number; readonly packets: number };
}

const ok = requireSystem('datapath mechanisms on a real tunnel', {
  root: isRoot,
  netns: haveNetns,
  'fastd-ts build (npm run build)': haveFastdTsBuild,
});
const withFastd = ok && requireSystem('datapath mechanisms against Debian fastd', { fastd: haveDebianFastd });

const STREAM_SECONDS = 2;
/** io_uring moves a batch per io_uring_enter: far fewer calls than packets (fastd makes one per packet: 1000). */
const MAX_SYSCALLS_PER_1000_PACKETS = 250;
/** How long the status is polled for the published totals to settle. */
const PUBLISH_DEADLINE_MS = 10_000;

function tunnelOf(env: Readonly<Record<string, string>>, receiver: DaemonKind = 'fastd-ts'): Tunnel {
  return Tunnel.create({
    mode: 'tap',
    methods: ['salsa2012+umac'],
    sides: [
      { kind: 'fastd-ts', initiates: true, env },
      { kind: receiver, initiates: false, env },
    ],
  });
}

interface Status {
  readonly statistics: { readonly rx: { readonly packets: number }; readonly tx: { readonly packets: number } };
  readonly 'fastd-ts': Mechanisms;
}

/** The worker publishes its I/O and offload totals once a second. */
const PUBLISH_INTERVAL_MS = 1000;

/**
 * Both sides' status once the published totals have caught up with the stream: two reads a
 * publication apart agree (the tunnel is idle by then).
 */
async function settled(tunnel: Tunnel): Promise<[Status, Status]> {
  const read = async () => [(await tunnel.status(0)) as Status, (await tunnel.status(1)) as Status] as const;
  const calls = (sides: readonly [Status, Status]) => sides.map((side) => side['fastd-ts'].io.system_calls).join();
  const deadline = Date.now() + PUBLISH_DEADLINE_MS;
  let before = await read();
  for (;;) {
    await sleep(PUBLISH_INTERVAL_MS + 200);
    const now = await read();
    if (calls(now) === calls(before) || Date.now() > deadline) return [now[0], now[1]];
    before = now;
  }
}

/** I/O system calls per 1000 fastd packets the daemon sent and received. */
function syscallsPer1000Packets(status: Status): number {
  return (1000 * status['fastd-ts'].io.system_calls) / (status.statistics.rx.packets + status.statistics.tx.packets);
}

async function streamThrough(tunnel: Tunnel): Promise<void> {
  await tunnel.startAndReach();
  const stream = await tunnel.iperf3(0, STREAM_SECONDS);
  expect(stream.mbitPerSecond).toBeGreaterThan(0);
}

describe.runIf(ok)('datapath mechanisms, counted in the status socket', () => {
  let tunnel: Tunnel | undefined;

  afterEach(async () => {
    await tunnel?.close();
    tunnel = undefined;
  });

  it('a TCP stream is cut from TSO super-frames, sent with UDP GSO, coalesced on receipt and moved in io_uring batches', async () => {
    tunnel = tunnelOf({});
    await streamThrough(tunnel);
    const statuses = await settled(tunnel);
    const [sender, receiver] = statuses.map((status) => status['fastd-ts']) as [Mechanisms, Mechanisms];
    const report = JSON.stringify({ sender, receiver });

    expect(sender.io_backend, report).toBe('io_uring');
    // the kernel hands the sender super-frames, each cut into several tunnel-MTU frames
    expect(sender.offloads.tso_superframes, report).toBeGreaterThan(0);
    expect(sender.offloads.tso_segments, report).toBeGreaterThan(sender.offloads.tso_superframes);
    expect(sender.udp_offloads.gso_sends, report).toBeGreaterThan(0);
    expect(sender.udp_offloads.gso_datagrams, report).toBeGreaterThan(sender.udp_offloads.gso_sends);
    // the receiver writes runs of one flow's frames to its TAP device as one super-frame each
    expect(receiver.offloads.gro_superframes, report).toBeGreaterThan(0);
    expect(receiver.offloads.gro_frames, report).toBeGreaterThan(receiver.offloads.gro_superframes);
    expect(receiver.udp_offloads.gro_datagrams, report).toBeGreaterThan(0);
    for (const status of statuses) {
      expect(status.statistics.rx.packets + status.statistics.tx.packets, report).toBeGreaterThan(1000);
      expect(syscallsPer1000Packets(status), report).toBeLessThan(MAX_SYSCALLS_PER_1000_PACKETS);
      // a good stream is not bad input
      expect(status['fastd-ts'].dropped.malformed, report).toBe(0);
    }
  }, 90_000);

  it.runIf(withFastd)('sending to Debian fastd: TSO super-frames are cut into plain fastd packets that fastd opens', async () => {
    tunnel = tunnelOf({}, 'fastd');
    await streamThrough(tunnel);
    const fastd = (await tunnel.status(1)) as { statistics: { rx: { packets: number } } };
    const published = async () => ((await tunnel!.status(0)) as Status)['fastd-ts'];
    const deadline = Date.now() + PUBLISH_DEADLINE_MS;
    while ((await published()).offloads.tso_segments === 0 && Date.now() < deadline) await sleep(PUBLISH_INTERVAL_MS);
    const sender = await published();
    const report = JSON.stringify({ sender, fastd: fastd.statistics });
    expect(sender.offloads.tso_superframes, report).toBeGreaterThan(0);
    expect(sender.offloads.tso_segments, report).toBeGreaterThan(sender.offloads.tso_superframes);
    // the segments went out as standard fastd packets: fastd opened the stream's worth of them
    // (not all: Debian fastd's socket overflows under a stream this fast, and TCP resends)
    expect(fastd.statistics.rx.packets, report).toBeGreaterThan(1000);
  }, 90_000);

  it('with FASTD_TS_OFFLOAD=0 the same stream flows and the TUN/TAP offload counters stay at zero', async () => {
    tunnel = tunnelOf({ FASTD_TS_OFFLOAD: '0' });
    await streamThrough(tunnel);
    const [sender, receiver] = (await settled(tunnel)).map((status) => status['fastd-ts']) as [Mechanisms, Mechanisms];
    const report = JSON.stringify({ sender, receiver });
    for (const side of [sender, receiver]) {
      expect(side.offloads, report).toEqual({ tso_superframes: 0, tso_segments: 0, checksums_completed: 0, gro_superframes: 0, gro_frames: 0 });
    }
    // the other mechanisms are still at work: the counters were published
    expect(sender.udp_offloads.gso_datagrams, report).toBeGreaterThan(0);
  }, 90_000);
});
