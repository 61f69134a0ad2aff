// TCP receive coalescing (GRO) for frames we write to a TUN/TAP: consecutive frames of one
// TCP flow become one super-frame written with a virtio_net_hdr (gso_type TCPV4/TCPV6), so
// the kernel's stack handles tens of segments as one packet. The rules follow the kernel's
// tcp_gro_receive as wireguard-go's tun/tcp_offload_linux.go applies them to a batch:
// same link header, addresses, ports, ACK number, window, options, TOS/TTL (IPv4, with
// consecutive IDs) or flow word/hop limit (IPv6); contiguous sequence numbers; only ACK,
// with PSH allowed on the last; all segments as long as the first but the last, which may
// be shorter. Each frame's own checksums are verified before it joins a super-frame, since
// the kernel recomputes the merged checksum and would otherwise launder a corrupt segment;
// only then: a segment written alone goes with a plain header and the kernel checks it, and
// with many flows through one TAP most segments are alone in their batch.
import type { PacketCopy } from '../../bufferpool/packet-copy.js';
import { getU16, getU32, sameBytes, setU16 } from './big-endian.js';
import { fold, isValidSum, pseudoHeaderSum, type RangeSum, setIpv4HeaderChecksum } from './checksum.js';
import { IP_MAX_LENGTH, IPV4_ADDRESS_BYTES, IPV6_ADDRESS_BYTES, IpProtocol, Ipv4, Ipv4Fragment, Ipv6, Tcp, TcpFlag } from './headers.js';
import { ipVersionOf } from './tso.js';
import { writePlainHeader, writeTcpGsoHeader } from './virtio-header.js';

/** A frame that may join a super-frame, with its header offsets relative to its start. */
export class TcpSegment {
  version = 0;
  ipHeaderLength = 0;
  tcpStart = 0;
  tcpHeaderLength = 0;
  payloadLength = 0;
  sequence = 0;
  flags = 0;
}

/**
 * True when the frame at `frame` is a TCP segment with payload that may be coalesced: IPv4
 * without options or fragmentation, or IPv6 without extension headers; lengths that agree
 * with the frame; flags ACK or ACK+PSH. Its checksums are checked apart (hasValidChecksums).
 */
export function parseTcpSegment(bytes: Uint8Array, frame: number, length: number, linkHeader: number, out: TcpSegment): boolean {
  const version = ipVersionOf(bytes, frame, length, linkHeader);
  const ip = frame + linkHeader;
  let ipHeaderLength: number;
  if (version === 4) {
    ipHeaderLength = Ipv4.MIN_SIZE;
    if (linkHeader + ipHeaderLength > length || (bytes[ip + Ipv4.VERSION_IHL] & 0x0f) * 4 !== ipHeaderLength) return false;
    if (bytes[ip + Ipv4.PROTOCOL] !== IpProtocol.TCP || getU16(bytes, ip + Ipv4.TOTAL_LENGTH) !== length - linkHeader) return false;
    if ((getU16(bytes, ip + Ipv4.FLAGS_FRAGMENT) & Ipv4Fragment.FRAGMENT_BITS) !== 0) return false;
  } else if (version === 6) {
    ipHeaderLength = Ipv6.SIZE;
    if (linkHeader + ipHeaderLength > length || bytes[ip + Ipv6.NEXT_HEADER] !== IpProtocol.TCP) return false;
    if (getU16(bytes, ip + Ipv6.PAYLOAD_LENGTH) !== length - linkHeader - Ipv6.SIZE) return false;
  } else {
    return false;
  }
  const tcpStart = linkHeader + ipHeaderLength;
  if (tcpStart + Tcp.MIN_SIZE > length) return false;
  const tcp = frame + tcpStart;
  const tcpHeaderLength = (bytes[tcp + Tcp.DATA_OFFSET] >>> 4) * 4;
  if (tcpHeaderLength < Tcp.MIN_SIZE || tcpStart + tcpHeaderLength >= length) return false;
  const flags = bytes[tcp + Tcp.FLAGS];
  if ((flags & ~TcpFlag.PSH) !== TcpFlag.ACK) return false;
  out.version = version;
  out.ipHeaderLength = ipHeaderLength;
  out.tcpStart = tcpStart;
  out.tcpHeaderLength = tcpHeaderLength;
  out.payloadLength = length - tcpStart - tcpHeaderLength;
  out.sequence = getU32(bytes, tcp + Tcp.SEQUENCE);
  out.flags = flags;
  return true;
}

