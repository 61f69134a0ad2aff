// TCP segmentation (TSO) done by us: with TUNSETOFFLOAD the kernel hands a TUN/TAP reader
// TCP "super-frames" of up to 64 KiB, one set of headers in front of many segments' worth
// of payload, described by the virtio_net_hdr (gso_type, gso_size). The fastd wire carries
// only ordinary frames, so each super-frame is cut into frames of gso_size payload bytes
// with headers of their own: IPv4 total length, ID and header checksum, IPv6 payload
// length, TCP sequence number, flags and checksum — what the kernel's tcp_gso_segment
// would have produced. Frames flagged NEEDS_CSUM without segmentation (e.g. UDP) only get
// their checksum completed.
import { VirtioNetHdr } from '../linux-abi.js';
import { getU16, getU32, setU16, setU32 } from './big-endian.js';
import { finish, pseudoHeaderSum, setIpv4HeaderChecksum, sumWords } from './checksum.js';
import { Ethernet, EtherType, IpProtocol, Ipv4, Ipv4Fragment, Ipv6, Tcp, TcpFlag, VirtioFlag, VirtioGso } from './headers.js';
import { headerU16 } from './virtio-header.js';

/** Where a super-frame's headers are and how it is to be cut; one instance is reused for every super-frame. */
export class SuperFrame {
  version = 0;
  /** Offsets from the start of the frame. */
  ipStart = 0;
  ipHeaderLength = 0;
  tcpStart = 0;
  /** Link, IP and TCP headers: what every segment starts with. */
  headerLength = 0;
  gsoSize = 0;
  payloadLength = 0;
  segmentCount = 0;
}

/**
 * The IP version (4 or 6) of the frame at `frame`, 0 for anything else. TAP frames
 * (linkHeader = Ethernet.SIZE) say it in the ethertype, TUN packets in their first nibble.
 */
export function ipVersionOf(bytes: Uint8Array, frame: number, length: number, linkHeader: number): number {
  if (length <= linkHeader) return 0;
  let version = bytes[frame + linkHeader] >>> 4;
  if (linkHeader > 0) {
    const etherType = getU16(bytes, frame + Ethernet.ETHERTYPE);
    const claimed = etherType === EtherType.IPV4 ? 4 : etherType === EtherType.IPV6 ? 6 : 0;
    if (claimed !== version) version = 0;
  }
  return version === 4 || version === 6 ? version : 0;
}

/**
 * Checks the super-frame at `frame` (`length` bytes, its virtio_net_hdr at `header`) and
 * fills `out`. False for anything we cannot cut into valid frames: a gso_type other than
 * TCP, an hdr_len past the end, gso_size 0, no payload, headers cut short, IP lengths that
 * disagree with the frame's length, a fragment, or an IP version that is not the gso_type's.
 */
export function parseSuperFrame(bytes: Uint8Array, header: number, frame: number, length: number, linkHeader: number, out: SuperFrame): boolean {
  const gsoType = bytes[header + VirtioNetHdr.GSO_TYPE] & ~VirtioGso.ECN;
  const version = gsoType === VirtioGso.TCPV4 ? 4 : gsoType === VirtioGso.TCPV6 ? 6 : 0;
  if (version === 0 || ipVersionOf(bytes, frame, length, linkHeader) !== version) return false;
  if (headerU16(bytes, header, VirtioNetHdr.HDR_LEN) > length) return false;
  const ip = frame + linkHeader;
  let ipHeaderLength: number;
  if (version === 4) {
    ipHeaderLength = (bytes[ip + Ipv4.VERSION_IHL] & 0x0f) * 4;
    if (ipHeaderLength < Ipv4.MIN_SIZE || linkHeader + ipHeaderLength > length) return false;
    if (bytes[ip + Ipv4.PROTOCOL] !== IpProtocol.TCP) return false;
    if (getU16(bytes, ip + Ipv4.TOTAL_LENGTH) !== length - linkHeader) return false;
    if ((getU16(bytes, ip + Ipv4.FLAGS_FRAGMENT) & Ipv4Fragment.FRAGMENT_BITS) !== 0) return false;
  } else {
    ipHeaderLength = Ipv6.SIZE;
    if (linkHeader + ipHeaderLength > length) return false;
    if (bytes[ip + Ipv6.NEXT_HEADER] !== IpProtocol.TCP) return false;
    if (getU16(bytes, ip + Ipv6.PAYLOAD_LENGTH) !== length - linkHeader - Ipv6.SIZE) return false;
  }
  const tcpStart = linkHeader + ipHeaderLength;
  if (tcpStart + Tcp.MIN_SIZE > length) return false;
  const tcpHeaderLength = (bytes[frame + tcpStart + Tcp.DATA_OFFSET] >>> 4) * 4;
  if (tcpHeaderLength < Tcp.MIN_SIZE || tcpStart + tcpHeaderLength >= length) return false;
  const gsoSize = headerU16(bytes, header, VirtioNetHdr.GSO_SIZE);
  if (gsoSize === 0) return false;
  out.version = version;
  out.ipStart = linkHeader;
  out.ipHeaderLength = ipHeaderLength;
  out.tcpStart = tcpStart;
  out.headerLength = tcpStart + tcpHeaderLength;
  out.gsoSize = gsoSize;
  out.payloadLength = length - out.headerLength;
  out.segmentCount = Math.ceil(out.payloadLength / gsoSize);
  return true;
}

