// Test-side TCP/IP framing with its own checksum code (deliberately not the module's):
// builds IPv4/IPv6 TCP frames and super-frames with a virtio_net_hdr, and parses and
// verifies frames the code under test produced.
export const VNET = 12;
export const ETH = 14;
export const TAP_MAC = [0x02, 0, 0, 0, 0, 0x01];
export const PEER_MAC = [0x02, 0, 0, 0, 0, 0x02];
const IPV4_SRC = [10, 1, 2, 3];
const IPV4_DST = [10, 4, 5, 6];
const IPV6_SRC = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01];
const IPV6_DST = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02];

/** RFC 1071 by the book: 16-bit words added with end-around carry after every addition. */
export function referenceChecksum(...parts: Uint8Array[]): number {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length + (p.length & 1), 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length + (p.length & 1);
  }
  const view = new DataView(all.buffer);
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) {
    sum += view.getUint16(i);
    if (sum > 0xffff) sum -= 0xffff;
  }
  return ~sum & 0xffff;
}

function pseudoHeader(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): Uint8Array {
  if (src.length === 4) return Uint8Array.from([...src, ...dst, 0, protocol, length >> 8, length & 0xff]);
  return Uint8Array.from([...src, ...dst, 0, 0, length >> 8, length & 0xff, 0, 0, 0, protocol]);
}

/** TCP timestamps option (NOP, NOP, TS 10 bytes), as Linux sends it on every segment. */
export const TIMESTAMPS = Uint8Array.from([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]);

/** The flows each offload test runs: IPv4 and IPv6, TAP and TUN, half of them with options. */
export const FLOW_CASES = [
  { version: 4 as const, kind: 'tap' as const, options: undefined },
  { version: 4 as const, kind: 'tun' as const, options: TIMESTAMPS },
  { version: 6 as const, kind: 'tap' as const, options: TIMESTAMPS },
  { version: 6 as const, kind: 'tun' as const, options: undefined },
];

/** The segment size of a 1500-byte MTU for the IP version, less the TCP options. */
export const segmentSizeOf = (version: 4 | 6, options?: Uint8Array) => (version === 4 ? 1460 : 1440) - (options?.length ?? 0);

export interface TcpSpec {
  version: 4 | 6;
  tap: boolean;
  seq: number;
  ack?: number;
  flags: number;
  payload: Uint8Array;
  id?: number;
  window?: number;
  options?: Uint8Array;
  srcPort?: number;
  dstPort?: number;
  /** Leave the TCP checksum as the pseudo-header sum (what the kernel hands over with NEEDS_CSUM). */
  partial?: boolean;
  srcIp?: number[];
  dstIp?: number[];
  srcMac?: number[];
  dstMac?: number[];
}

export const ACK = 0x10;
export const PSH = 0x08;
export const FIN = 0x01;
export const SYN = 0x02;
export const CWR = 0x80;

/** A complete frame (Ethernet header first when tap). */
export function tcpFrame(spec: TcpSpec): Uint8Array {
  const options = spec.options ?? new Uint8Array(0);
  const tcpHeader = 20 + options.length;
  const tcp = new Uint8Array(tcpHeader + spec.payload.length);
  const tv = new DataView(tcp.buffer);
  tv.setUint16(0, spec.srcPort ?? 40000);
  tv.setUint16(2, spec.dstPort ?? 5001);
  tv.setUint32(4, spec.seq >>> 0);
  tv.setUint32(8, (spec.ack ?? 777) >>> 0);
  tcp[12] = (tcpHeader / 4) << 4;
  tcp[13] = spec.flags;
  tv.setUint16(14, spec.window ?? 501);
  tcp.set(options, 20);
  tcp.set(spec.payload, tcpHeader);
  const src = Uint8Array.from(spec.srcIp ?? (spec.version === 4 ? IPV4_SRC : IPV6_SRC));
  const dst = Uint8Array.from(spec.dstIp ?? (spec.version === 4 ? IPV4_DST : IPV6_DST));
  const pseudo = pseudoHeader(src, dst, 6, tcp.length);
  tv.setUint16(16, spec.partial ? ~referenceChecksum(pseudo) & 0xffff : referenceChecksum(pseudo, tcp));
  let ip: Uint8Array;
  if (spec.version === 4) {
    ip = new Uint8Array(20);
    const iv = new DataView(ip.buffer);
    ip[0] = 0x45;
    iv.setUint16(2, 20 + tcp.length);
    iv.setUint16(4, spec.id ?? 0x1234);
    iv.setUint16(6, 0x4000);
    ip[8] = 64;
    ip[9] = 6;
    ip.set(src, 12);
    ip.set(dst, 16);
    iv.setUint16(10, referenceChecksum(ip));
  } else {
    ip = new Uint8Array(40);
    const iv = new DataView(ip.buffer);
    iv.setUint32(0, 0x60012345);
    iv.setUint16(4, tcp.length);
    ip[6] = 6;
    ip[7] = 64;
    ip.set(src, 8);
    ip.set(dst, 24);
  }
  const link = spec.tap ? Uint8Array.from([...(spec.dstMac ?? TAP_MAC), ...(spec.srcMac ?? PEER_MAC), ...(spec.version === 4 ? [0x08, 0x00] : [0x86, 0xdd])]) : new Uint8Array(0);
  const frame = new Uint8Array(link.length + ip.length + tcp.length);
  frame.set(link, 0);
  frame.set(ip, link.length);
  frame.set(tcp, link.length + ip.length);
  return frame;
}

