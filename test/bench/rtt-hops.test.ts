// The RTT bench's capture arithmetic: tcpdump lines parsed with exact nanosecond stamps,
// tunnel round trips split into hops despite keepalives and lost replies, and echo times on loopback.
import { describe, expect, it } from 'vitest';
import { echoTimes, parseCapture, parsePacketLine, supernodeRounds, tunnelRounds } from '../../src/bench/rtt-hops.ts';

const addresses = { tunnel: ['192.0.2.1', '192.0.2.2'], underlay: ['198.51.100.1', '198.51.100.2'] } as const;

const request = (t: string, seq: number) => `${t} IP 192.0.2.1 > 192.0.2.2: ICMP echo request, id 77, seq ${seq}, length 64`;
const reply = (t: string, seq: number) => `${t} IP 192.0.2.2 > 192.0.2.1: ICMP echo reply, id 77, seq ${seq}, length 64`;
const out = (t: string, length = 122) => `${t} IP 198.51.100.1.10000 > 198.51.100.2.10000: UDP, length ${length}`;
const back = (t: string, length = 122) => `${t} IP 198.51.100.2.10000 > 198.51.100.1.10000: UDP, length ${length}`;

describe('RTT bench: tcpdump lines', () => {
  it('keeps nanoseconds exact where a double would round them', () => {
    const first = parsePacketLine(request('1795340882.562301916', 1))!;
    const second = parsePacketLine(reply('1795340882.562301917', 1))!;
    expect(second.ns - first.ns).toBe(1n);
    expect(first).toMatchObject({ kind: 'echo-request', source: '192.0.2.1', destination: '192.0.2.2', seq: 1, length: 64 });
  });

  it('reads UDP endpoints with their ports and ignores other lines', () => {
    expect(parsePacketLine(out('10.000000001', 33))).toMatchObject({ kind: 'udp', source: '198.51.100.1.10000', destination: '198.51.100.2.10000', length: 33, seq: -1 });
    expect(parsePacketLine('reading from file x.pcap, link-type EN10MB (Ethernet)')).toBeUndefined();
    expect(parsePacketLine('10.000000001 IP 127.0.0.1 > 127.0.0.1: ICMP 127.0.0.1 udp port 5000 unreachable, length 39')).toBeUndefined();
    expect(parsePacketLine('10.000001 IP 192.0.2.1 > 192.0.2.2: ICMP echo request, id 1, seq 1, length 64')).toBeUndefined();
  });

  it('sorts packets of merged captures by time', () => {
    const packets = parseCapture([reply('10.000000300', 1), out('10.000000100'), request('10.000000000', 1)].join('\n'));
    expect(packets.map((p) => p.kind)).toEqual(['echo-request', 'udp', 'echo-reply']);
  });
});

describe('RTT bench: hops of a tunnel round trip', () => {
  it('splits a round at the veth into a-out, b-round and a-in', () => {
    const capture = [request('10.000000000', 1), out('10.000020000'), back('10.000120500'), reply('10.000150000', 1)].join('\n');
    expect(tunnelRounds(parseCapture(capture), addresses)).toEqual([{ seq: 1, aOut: 20, bRound: 100.5, aIn: 29.5 }]);
  });

  it('skips a keepalive too short to carry the ping, in either direction', () => {
    const capture = [
      request('10.000000000', 1),
      out('10.000005000', 16),
      out('10.000020000'),
      back('10.000060000', 16),
      back('10.000120000'),
      reply('10.000150000', 1),
    ].join('\n');
    expect(tunnelRounds(parseCapture(capture), addresses)).toEqual([{ seq: 1, aOut: 20, bRound: 100, aIn: 30 }]);
  });

  it('drops a request whose reply never came and a round without a datagram back', () => {
    const capture = [
      request('10.000000000', 1),
      out('10.000020000'),
      request('10.050000000', 2),
      out('10.050020000'),
      back('10.050120000'),
      reply('10.050150000', 2),
      request('10.100000000', 3),
      out('10.100020000'),
      reply('10.100150000', 3),
    ].join('\n');
    expect(tunnelRounds(parseCapture(capture), addresses)).toEqual([{ seq: 2, aOut: 20, bRound: 100, aIn: 30 }]);
  });

  it('ignores the pings of the other direction', () => {
    const theirs = '10.000001000 IP 192.0.2.2 > 192.0.2.1: ICMP echo request, id 9, seq 1, length 64';
    expect(tunnelRounds(parseCapture(theirs), addresses)).toEqual([]);
  });
});

describe('supernode bench: hops of a ping to the supernode', () => {
  const at = { target: '10.200.0.1', supernode: '198.18.0.1' };
  const request = (t: string, seq: number) => `${t} IP 10.200.2.1 > 10.200.0.1: ICMP echo request, id 5, seq ${seq}, length 64`;
  const reply = (t: string, seq: number) => `${t} IP 10.200.0.1 > 10.200.2.1: ICMP echo reply, id 5, seq ${seq}, length 64`;
  const inbound = (t: string, length = 122, port = 20000) => `${t} IP 198.18.0.2.${port} > 198.18.0.1.10000: UDP, length ${length}`;
  const outbound = (t: string, length = 122) => `${t} IP 198.18.0.1.10000 > 198.18.0.2.20000: UDP, length ${length}`;

  it('splits a round into in, the kernel and out, past other routers\' keepalives', () => {
    const capture = [
      inbound('10.000000000'),
      inbound('10.000100000', 16, 20001),
      request('10.000400000', 1),
      outbound('10.000410000', 16),
      reply('10.000420000', 1),
      outbound('10.000540500'),
    ].join('\n');
    expect(supernodeRounds(parseCapture(capture), at)).toEqual([{ seq: 1, in: 400, kernel: 20, out: 120.5 }]);
  });

  it('drops a round whose reply or datagram out is missing', () => {
    const capture = [inbound('10.000000000'), request('10.000400000', 1), inbound('10.200000000'), request('10.200400000', 2), reply('10.200420000', 2)].join('\n');
    expect(supernodeRounds(parseCapture(capture), at)).toEqual([]);
  });
});

describe('RTT bench: echo times on loopback', () => {
  const probe = (t: string) => `${t} IP 127.0.0.1.40001 > 127.0.0.1.40000: UDP, length 32`;
  const echo = (t: string) => `${t} IP 127.0.0.1.40000 > 127.0.0.1.40001: UDP, length 32`;

  it('times each probe to the first echo after it and drops unanswered probes', () => {
    const capture = [probe('1.000000000'), echo('1.000013000'), probe('1.050000000'), probe('1.100000000'), echo('1.100090250'), echo('1.100095000')].join('\n');
    expect(echoTimes(parseCapture(capture), 40000)).toEqual([13, 90.25]);
  });
});