/** Whether the segment at `frame`, as parseTcpSegment read it, has a correct IPv4 header checksum and TCP checksum. */
export function hasValidChecksums(bytes: Uint8Array, frame: number, segment: TcpSegment, rangeSum: RangeSum): boolean {
  const tcp = frame + segment.tcpStart;
  const ip = tcp - segment.ipHeaderLength;
  if (segment.version === 4 && !isValidSum(rangeSum(bytes, ip, tcp, 0))) return false;
  const tcpLength = segment.tcpHeaderLength + segment.payloadLength;
  return isValidSum(rangeSum(bytes, tcp, tcp + tcpLength, pseudoHeaderSum(bytes, ip, segment.version, IpProtocol.TCP, tcpLength, rangeSum)));
}

/** A super-frame being built from consecutive segments of one flow; one instance is reused. */
export class TcpFlowGroup {
  readonly head = new TcpSegment();
  /** Where the super-frame is built, and its length so far. */
  frame = 0;
  length = 0;
  segments = 0;
  private linkHeader = 0;
  private nextSequence = 0;
  /** A shorter segment or PSH ended the flow's run: nothing may follow. */
  private closed = false;
  private push = false;
  /** The head's checksums were verified (when the first segment asked to join). */
  private headChecked = false;

  /** `copy` moves bytes within the packet memory the frames lie in; `rangeSum` sums them for the checksums. */
  constructor(
    private readonly copy: PacketCopy,
    private readonly rangeSum: RangeSum,
  ) {}

  /** Starts a group with the segment already copied to `frame` (`head` as parseTcpSegment filled it). */
  start(frame: number, length: number, linkHeader: number, head: TcpSegment): void {
    const own = this.head;
    own.version = head.version;
    own.ipHeaderLength = head.ipHeaderLength;
    own.tcpStart = head.tcpStart;
    own.tcpHeaderLength = head.tcpHeaderLength;
    own.payloadLength = head.payloadLength;
    own.sequence = head.sequence;
    own.flags = head.flags;
    this.frame = frame;
    this.length = length;
    this.linkHeader = linkHeader;
    this.segments = 1;
    this.nextSequence = (head.sequence + head.payloadLength) >>> 0;
    this.push = (head.flags & TcpFlag.PSH) !== 0;
    this.closed = this.push;
    this.headChecked = false;
  }

  /**
   * Appends the payload of the segment at `frame` when it continues the flow, the
   * super-frame stays within `room` bytes and the IP length limit, and both it and the head
   * have correct checksums; false (nothing done) otherwise. A corrupt head closes the group:
   * it is written alone.
   */
  tryAppend(bytes: Uint8Array, frame: number, segment: TcpSegment, room: number): boolean {
    const head = this.head;
    if (this.closed || segment.version !== head.version || segment.tcpHeaderLength !== head.tcpHeaderLength) return false;
    if (segment.sequence !== this.nextSequence || segment.payloadLength > head.payloadLength) return false;
    if (this.length + segment.payloadLength > room) return false;
    if (this.length - this.linkHeader + segment.payloadLength > IP_MAX_LENGTH + (head.version === 6 ? Ipv6.SIZE : 0)) return false;
    if (!this.sameFlow(bytes, frame)) return false;
    if (!this.headChecked) {
      if (!hasValidChecksums(bytes, this.frame, head, this.rangeSum)) {
        this.closed = true;
        return false;
      }
      this.headChecked = true;
    }
    if (!hasValidChecksums(bytes, frame, segment, this.rangeSum)) return false;
    const payload = frame + segment.tcpStart + segment.tcpHeaderLength;
    this.copy(this.frame + this.length, payload, segment.payloadLength);
    this.length += segment.payloadLength;
    this.segments++;
    this.nextSequence = (this.nextSequence + segment.payloadLength) >>> 0;
    this.push = (segment.flags & TcpFlag.PSH) !== 0;
    this.closed = this.push || segment.payloadLength < head.payloadLength;
    return true;
  }