export interface VnetSpec {
  flags: number;
  gsoType: number;
  hdrLen: number;
  gsoSize: number;
  csumStart: number;
  csumOffset: number;
}

export function vnetHeader(spec: VnetSpec): Uint8Array {
  const header = new Uint8Array(VNET);
  const view = new DataView(header.buffer);
  header[0] = spec.flags;
  header[1] = spec.gsoType;
  view.setUint16(2, spec.hdrLen, true);
  view.setUint16(4, spec.gsoSize, true);
  view.setUint16(6, spec.csumStart, true);
  view.setUint16(8, spec.csumOffset, true);
  return header;
}

export function readVnet(header: Uint8Array): VnetSpec {
  const view = new DataView(header.buffer, header.byteOffset, VNET);
  return { flags: header[0], gsoType: header[1], hdrLen: view.getUint16(2, true), gsoSize: view.getUint16(4, true), csumStart: view.getUint16(6, true), csumOffset: view.getUint16(8, true) };
}

/** The super-frame as the kernel hands it over: virtio_net_hdr (GSO, NEEDS_CSUM) + headers + all payload. */
export function superFrame(spec: TcpSpec, gsoSize: number): Uint8Array {
  const frame = tcpFrame({ ...spec, partial: true });
  const link = spec.tap ? ETH : 0;
  const csumStart = link + (spec.version === 4 ? 20 : 40);
  const hdrLen = csumStart + 20 + (spec.options?.length ?? 0);
  const header = vnetHeader({ flags: 1, gsoType: spec.version === 4 ? 1 : 4, hdrLen, gsoSize, csumStart, csumOffset: 16 });
  return concat(header, frame);
}

export function plainHeader(): Uint8Array {
  return new Uint8Array(VNET);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface ParsedTcp {
  version: number;
  ipLength: number;
  id: number;
  ipChecksumOk: boolean;
  seq: number;
  flags: number;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
  tcpChecksumOk: boolean;
}

/** Parses an IPv4/IPv6 TCP frame and checks its checksums with the reference code; null if not TCP. */
export function parseTcp(frame: Uint8Array, tap: boolean): ParsedTcp | null {
  const link = tap ? ETH : 0;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const version = frame[link] >> 4;
  let ipHeader: number;
  let ipLength: number;
  let src: Uint8Array;
  let dst: Uint8Array;
  let id = 0;
  let ipChecksumOk = true;
  if (version === 4) {
    if (frame[link + 9] !== 6) return null;
    ipHeader = (frame[link] & 15) * 4;
    ipLength = view.getUint16(link + 2);
    id = view.getUint16(link + 4);
    ipChecksumOk = referenceChecksum(frame.subarray(link, link + ipHeader)) === 0;
    src = frame.slice(link + 12, link + 16);
    dst = frame.slice(link + 16, link + 20);
  } else if (version === 6) {
    if (frame[link + 6] !== 6) return null;
    ipHeader = 40;
    ipLength = 40 + view.getUint16(link + 4);
    src = frame.slice(link + 8, link + 24);
    dst = frame.slice(link + 24, link + 40);
  } else {
    return null;
  }
  const tcp = frame.subarray(link + ipHeader, link + ipLength);
  const tcpHeader = (tcp[12] >> 4) * 4;
  return {
    version,
    ipLength,
    id,
    ipChecksumOk,
    seq: view.getUint32(link + ipHeader + 4),
    flags: tcp[13],
    srcPort: view.getUint16(link + ipHeader),
    dstPort: view.getUint16(link + ipHeader + 2),
    payload: tcp.slice(tcpHeader),
    tcpChecksumOk: referenceChecksum(pseudoHeader(src, dst, 6, tcp.length), tcp) === 0,
  };
}

/** Deterministic bytes, different for each seed. */
export function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
