// Bad TSO super-frames through a running daemon: fastd-ts (TAP, offloads on) tunnels to
// Debian's fastd, and the test transmits frames on fastd-ts's TAP through AF_PACKET with a
// virtio_net_hdr of its own, which the kernel hands to fastd-ts as they are. Each bad kind
// below is one the kernel lets through (measured on Linux 6.18; what it refuses itself is
// no test of ours), and each is sent right before a good super-frame of the same flow, so
// the same TAP queue reads both. The bad one must be dropped and counted as malformed and
// nothing of it may reach the peer; the good one must be cut and every segment must arrive
// with a correct checksum (tcpdump on the peer's TAP: Debian fastd writes each frame as is).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcpdumpCapture } from '../../helpers/tcpdump-capture.js';
import { transmitWithVnetHeader } from '../../helpers/vnet-frames.js';
import { DEFAULT_MTU, requireTunnel, Tunnel, TUNNEL_ADDRESSES, TUNNEL_ADDRESSES_V6, TUNNEL_INTERFACE } from '../../interop/harness/tunnel.js';
import { until } from '../../helpers/wait.js';
import { ACK, ETH, pattern, PSH, referenceChecksum, superFrame, VNET } from './frames.js';
import { macBytes } from '../packets.js';

const ok = requireTunnel('bad TSO super-frames through a running daemon');

/** Under both families' MSS on the tunnel MTU, so the good super-frame's segments fit. */
const GSO_SIZE = 1300;
const PAYLOAD = 4000;
const GOOD_SEGMENTS = Math.ceil(PAYLOAD / GSO_SIZE);
/** The segments' sequence ranges tell the bad super-frame's (if any leaked) from the good one's. */
const BAD_SEQUENCE = 1_000_000;
const GOOD_SEQUENCE = 2_000_000;
const SOURCE_PORT = 40_000;
/** Each kind gets its own destination port, FIRST_PORT + its index: one flow per kind. */
const FIRST_PORT = 9000;
const LAST_PORT = 9099;
const DEADLINE_MS = 20_000;

/** Offsets in a record (TAP-style virtio_net_hdr, Ethernet, IP header). */
const IP = VNET + ETH;
const IPV4_TOTAL_LENGTH = IP + 2;
const IPV4_FLAGS_FRAGMENT = IP + 6;
const IPV4_CHECKSUM = IP + 10;
const IPV4_HEADER = 20;
const IPV6_PAYLOAD_LENGTH = IP + 4;
const MORE_FRAGMENTS = 0x2000;

function setU16(record: Uint8Array, at: number, value: number): void {
  record[at] = value >> 8;
  record[at + 1] = value & 0xff;
}

function getU16(record: Uint8Array, at: number): number {
  return (record[at] << 8) | record[at + 1];
}

// The IPv4 header checksum made right again, so that only the field under test is wrong.
function fixIpv4Checksum(record: Uint8Array): void {
  setU16(record, IPV4_CHECKSUM, 0);
  setU16(record, IPV4_CHECKSUM, referenceChecksum(record.subarray(IP, IP + IPV4_HEADER)));
}

interface BadKind {
  readonly name: string;
  readonly version: 4 | 6;
  readonly payload?: number;
  readonly gsoSize?: number;
  /** Makes the super-frame bad, in place. */
  readonly spoil?: (record: Uint8Array) => void;
}

// What the kernel refuses itself, so it never reaches fastd-ts (measured): send() fails with
// EINVAL for gso_size 0, an hdr_len past the end and a frame cut inside its TCP header; a TCP
// data offset past the end, an IHL under 5, a protocol other than TCP and an IPv6 frame
// marked TCPV4 are sent but dropped by the kernel's GSO checks before the TAP.
const BAD_KINDS: readonly BadKind[] = [
  {
    name: 'an IPv4 total length claiming 1000 bytes more than the frame holds (a truncated super-frame)',
    version: 4,
    spoil: (record) => {
      setU16(record, IPV4_TOTAL_LENGTH, getU16(record, IPV4_TOTAL_LENGTH) + 1000);
      fixIpv4Checksum(record);
    },
  },
  {
    name: 'an IPv6 payload length claiming 1000 bytes more than the frame holds (a truncated super-frame)',
    version: 6,
    spoil: (record) => setU16(record, IPV6_PAYLOAD_LENGTH, getU16(record, IPV6_PAYLOAD_LENGTH) + 1000),
  },
  {
    name: 'an IPv4 total length 100 bytes short of the frame',
    version: 4,
    spoil: (record) => {
      setU16(record, IPV4_TOTAL_LENGTH, getU16(record, IPV4_TOTAL_LENGTH) - 100);
      fixIpv4Checksum(record);
    },
  },
  {
    name: 'an IPv4 fragment (more-fragments bit set)',
    version: 4,
    spoil: (record) => {
      setU16(record, IPV4_FLAGS_FRAGMENT, MORE_FRAGMENTS);
      fixIpv4Checksum(record);
    },
  },
  {
    name: 'a gso_size whose segments would not fit the tunnel MTU',
    version: 4,
    gsoSize: DEFAULT_MTU,
  },
  {
    // the kernel passes a GSO-marked frame whose payload is not over gso_size on as one plain frame
    name: 'a frame over the MTU whose gso_size is beyond its payload',
    version: 4,
    payload: DEFAULT_MTU,
    gsoSize: DEFAULT_MTU + 100,
  },
];

function macOf(tunnel: Tunnel, index: 0 | 1): number[] {
  const [link] = JSON.parse(tunnel.side(index).ip('-j', 'link', 'show', 'dev', TUNNEL_INTERFACE)) as [{ address: string }];
  return macBytes(link.address);
}

