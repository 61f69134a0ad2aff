// Splitting round trips into hops from tcpdump's text (`tcpdump -r file -n -tt
// --time-stamp-precision=nano`). Pure functions: the bench feeds them real captures, the
// tests small synthetic ones.
//
// A ping through the tunnel, seen on side a's TAP and underlay veth:
//
//   request (TAP) ─a-out─▶ datagram out (veth) ─b-round─▶ datagram in (veth) ─a-in─▶ reply (TAP)
//
// A ping to a supernode's own TAP address, seen on the supernode's veth and TAP:
//
//   datagram in (veth) ─in─▶ request (TAP) ─kernel─▶ reply (TAP) ─out─▶ datagram out (veth)
//
// Other datagrams cross the veth too (handshakes, keepalives), so a round is anchored on the
// ICMP sequence number of its request and reply and takes the first datagram in each
// direction between them that is long enough to carry the ICMP message.

/** One packet line of tcpdump's output. Timestamps stay in integer nanoseconds: exact differences. */
interface CapturedPacket {
  readonly ns: bigint;
  readonly source: string;
  readonly destination: string;
  readonly kind: 'echo-request' | 'echo-reply' | 'udp';
  /** ICMP message length or UDP payload length, as tcpdump prints it. */
  readonly length: number;
  /** ICMP echo sequence number (-1 for UDP). */
  readonly seq: number;
}

/** `<seconds>.<9 digits> IP <source> > <destination>: <rest>` (IPv4, no link-level header). */
const PACKET_LINE = /^(\d+)\.(\d{9}) IP (\S+) > (\S+): (.*)$/;
const ECHO = /^ICMP echo (request|reply), id \d+, seq (\d+), length (\d+)/;
const UDP = /^UDP, length (\d+)/;
const NS_PER_SECOND = 1_000_000_000n;

/** Parses one line; anything that is not an ICMP echo or a UDP datagram over IPv4 gives undefined. */
export function parsePacketLine(line: string): CapturedPacket | undefined {
  const packet = PACKET_LINE.exec(line.trim());
  if (!packet) return undefined;
  const ns = BigInt(packet[1]!) * NS_PER_SECOND + BigInt(packet[2]!);
  const [source, destination, rest] = [packet[3]!, packet[4]!, packet[5]!];
  const echo = ECHO.exec(rest);
  if (echo) {
    const kind = echo[1] === 'request' ? 'echo-request' : 'echo-reply';
    return { ns, source, destination, kind, length: Number(echo[3]), seq: Number(echo[2]) };
  }
  const udp = UDP.exec(rest);
  if (udp) return { ns, source, destination, kind: 'udp', length: Number(udp[1]), seq: -1 };
  return undefined;
}

/** Every parsable packet of a capture's text, in time order (tcpdump's order for one file; merged files need the sort). */
export function parseCapture(text: string): CapturedPacket[] {
  const packets: CapturedPacket[] = [];
  for (const line of text.split('\n')) {
    const packet = parsePacketLine(line);
    if (packet) packets.push(packet);
  }
  return packets.sort((x, y) => (x.ns < y.ns ? -1 : x.ns > y.ns ? 1 : 0));
}

/** tcpdump prints a UDP endpoint as address.port. */
const hostOf = (endpoint: string) => endpoint.slice(0, endpoint.lastIndexOf('.'));
const portOf = (endpoint: string) => Number(endpoint.slice(endpoint.lastIndexOf('.') + 1));
const micros = (from: bigint, to: bigint) => Number(to - from) / 1000;

/** The addresses that tell a tunnel round's packets apart: a pings b. */
interface TunnelAddresses {
  readonly tunnel: readonly [string, string];
  readonly underlay: readonly [string, string];
}

/** One round trip through the tunnel, split at side a's veth, in microseconds. */
export interface HopRound {
  readonly seq: number;
  readonly aOut: number;
  readonly bRound: number;
  readonly aIn: number;
}

/**
 * Pairs each echo request on a's TAP with the reply of the same sequence number and the
 * datagrams between them; rounds missing any of the four packets are dropped.
 */