  // Everything but lengths, checksums, IPv4 ID, sequence number and flags must be equal.
  private sameFlow(bytes: Uint8Array, frame: number): boolean {
    const head = this.frame;
    const link = this.linkHeader;
    if (!sameBytes(bytes, head, frame, link)) return false;
    const ip = head + link;
    const other = frame + link;
    if (this.head.version === 4) {
      if (bytes[ip + Ipv4.TOS] !== bytes[other + Ipv4.TOS] || bytes[ip + Ipv4.TTL] !== bytes[other + Ipv4.TTL]) return false;
      if (bytes[ip + Ipv4.FLAGS_FRAGMENT] !== bytes[other + Ipv4.FLAGS_FRAGMENT]) return false;
      if (getU16(bytes, other + Ipv4.ID) !== ((getU16(bytes, ip + Ipv4.ID) + this.segments) & 0xffff)) return false;
      if (!sameBytes(bytes, ip + Ipv4.SOURCE, other + Ipv4.SOURCE, 2 * IPV4_ADDRESS_BYTES)) return false;
    } else {
      if (!sameBytes(bytes, ip + Ipv6.FLOW_WORD, other + Ipv6.FLOW_WORD, Ipv6.PAYLOAD_LENGTH - Ipv6.FLOW_WORD)) return false;
      if (bytes[ip + Ipv6.HOP_LIMIT] !== bytes[other + Ipv6.HOP_LIMIT]) return false;
      if (!sameBytes(bytes, ip + Ipv6.SOURCE, other + Ipv6.SOURCE, 2 * IPV6_ADDRESS_BYTES)) return false;
    }
    const tcp = head + this.head.tcpStart;
    const otherTcp = frame + this.head.tcpStart;
    // ports; then ACK number, data offset; then window; then urgent pointer and options
    return (
      sameBytes(bytes, tcp + Tcp.SOURCE_PORT, otherTcp + Tcp.SOURCE_PORT, Tcp.SEQUENCE - Tcp.SOURCE_PORT) &&
      sameBytes(bytes, tcp + Tcp.ACKNOWLEDGMENT, otherTcp + Tcp.ACKNOWLEDGMENT, Tcp.FLAGS - Tcp.ACKNOWLEDGMENT) &&
      sameBytes(bytes, tcp + Tcp.WINDOW, otherTcp + Tcp.WINDOW, Tcp.CHECKSUM - Tcp.WINDOW) &&
      sameBytes(bytes, tcp + Tcp.CHECKSUM + 2, otherTcp + Tcp.CHECKSUM + 2, this.head.tcpHeaderLength - Tcp.CHECKSUM - 2)
    );
  }

  /**
   * Writes the virtio_net_hdr at `header` (just before the frame): a plain one for a lone
   * segment; for a super-frame, its IP length (and IPv4 header checksum), PSH if its last
   * segment had it, the TCP pseudo-header sum for the kernel to complete, and GSO fields.
   */
  finish(bytes: Uint8Array, header: number): void {
    if (this.segments === 1) {
      writePlainHeader(bytes, header);
      return;
    }
    const head = this.head;
    const ip = this.frame + this.linkHeader;
    const tcpLength = this.length - head.tcpStart;
    if (head.version === 4) {
      setU16(bytes, ip + Ipv4.TOTAL_LENGTH, this.length - this.linkHeader);
      setIpv4HeaderChecksum(bytes, ip, head.ipHeaderLength);
    } else {
      setU16(bytes, ip + Ipv6.PAYLOAD_LENGTH, this.length - this.linkHeader - Ipv6.SIZE);
    }
    const tcp = this.frame + head.tcpStart;
    if (this.push) bytes[tcp + Tcp.FLAGS] |= TcpFlag.PSH;
    setU16(bytes, tcp + Tcp.CHECKSUM, fold(pseudoHeaderSum(bytes, ip, head.version, IpProtocol.TCP, tcpLength, this.rangeSum)));
    const headerLength = head.tcpStart + head.tcpHeaderLength;
    writeTcpGsoHeader(bytes, header, head.version, headerLength, head.payloadLength, head.tcpStart, Tcp.CHECKSUM);
  }
}