function addressBytes(version: 4 | 6, index: 0 | 1): number[] {
  if (version === 4) return TUNNEL_ADDRESSES[index].split('.').map(Number);
  // documentation addresses "2001:db8::N"
  const bytes = [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(12).fill(0)];
  bytes[15] = Number(TUNNEL_ADDRESSES_V6[index].split('::')[1]);
  return bytes;
}

interface SenderState {
  readonly malformed: number;
  readonly tsoSegments: number;
  readonly established: boolean;
}

interface FastdTsStatus {
  readonly peers: Record<string, { readonly connection: unknown }>;
  readonly 'fastd-ts': { readonly dropped: { readonly malformed: number }; readonly offloads: { readonly tso_segments: number } };
}

describe.runIf(ok)('bad TSO super-frames through a running daemon: dropped, counted, the next one delivered', () => {
  let tunnel: Tunnel;
  let capture: TcpdumpCapture;
  let macs: [number[], number[]];

  async function senderState(): Promise<SenderState> {
    const status = (await tunnel.status(0)) as FastdTsStatus;
    return {
      malformed: status['fastd-ts'].dropped.malformed,
      tsoSegments: status['fastd-ts'].offloads.tso_segments,
      established: Object.values(status.peers).some((peer) => peer.connection !== null),
    };
  }

  function superFrameTo(port: number, version: 4 | 6, sequence: number, payload = PAYLOAD, gsoSize = GSO_SIZE): Uint8Array {
    return superFrame(
      {
        version,
        tap: true,
        seq: sequence,
        flags: ACK | PSH,
        payload: pattern(payload, port),
        srcPort: SOURCE_PORT,
        dstPort: port,
        srcIp: addressBytes(version, 0),
        dstIp: addressBytes(version, 1),
        srcMac: macs[0],
        dstMac: macs[1],
      },
      gsoSize,
    );
  }

  beforeAll(async () => {
    tunnel = Tunnel.create({
      mode: 'tap',
      methods: ['salsa2012+umac'],
      sides: [
        { kind: 'fastd-ts', initiates: true },
        { kind: 'fastd', initiates: false },
      ],
    });
    await tunnel.startAndReach();
    macs = [macOf(tunnel, 0), macOf(tunnel, 1)];
    capture = await TcpdumpCapture.start(tunnel.side(1), TUNNEL_INTERFACE, ['-v', '-S', `tcp dst portrange ${FIRST_PORT}-${LAST_PORT}`]);
  }, 60_000);

  afterAll(async () => {
    await capture?.stop();
    await tunnel?.close();
  });

  it.each(BAD_KINDS.map((kind, index) => [kind.name, kind, FIRST_PORT + index] as const))('%s', async (_name, kind, port) => {
    const bad = superFrameTo(port, kind.version, BAD_SEQUENCE, kind.payload, kind.gsoSize);
    kind.spoil?.(bad);
    const good = superFrameTo(port, kind.version, GOOD_SEQUENCE);
    const before = await senderState();

    // the kernel took both: what happens to them is up to fastd-ts
    expect(await transmitWithVnetHeader(tunnel.side(0), TUNNEL_INTERFACE, tunnel.dir, [bad, good])).toEqual([0, 0]);

    // Each worker publishes its counters once a second, and the two frames need not reach the
    // same worker: a TAP queue is picked by flow hash, which leaves out the ports of an IPv4
    // fragment. So wait for both figures; a drop that never comes still fails at the deadline.
    const after = await until('the good super-frame cut and the bad one counted', DEADLINE_MS, async () => {
      const state = await senderState();
      return state.tsoSegments >= before.tsoSegments + GOOD_SEGMENTS && state.malformed > before.malformed ? state : undefined;
    });
    const report = `${JSON.stringify({ before, after })}\n${capture.output()}\n${tunnel.logs()}`;
    expect(after.malformed - before.malformed, report).toBe(1);
    expect(after.tsoSegments - before.tsoSegments, report).toBe(GOOD_SEGMENTS);

    const ofThisFlow = () => capture.segments().filter((segment) => segment.destinationPort === port);
    await until("the good super-frame's segments at the peer", DEADLINE_MS, () => (ofThisFlow().length >= GOOD_SEGMENTS ? true : undefined));
    const arrived = ofThisFlow();
    expect(arrived.filter((segment) => segment.start < GOOD_SEQUENCE), report).toEqual([]);
    const expected = Array.from({ length: GOOD_SEGMENTS }, (_, k) => ({
      destinationPort: port,
      start: GOOD_SEQUENCE + k * GSO_SIZE,
      end: GOOD_SEQUENCE + Math.min((k + 1) * GSO_SIZE, PAYLOAD),
      checksumCorrect: true,
    }));
    expect(arrived, report).toEqual(expected);
  }, 60_000);

  it('after all of them the daemon still runs, both sides keep the session, and ping goes through', async () => {
    expect(tunnel.daemons[0].running, tunnel.logs()).toBe(true);
    expect((await senderState()).established, tunnel.logs()).toBe(true);
    const fastd = (await tunnel.status(1)) as { peers: Record<string, { connection: unknown }> };
    expect(Object.values(fastd.peers).some((peer) => peer.connection !== null), tunnel.logs()).toBe(true);
    const pings = 3;
    const result = await tunnel.ping(0, { count: pings, deadlineSeconds: 10 });
    expect(result.received, result.output).toBe(pings);
  }, 60_000);
});