/** Length of segment k of the super-frame. */
export function segmentLength(superFrame: SuperFrame, k: number): number {
  return superFrame.headerLength + Math.min(superFrame.gsoSize, superFrame.payloadLength - k * superFrame.gsoSize);
}

/**
 * Writes segment k of the super-frame at `frame` as a complete frame at `to` (which must
 * not overlap it) and returns its length.
 */
export function writeSegment(bytes: Uint8Array, frame: number, superFrame: SuperFrame, k: number, to: number): number {
  const { headerLength, gsoSize, tcpStart } = superFrame;
  const payloadOffset = k * gsoSize;
  const payloadLength = Math.min(gsoSize, superFrame.payloadLength - payloadOffset);
  bytes.copyWithin(to, frame, frame + headerLength);
  const payloadFrom = frame + headerLength + payloadOffset;
  bytes.copyWithin(to + headerLength, payloadFrom, payloadFrom + payloadLength);
  const ip = to + superFrame.ipStart;
  const tcpLength = headerLength - tcpStart + payloadLength;
  if (superFrame.version === 4) {
    setU16(bytes, ip + Ipv4.TOTAL_LENGTH, superFrame.ipHeaderLength + tcpLength);
    setU16(bytes, ip + Ipv4.ID, (getU16(bytes, ip + Ipv4.ID) + k) & 0xffff);
    setIpv4HeaderChecksum(bytes, ip, superFrame.ipHeaderLength);
  } else {
    setU16(bytes, ip + Ipv6.PAYLOAD_LENGTH, tcpLength);
  }
  const tcp = to + tcpStart;
  setU32(bytes, tcp + Tcp.SEQUENCE, (getU32(bytes, tcp + Tcp.SEQUENCE) + payloadOffset) >>> 0);
  // FIN and PSH belong to the end of the data, CWR to its start (as tcp_gso_segment does)
  let flags = bytes[tcp + Tcp.FLAGS];
  if (k + 1 < superFrame.segmentCount) flags &= ~(TcpFlag.FIN | TcpFlag.PSH);
  if (k > 0) flags &= ~TcpFlag.CWR;
  bytes[tcp + Tcp.FLAGS] = flags;
  setU16(bytes, tcp + Tcp.CHECKSUM, 0);
  const sum = sumWords(bytes, tcp, tcp + tcpLength, pseudoHeaderSum(bytes, ip, superFrame.version, IpProtocol.TCP, tcpLength));
  setU16(bytes, tcp + Tcp.CHECKSUM, finish(sum));
  return headerLength + payloadLength;
}

/**
 * Completes the checksum of a frame whose header says NEEDS_CSUM: the field at
 * csum_start + csum_offset holds the pseudo-header sum, the rest is summed from csum_start
 * to the end. False when those offsets point past the frame (the frame is to be dropped).
 */
export function completeChecksum(bytes: Uint8Array, header: number, frame: number, length: number): boolean {
  if ((bytes[header + VirtioNetHdr.FLAGS] & VirtioFlag.NEEDS_CSUM) === 0) return true;
  const start = headerU16(bytes, header, VirtioNetHdr.CSUM_START);
  const field = start + headerU16(bytes, header, VirtioNetHdr.CSUM_OFFSET);
  if (field + 2 > length) return false;
  // 0 means "no checksum" to UDP; 0xffff is the same value in ones' complement (as skb_checksum_help writes it)
  setU16(bytes, frame + field, finish(sumWords(bytes, frame + start, frame + length, 0)) || 0xffff);
  return true;
}
