// The harness itself, validated with Debian's fastd on both ends (TAP, salsa2012+umac):
// the tunnel carries full-size packets and TCP, the status socket answers with fastd's
// JSON, and a restarted side gets traffic going again. If this fails, the matrix cells
// cannot be trusted either.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { haveDebianFastd, haveNetns, isRoot, requireSystem } from '../helpers/prereq.js';
import { Tunnel } from './harness/tunnel.js';

const ok = requireSystem('interop harness (fastd ↔ fastd)', { root: isRoot, netns: haveNetns, fastd: haveDebianFastd });

/** fastd's own figures here are ~0.1 ms and hundreds of Mbit/s; these bounds only catch a broken tunnel. */
const PING_DEADLINE_S = 10;

describe.runIf(ok)('interop harness: Debian fastd ↔ Debian fastd, tap, salsa2012+umac', () => {
  let tunnel: Tunnel;

  beforeAll(async () => {
    tunnel = Tunnel.create({
      mode: 'tap',
      methods: ['salsa2012+umac'],
      sides: [
        { kind: 'fastd', initiates: true },
        { kind: 'fastd', initiates: false },
      ],
    });
    await tunnel.start();
  });

  afterAll(async () => {
    await tunnel?.close();
  });

  function dumpLogsOnFailure(): void {
    onTestFailed(() => {
      process.stderr.write(tunnel.logs());
    });
  }

  it('carries full-size pings both ways, IPv4 and IPv6, without loss', async () => {
    dumpLogsOnFailure();
    expect(await tunnel.timeToFirstReply(0, 30)).toBeDefined();
    for (const from of [0, 1] as const) {
      const v4 = await tunnel.ping(from, { count: 5, size: tunnel.fullSizePing, deadlineSeconds: PING_DEADLINE_S });
      expect(v4.received, v4.output).toBe(5);
      expect(v4.rtt?.avg).toBeGreaterThan(0);
      const v6 = await tunnel.ping(from, { count: 3, deadlineSeconds: PING_DEADLINE_S }, true);
      expect(v6.received, v6.output).toBe(3);
    }
    // One byte more than the MTU must not pass with "don't fragment": the MTU is real.
    const tooBig = await tunnel.ping(0, { count: 1, size: tunnel.fullSizePing + 1, deadlineSeconds: 2 });
    expect(tooBig.received).toBe(0);
  });

  it('carries a 3-second iperf3 TCP stream', async () => {
    dumpLogsOnFailure();
    const result = await tunnel.iperf3(0, 3);
    process.stdout.write(`fastd ↔ fastd iperf3: ${result.mbitPerSecond.toFixed(0)} Mbit/s\n`);
    expect(result.mbitPerSecond).toBeGreaterThan(1);
  });

  it('reads the status socket: the peer is established with the configured method', async () => {
    dumpLogsOnFailure();
    const status = (await tunnel.status(0)) as {
      interface: string;
      statistics: { rx: { packets: number }; tx: { packets: number } };
      peers: Record<string, { name: string; connection: { method: string } | null }>;
    };
    expect(status.interface).toBe('fts0');
    const peer = status.peers[tunnel.daemons[1].spec.keys.public];
    expect(peer?.name).toBe('b');
    expect(peer?.connection?.method).toBe('salsa2012+umac');
    expect(status.statistics.rx.packets).toBeGreaterThan(0);
    expect(status.statistics.tx.packets).toBeGreaterThan(0);
  });

  it('kill -9 and restart of the initiating side: traffic flows again', async () => {
    dumpLogsOnFailure();
    const killedPid = tunnel.daemons[0].pid;
    await tunnel.restartSide(0);
    expect(tunnel.daemons[0].pid).not.toBe(killedPid);
    expect(await tunnel.timeToFirstReply(0, 40)).toBeDefined();
  });
});
