// The packet headers the offload code reads and rewrites (and the chaos flooder writes), as byte offsets (RFC 791 IPv4,
// RFC 8200 IPv6, RFC 768 UDP, RFC 9293 TCP, IEEE 802.3 Ethernet II), plus the virtio_net_hdr values
// (include/uapi/linux/virtio_net.h) that describe a frame to and from a TUN/TAP with
// IFF_VNET_HDR. The header's own layout is VirtioNetHdr in ../linux-abi.ts.

/** Ethernet II header in front of every TAP frame: destination, source, ethertype. */
export const Ethernet = { SIZE: 14, DESTINATION: 0, SOURCE: 6, ETHERTYPE: 12 } as const;
export const EtherType = { IPV4: 0x0800, IPV6: 0x86dd } as const;

export const Ipv4 = {
  MIN_SIZE: 20,
  VERSION_IHL: 0,
  TOS: 1,
  TOTAL_LENGTH: 2,
  ID: 4,
  FLAGS_FRAGMENT: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SOURCE: 12,
  DESTINATION: 16,
} as const;
/** Flags/fragment-offset field: Don't Fragment, and the bits that mark a fragment (MF + offset). */
export const Ipv4Fragment = { DONT_FRAGMENT: 0x4000, FRAGMENT_BITS: 0x3fff } as const;

export const Ipv6 = {
  SIZE: 40,
  /** Version, traffic class and flow label share the first 4 bytes. */
  FLOW_WORD: 0,
  PAYLOAD_LENGTH: 4,
  NEXT_HEADER: 6,
  HOP_LIMIT: 7,
  SOURCE: 8,
  DESTINATION: 24,
} as const;
export const IPV6_ADDRESS_BYTES = 16;
export const IPV4_ADDRESS_BYTES = 4;

/** The largest IPv4 total length / IPv6 payload length (16-bit fields). */
export const IP_MAX_LENGTH = 0xffff;

export const IpProtocol = { TCP: 6, UDP: 17 } as const;

/** RFC 768 UDP header. */
export const Udp = { SIZE: 8, SOURCE_PORT: 0, DESTINATION_PORT: 2, LENGTH: 4, CHECKSUM: 6 } as const;

export const Tcp = {
  MIN_SIZE: 20,
  SOURCE_PORT: 0,
  DESTINATION_PORT: 2,
  SEQUENCE: 4,
  ACKNOWLEDGMENT: 8,
  /** High nibble: header length in 32-bit words. */
  DATA_OFFSET: 12,
  FLAGS: 13,
  WINDOW: 14,
  CHECKSUM: 16,
} as const;
export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

/** virtio_net_hdr.flags. */
export const VirtioFlag = {
  /** The checksum from csum_start to the end is still to be computed and stored at csum_start + csum_offset. */
  NEEDS_CSUM: 1,
} as const;

/** virtio_net_hdr.gso_type. */
export const VirtioGso = { NONE: 0, TCPV4: 1, UDP: 3, TCPV6: 4, ECN: 0x80 } as const;
