// Linux x86_64 constants and struct layouts for sockets, TUN/TAP and ioctls, declared once.
// Values are those of the kernel and glibc headers (linux/if_tun.h, bits/socket.h,
// linux/sockios.h, netinet/udp.h); structs are byte offsets because we read and write them
// through typed arrays over native memory, never as JS objects.

export const AddressFamily = { UNIX: 1, INET: 2, INET6: 10 } as const;

export const SocketType = { DGRAM: 2, RAW: 3, NONBLOCK: 0o4000, CLOEXEC: 0o2000000 } as const;

/** RAW: a raw IPv4 socket that sends whole packets, headers written by the caller (IP_HDRINCL implied; the chaos flooder's spoofed sources). */
export const Protocol = { IP: 0, IPV6: 41, UDP: 17, RAW: 255 } as const;

export const SOL_SOCKET = 1;
export const SOL_UDP = 17;

export const SocketOption = {
  REUSEADDR: 2,
  SNDBUF: 7,
  RCVBUF: 8,
  REUSEPORT: 15,
  BINDTODEVICE: 25,
  /** SO_SNDBUF / SO_RCVBUF past net.core.wmem_max / rmem_max (CAP_NET_ADMIN). */
  SNDBUFFORCE: 32,
  RCVBUFFORCE: 33,
  /** SO_TIMESTAMPNS (the 64-bit-time_t one): each datagram carries its receive time, an SCM_TIMESTAMPNS control message of the same number. */
  TIMESTAMPNS: 35,
  MARK: 36,
  /** SO_MEMINFO: the socket's memory counters, SkMeminfo's u32s. */
  MEMINFO: 55,
} as const;

/** SO_MEMINFO's u32 array (SK_MEMINFO_*): how many, and where the count of datagrams the socket dropped (sk_drops) is. */
export const SkMeminfo = { VARS: 9, DROPS: 8 } as const;

/** struct timespec (x86_64): seconds and nanoseconds, CLOCK_REALTIME in a receive timestamp. */
export const Timespec = { SIZE: 16, SEC: 0, NSEC: 8 } as const;

/**
 * IP_PKTINFO asks for, and on send takes, an in_pktinfo control message (the local address
 * of a datagram on a wildcard socket); IP_FREEBIND lets bind take an address not (yet) on the host.
 */
export const IpOption = { PKTINFO: 8, MTU_DISCOVER: 10, FREEBIND: 15, PMTUDISC_DONT: 0 } as const;
/** IPV6_RECVPKTINFO asks for IPV6_PKTINFO control messages (also for IPv4 on a dual-stack socket, v4-mapped). */
export const Ipv6Option = { MTU_DISCOVER: 23, V6ONLY: 26, RECVPKTINFO: 49, PKTINFO: 50, FREEBIND: 78, PMTUDISC_DONT: 0 } as const;

/** struct in_pktinfo (12 bytes): received, the header's destination is ADDR; sent, SPEC_DST is the source. */
export const InPktinfo = { SIZE: 12, IFINDEX: 0, SPEC_DST: 4, ADDR: 8 } as const;
/** struct in6_pktinfo (20 bytes): the local address, and the interface (kept for link-local addresses only, as fastd does). */
export const In6Pktinfo = { SIZE: 20, ADDR: 0, IFINDEX: 16 } as const;

/** UDP generic segmentation offload (send) and receive coalescing (netinet/udp.h). */
export const UdpOption = { SEGMENT: 103, GRO: 104 } as const;

/** The most segments one UDP_SEGMENT send may carry (UDP_MAX_SEGMENTS, linux/udp.h). */
export const UDP_MAX_SEGMENTS = 64;
/** A UDP payload can never exceed 65535 - 8 (UDP header) bytes, GSO or not. */
export const UDP_MAX_PAYLOAD = 65507;

export const MessageFlag = { DONTWAIT: 0x40, TRUNC: 0x20, CTRUNC: 0x08 } as const;

export const FileFlag = { RDONLY: 0, RDWR: 2, NONBLOCK: 0o4000, DIRECTORY: 0o200000, CLOEXEC: 0o2000000 } as const;
export const Fcntl = { DUPFD_CLOEXEC: 1030 } as const;

export const EventFdFlag = { NONBLOCK: 0o4000, CLOEXEC: 0o2000000 } as const;
/** An eventfd is read and written as one 8-byte counter. */
export const EVENTFD_VALUE_BYTES = 8;

/** struct pollfd (8 bytes) and the poll(2) event bits the datapath uses. */
export const Pollfd = { SIZE: 8, FD: 0, EVENTS: 4, REVENTS: 6 } as const;
export const PollEvent = { IN: 0x001, ERR: 0x008, HUP: 0x010, NVAL: 0x020 } as const;