export function tunnelRounds(packets: readonly CapturedPacket[], addresses: TunnelAddresses): HopRound[] {
  const [a, b] = addresses.tunnel;
  const [underlayA, underlayB] = addresses.underlay;
  const isRequest = (p: CapturedPacket) => p.kind === 'echo-request' && p.source === a && p.destination === b;
  const isReply = (p: CapturedPacket, seq: number) => p.kind === 'echo-reply' && p.source === b && p.destination === a && p.seq === seq;
  const datagram = (p: CapturedPacket, from: string, to: string, minimum: number) =>
    p.kind === 'udp' && hostOf(p.source) === from && hostOf(p.destination) === to && p.length >= minimum;

  const rounds: HopRound[] = [];
  packets.forEach((request, start) => {
    if (!isRequest(request)) return;
    const end = packets.findIndex((p, index) => index > start && isReply(p, request.seq));
    if (end < 0) return;
    const between = packets.slice(start + 1, end);
    const out = between.findIndex((p) => datagram(p, underlayA, underlayB, request.length));
    if (out < 0) return;
    const back = between.findIndex((p, index) => index > out && datagram(p, underlayB, underlayA, request.length));
    if (back < 0) return;
    const [sent, received, reply] = [between[out]!.ns, between[back]!.ns, packets[end]!.ns];
    rounds.push({ seq: request.seq, aOut: micros(request.ns, sent), bRound: micros(sent, received), aIn: micros(received, reply) });
  });
  return rounds;
}

/** One ping answered by the supernode's kernel on its TAP, split at its veth and TAP, in microseconds. */
export interface SupernodeRound {
  readonly seq: number;
  /** The datagram on the veth → the request it carried on the TAP: receive, open, TAP write. */
  readonly in: number;
  /** Request → reply on the TAP: the kernel's own answer. */
  readonly kernel: number;
  /** The reply on the TAP → its datagram on the veth: TAP read, seal, send. */
  readonly out: number;
}

/**
 * Pairs each echo request to `target` on the TAP with the datagram to `supernode` just
 * before it, the reply of the same sequence number, and the first datagram from `supernode`
 * after that; datagrams too short to carry the ping (keepalives) are skipped, rounds missing
 * a packet dropped.
 */
export function supernodeRounds(packets: readonly CapturedPacket[], addresses: { readonly target: string; readonly supernode: string }): SupernodeRound[] {
  const { target, supernode } = addresses;
  const carries = (p: CapturedPacket, request: CapturedPacket, inbound: boolean) =>
    p.kind === 'udp' && hostOf(inbound ? p.destination : p.source) === supernode && p.length >= request.length;
  const rounds: SupernodeRound[] = [];
  packets.forEach((request, at) => {
    if (request.kind !== 'echo-request' || request.destination !== target) return;
    let carrier: CapturedPacket | undefined;
    for (let i = at - 1; i >= 0 && !carrier; i--) if (carries(packets[i]!, request, true)) carrier = packets[i];
    const end = packets.findIndex((p, i) => i > at && p.kind === 'echo-reply' && p.source === target && p.seq === request.seq);
    const sent = end < 0 ? undefined : packets.find((p, i) => i > end && carries(p, request, false));
    if (!carrier || !sent) return;
    const reply = packets[end]!;
    rounds.push({ seq: request.seq, in: micros(carrier.ns, request.ns), kernel: micros(request.ns, reply.ns), out: micros(reply.ns, sent.ns) });
  });
  return rounds;
}

/**
 * The echo server's own time per probe on loopback, in microseconds: a datagram to
 * `serverPort`, then the first datagram from it before the next probe. Unanswered probes are dropped.
 */
export function echoTimes(packets: readonly CapturedPacket[], serverPort: number): number[] {
  const times: number[] = [];
  let probe: CapturedPacket | undefined;
  for (const packet of packets) {
    if (packet.kind !== 'udp') continue;
    if (portOf(packet.destination) === serverPort) probe = packet;
    else if (probe && portOf(packet.source) === serverPort) {
      times.push(micros(probe.ns, packet.ns));
      probe = undefined;
    }
  }
  return times;
}
