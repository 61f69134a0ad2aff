// Handoff between datapath workers, proven on a real tunnel: fastd-ts with two workers and
// the test switch FASTD_TS_TEST_MISPLACE_PEERS=1, which gives the peer to the worker its
// datagrams do NOT arrive at, against Debian's fastd. Every datagram then crosses a
// handoff ring to be opened, and TAP frames read on the other worker's queue cross one to
// be sealed; traffic must flow all the same, in order, and the handoffs must be counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTunnel, Tunnel } from '../../interop/harness/tunnel.js';

interface WorkerShare {
  readonly peers: number;
  readonly rx_packets: number;
  readonly tx_packets: number;
  readonly handoffs: number;
  readonly handoff_drops: number;
}

interface Statistics {
  readonly rx: { readonly packets: number };
  readonly rx_reordered: { readonly packets: number };
}

interface Status {
  readonly statistics: Statistics;
  readonly peers: Record<string, { readonly connection: { readonly statistics: Statistics } | null }>;
  readonly 'fastd-ts'?: { readonly workers: readonly WorkerShare[] };
}

const ok = requireTunnel('datapath worker handoff');

describe.runIf(ok)('datapath workers: a peer owned by the worker its datagrams do not reach', () => {
  let tunnel: Tunnel;

  beforeAll(async () => {
    tunnel = Tunnel.create({
      mode: 'tap',
      methods: ['salsa2012+umac'],
      sides: [
        { kind: 'fastd-ts', initiates: true, extraStatements: ['workers 2'], env: { FASTD_TS_TEST_MISPLACE_PEERS: '1' } },
        { kind: 'fastd', initiates: false },
      ],
    });
    await tunnel.start();
  }, 60_000);

  afterAll(async () => {
    await tunnel?.close();
  });

  it('carries pings and a TCP stream through the handoff rings, in order, and counts the handoffs', async () => {
    try {
      const first = await tunnel.timeToFirstReply(0, 20);
      expect(first, 'no reply through the tunnel').toBeDefined();
      const pings = await tunnel.ping(0, { count: 20, intervalSeconds: 0.05, deadlineSeconds: 20, size: tunnel.fullSizePing });
      expect(pings.received).toBeGreaterThan(0);
      const stream = await tunnel.iperf3(1, 2);
      expect(stream.mbitPerSecond).toBeGreaterThan(0);

      const ours = (await tunnel.status(0)) as Status;
      const workers = ours['fastd-ts']!.workers;
      expect(workers).toHaveLength(2);
      // one peer, owned by one worker; the other one received its datagrams and handed them over
      expect(workers.map((worker) => worker.peers).sort()).toEqual([0, 1]);
      const receiving = workers.find((worker) => worker.peers === 0)!;
      const owner = workers.find((worker) => worker.peers === 1)!;
      expect(receiving.handoffs).toBeGreaterThan(0);
      // the owner opens what was handed over: its rx counts the stream
      expect(owner.rx_packets).toBeGreaterThan(receiving.handoffs / 2);
      expect(receiving.rx_packets).toBe(0);
      // the peer's packets kept their order across the ring, in both directions
      const theirs = (await tunnel.status(1)) as Status;
      const ourPeer = Object.values(ours.peers)[0]!.connection!;
      expect(ourPeer.statistics.rx.packets).toBeGreaterThan(0);
      expect(ourPeer.statistics.rx_reordered.packets).toBe(0);
      expect(theirs.statistics.rx_reordered.packets).toBe(0);
    } catch (error) {
      process.stderr.write(`----- logs\n${tunnel.logs()}\n`);
      throw error;
    }
  }, 90_000);
});

