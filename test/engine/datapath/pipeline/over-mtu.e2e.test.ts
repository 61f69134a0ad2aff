// Frames longer than fastd's MTU through a running daemon: fastd-ts (TAP) tunnels to
// Debian's fastd, both with `mtu 1406`, and the admin raises the kernel MTU of fastd-ts's TAP
// above it. Pings that fit the kernel's MTU but not fastd's make the kernel hand fastd-ts
// frames longer than MTU + Ethernet header: each must be dropped and counted as malformed,
// and none may go on the wire (fastd-ts's tx bytes) or reach the peer (tcpdump on fastd's
// TAP: Debian fastd writes each frame it opens as is; it drops what does not fit its own
// buffers, so the tx bytes are what tells a leak). Afterwards a full-size ping still goes through and the session holds on both
// sides. Once with TUN/TAP offloads off (plain reads) and once with them on (OffloadFrameIo).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ethernet } from '../../../../src/io/offload/headers.js';
import { TcpdumpCapture } from '../../../helpers/tcpdump-capture.js';
import { DEFAULT_MTU, requireTunnel, IPV4_ICMP_OVERHEAD, Tunnel, TUNNEL_INTERFACE } from '../../../interop/harness/tunnel.js';
import { until } from '../../../helpers/wait.js';

const ok = requireTunnel('over-MTU frames through a running daemon');

/** What the admin sets on fastd-ts's TAP, above fastd's `mtu`. */
const KERNEL_MTU = 2000;
/** Ping payloads: one byte over fastd's MTU, and the kernel MTU's largest. */
const OVER_SIZES = [DEFAULT_MTU - IPV4_ICMP_OVERHEAD + 1, KERNEL_MTU - IPV4_ICMP_OVERHEAD] as const;
const PINGS_PER_SIZE = 3;
/** An ICMP echo's length as tcpdump prints it: the ICMP header and the payload. */
const ICMP_HEADER = 8;
const DEADLINE_MS = 20_000;
interface FastdTsStatus {
  readonly peers: Record<string, { readonly connection: unknown }>;
  readonly statistics: { readonly tx: { readonly bytes: number } };
  readonly 'fastd-ts': { readonly dropped: { readonly malformed: number } };
}

for (const offloads of [false, true]) {
  describe.runIf(ok)(`frames over fastd's MTU from fastd-ts's TAP, TUN/TAP offloads ${offloads ? 'on' : 'off'}`, () => {
    let tunnel: Tunnel;
    let capture: TcpdumpCapture;

    async function malformed(): Promise<number> {
      return ((await tunnel.status(0)) as FastdTsStatus)['fastd-ts'].dropped.malformed;
    }

    async function txBytes(): Promise<number> {
      return ((await tunnel.status(0)) as FastdTsStatus).statistics.tx.bytes;
    }

    beforeAll(async () => {
      tunnel = Tunnel.create({
        mode: 'tap',
        methods: ['salsa2012+umac'],
        sides: [
          { kind: 'fastd-ts', initiates: true, env: offloads ? {} : { FASTD_TS_OFFLOAD: '0' } },
          { kind: 'fastd', initiates: false },
        ],
      });
      await tunnel.startAndReach();
      capture = await TcpdumpCapture.start(tunnel.side(1), TUNNEL_INTERFACE, ['icmp[icmptype] == icmp-echo']);
      tunnel.side(0).ip('link', 'set', 'dev', TUNNEL_INTERFACE, 'mtu', String(KERNEL_MTU));
    }, 60_000);

    afterAll(async () => {
      await capture?.stop();
      await tunnel?.close();
    });

    it('drops each over-MTU frame, counts it as malformed once, and lets none of it reach the peer', async () => {
      const before = await malformed();
      const txBefore = await txBytes();
      let sent = 0;
      for (const size of OVER_SIZES) {
        // ping goes on sending until its deadline while no reply comes
        const result = await tunnel.ping(0, { count: PINGS_PER_SIZE, size, deadlineSeconds: 2 });
        // the kernel sent them: fastd-ts had them to drop
        expect(result.transmitted, result.output).toBeGreaterThanOrEqual(PINGS_PER_SIZE);
        expect(result.received, result.output).toBe(0);
        sent += result.transmitted;
      }
      // offload drops are published once a second
      const after = await until('the drops to be counted', DEADLINE_MS, async () => {
        const count = await malformed();
        return count >= before + sent ? count : undefined;
      });
      const report = `${JSON.stringify({ before, after })}\n${capture.output()}\n${tunnel.logs()}`;
      expect(after - before, report).toBe(sent);
      // what fastd-ts sent meanwhile (a neighbour probe, a keepalive) is less than the shortest over-MTU frame
      expect((await txBytes()) - txBefore, report).toBeLessThan(DEFAULT_MTU + Ethernet.SIZE + 1);
      const overLengths = OVER_SIZES.map((size) => size + ICMP_HEADER);
      expect(capture.echoRequestLengths().filter((length) => overLengths.includes(length)), report).toEqual([]);
    }, 60_000);

    it('afterwards a full-size ping goes through, the daemon runs and both sides keep the session', async () => {
      const result = await tunnel.ping(0, { count: 3, size: tunnel.fullSizePing, deadlineSeconds: 10 });
      expect(result.received, result.output).toBe(3);
      // tcpdump's lines come when it flushes them
      const fullSize = () => capture.echoRequestLengths().filter((length) => length === tunnel.fullSizePing + ICMP_HEADER).length;
      await until('the full-size echo requests in the capture', DEADLINE_MS, () => (fullSize() >= 3 ? true : undefined));
      expect(tunnel.daemons[0].running, tunnel.logs()).toBe(true);
      const ours = (await tunnel.status(0)) as FastdTsStatus;
      const fastd = (await tunnel.status(1)) as FastdTsStatus;
      for (const status of [ours, fastd]) expect(Object.values(status.peers).some((peer) => peer.connection !== null), tunnel.logs()).toBe(true);
    }, 60_000);
  });
}