export const Mmap = {
  PROT_READ: 1,
  PROT_WRITE: 2,
  SHARED: 0x01,
  PRIVATE: 0x02,
  ANONYMOUS: 0x20,
  POPULATE: 0x8000,
} as const;

/** sockaddr_in (16 bytes) and sockaddr_in6 (28 bytes); the port is big-endian. */
export const SockaddrIn = { SIZE: 16, FAMILY: 0, PORT: 2, ADDR: 4 } as const;
export const SockaddrIn6 = { SIZE: 28, FAMILY: 0, PORT: 2, FLOWINFO: 4, ADDR: 8, SCOPE_ID: 24 } as const;
/** Room for either sockaddr, rounded to 8 bytes so that slots in an array stay aligned. */
export const SOCKADDR_SLOT = 32;
/** struct sockaddr_un: the family, then a path of up to 108 bytes (a leading NUL: the abstract namespace). */
export const SockaddrUn = { FAMILY: 0, PATH: 2, PATH_BYTES: 108 } as const;

/** struct iovec. */
export const Iovec = { SIZE: 16, BASE: 0, LEN: 8 } as const;

/** struct msghdr (56 bytes), and struct mmsghdr, which appends the received/sent length. */
export const Msghdr = {
  SIZE: 56,
  NAME: 0,
  NAMELEN: 8,
  IOV: 16,
  IOVLEN: 24,
  CONTROL: 32,
  CONTROLLEN: 40,
  FLAGS: 48,
} as const;
export const Mmsghdr = { SIZE: 64, HDR: 0, LEN: 56 } as const;

/** struct cmsghdr; data starts 16 bytes in and every control message is padded to 8 bytes. */
export const Cmsghdr = { SIZE: 16, LEN: 0, LEVEL: 8, TYPE: 12, DATA: 16 } as const;

/** CMSG_SPACE(n): room a control message with n data bytes takes in a control buffer. */
export function cmsgSpace(dataBytes: number): number {
  return Cmsghdr.SIZE + ((dataBytes + 7) & ~7);
}

/** CMSG_LEN(n): the cmsg_len value of a control message with n data bytes. */
export function cmsgLen(dataBytes: number): number {
  return Cmsghdr.SIZE + dataBytes;
}

/** struct ifreq (40 bytes): the name, then a union (flags, mtu, hardware address, ...). */
export const Ifreq = { SIZE: 40, NAME: 0, FLAGS: 16, MTU: 16, HWADDR_FAMILY: 16, HWADDR_DATA: 18 } as const;
/** IFNAMSIZ: interface names are at most 15 bytes plus the terminating NUL. */
export const IFNAMSIZ = 16;

/** The TUN/TAP ioctls we use (linux/if_tun.h), as _IOW('T', n, int). */
export const TunIoctl = {
  SETIFF: 0x400454ca,
  SETOFFLOAD: 0x400454d0,
  SETVNETHDRSZ: 0x400454d8,
} as const;

/** ifr_flags for TUNSETIFF. */
export const TunFlag = {
  TUN: 0x0001,
  TAP: 0x0002,
  NO_PI: 0x1000,
  MULTI_QUEUE: 0x0100,
  VNET_HDR: 0x4000,
  ATTACH_QUEUE: 0x0200,
  DETACH_QUEUE: 0x0400,
} as const;

/** TUNSETOFFLOAD bits: which offloads the kernel may hand us in virtio_net_hdr-marked frames. */
export const TunOffload = {
  CSUM: 0x01,
  TSO4: 0x02,
  TSO6: 0x04,
  TSO_ECN: 0x08,
  UFO: 0x10,
  USO4: 0x20,
  USO6: 0x40,
} as const;

/** Interface ioctls issued on any AF_INET datagram socket (linux/sockios.h). */
export const SiocIoctl = {
  GIFFLAGS: 0x8913,
  SIFFLAGS: 0x8914,
  GIFMTU: 0x8921,
  SIFMTU: 0x8922,
  GIFHWADDR: 0x8927,
} as const;

export const InterfaceFlag = { UP: 0x1, RUNNING: 0x40 } as const;

/** struct virtio_net_hdr_v1 as TUNSETVNETHDRSZ 12 gives it (10 bytes without num_buffers). */
export const VirtioNetHdr = {
  SIZE: 12,
  FLAGS: 0,
  GSO_TYPE: 1,
  HDR_LEN: 2,
  GSO_SIZE: 4,
  CSUM_START: 6,
  CSUM_OFFSET: 8,
  NUM_BUFFERS: 10,
} as const;
