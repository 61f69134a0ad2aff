// UDP sockets made the way fastd makes them (src/socket.c: bind_socket), through libc so
// that the datapath owns the raw file descriptor: non-blocking, IPv6 dual-stack for an
// `any` bind (IPV6_V6ONLY off) and IPv6-only for an explicit IPv6 address, path MTU
// discovery off (fastd fragments nothing itself and wants the kernel not to either),
// optional interface bind, packet mark and SO_REUSEPORT (one socket per datapath worker),
// pktinfo on wildcard binds and FREEBIND on the others.
import { OS_PAGE_BYTES } from '../bufferpool/packet-memory.js';
import { bind, check, close, getsockname, getsockopt, ifNameToIndex, setsockopt, socket, SystemError, errno } from './libc.js';
import {
  AddressFamily,
  IpOption,
  Ipv6Option,
  Protocol,
  SOCKADDR_SLOT,
  SockaddrIn6,
  SOL_SOCKET,
  SOL_UDP,
  SkMeminfo,
  SocketOption,
  SocketType,
  UdpOption,
} from './linux-abi.js';
import { NativeArea } from './native-memory.js';
import { readSockaddr, sockaddrLength, writeSockaddr, type SocketAddress } from './sockaddr.js';

export interface UdpSocketOptions {
  /** Address to bind; null binds the wildcard of a dual-stack socket, like fastd's `bind any`. */
  readonly address: string | null;
  readonly port: number;
  /** SO_BINDTODEVICE (fastd's `bind ... interface "x"`); for IPv6 link-local it sets the scope instead. */
  readonly interface?: string;
  /** SO_MARK (fastd's `packet mark`). */
  readonly mark?: number;
  /** SO_REUSEPORT, so that each datapath worker can own a socket on the same port. */
  readonly reusePort?: boolean;
  /** Turn on UDP_GRO: the kernel may hand over several same-size datagrams as one. */
  readonly gro?: boolean;
  /**
   * A wildcard bind: report each datagram's local address (IP_PKTINFO / IPV6_RECVPKTINFO),
   * so that answers can leave from it (fastd turns this on for every socket).
   */
  readonly pktinfo?: boolean;
  /** IP_FREEBIND / IPV6_FREEBIND: bind an address that is not on the host yet (fastd sets it on every socket). */
  readonly freebind?: boolean;
}

export interface UdpSocket {
  readonly fd: number;
  readonly family: typeof AddressFamily.INET | typeof AddressFamily.INET6;
  /** The address the kernel bound (port filled in when 0 was asked for). */
  readonly local: SocketAddress;
}

/** What the running kernel offers for UDP offloads. */
export interface UdpOffloadSupport {
  /** UDP_SEGMENT (Linux 4.18). */
  readonly gso: boolean;
  /** UDP_GRO (Linux 5.0). */
  readonly gro: boolean;
}

// Setup-time scratch memory for option values and sockaddrs (one per thread).
const SCRATCH_VALUE = 0;
const SCRATCH_LENGTH = 8;
const SCRATCH_SOCKADDR = 64;
/** SO_MEMINFO's counters go where a sockaddr goes otherwise. */
const SCRATCH_MEMINFO = SCRATCH_SOCKADDR;
let scratchArea: NativeArea | null = null;
function scratch(): NativeArea {
  scratchArea ??= new NativeArea(OS_PAGE_BYTES, 'io scratch');
  return scratchArea;
}

function setIntOption(fd: number, level: number, name: number, value: number, what: string): void {
  const area = scratch();
  area.view.setInt32(SCRATCH_VALUE, value, true);
  check(setsockopt(fd, level, name, area.address + SCRATCH_VALUE, 4), `setsockopt ${what}`);
}

/** Turns on UDP_GRO: the kernel may hand over several same-size datagrams of one sender as one. */
export function enableUdpGro(fd: number): void {
  setIntOption(fd, SOL_UDP, UdpOption.GRO, 1, 'UDP_GRO');
}

/** Turns on SO_TIMESTAMPNS: every datagram received carries the time the kernel took it in (control-messages.ts). */
export function enableReceiveTimestamps(fd: number): void {
  setIntOption(fd, SOL_SOCKET, SocketOption.TIMESTAMPNS, 1, 'SO_TIMESTAMPNS');
}

/** Creates, configures and binds a UDP socket; throws a SystemError naming the step that failed. */
export function openUdpSocket(options: UdpSocketOptions): UdpSocket {
  const area = scratch();
  const sockaddrSlot = area.bytes.subarray(SCRATCH_SOCKADDR, SCRATCH_SOCKADDR + SOCKADDR_SLOT);
  const bindAddress: SocketAddress = { address: options.address ?? '::', port: options.port };
  writeSockaddr(sockaddrSlot, 0, bindAddress);
  const family = sockaddrLength(sockaddrSlot, 0) === SockaddrIn6.SIZE ? AddressFamily.INET6 : AddressFamily.INET;
  const type = SocketType.DGRAM | SocketType.CLOEXEC | SocketType.NONBLOCK;
  const fd = check(socket(family, type, Protocol.UDP), 'socket');
  try {
    if (family === AddressFamily.INET6) {
      setIntOption(fd, Protocol.IPV6, Ipv6Option.V6ONLY, options.address === null ? 0 : 1, 'IPV6_V6ONLY');
    }
    setIntOption(fd, Protocol.IP, IpOption.MTU_DISCOVER, IpOption.PMTUDISC_DONT, 'IP_MTU_DISCOVER');
    if (options.mark !== undefined && options.mark !== 0) {
      setIntOption(fd, SOL_SOCKET, SocketOption.MARK, options.mark, 'SO_MARK');
    }
    if (options.reusePort) setIntOption(fd, SOL_SOCKET, SocketOption.REUSEPORT, 1, 'SO_REUSEPORT');
    if (options.gro) enableUdpGro(fd);
    if (options.pktinfo) {
      if (family === AddressFamily.INET6) setIntOption(fd, Protocol.IPV6, Ipv6Option.RECVPKTINFO, 1, 'IPV6_RECVPKTINFO');
      else setIntOption(fd, Protocol.IP, IpOption.PKTINFO, 1, 'IP_PKTINFO');
    }
    // best effort, as fastd only warns: without it, bind still works for an address that exists
    if (options.freebind) {
      area.view.setInt32(SCRATCH_VALUE, 1, true);
      if (family === AddressFamily.INET6) setsockopt(fd, Protocol.IPV6, Ipv6Option.FREEBIND, area.address + SCRATCH_VALUE, 4);
      else setsockopt(fd, Protocol.IP, IpOption.FREEBIND, area.address + SCRATCH_VALUE, 4);
    }
    bindToInterface(fd, options, sockaddrSlot);
    check(bind(fd, area.address + SCRATCH_SOCKADDR, sockaddrLength(sockaddrSlot, 0)), `bind ${describe(bindAddress)}`);
    return { fd, family, local: localAddress(fd) };
  } catch (error) {
    close(fd);
    throw error;
  }
}

// fastd binds IPv6 link-local addresses by scope id (the interface's index) rather than
// SO_BINDTODEVICE; everything else with an interface gets SO_BINDTODEVICE.
function bindToInterface(fd: number, options: UdpSocketOptions, sockaddrSlot: Uint8Array): void {
  const name = options.interface;
  if (name === undefined) return;
  if (options.address !== null && /^fe[89ab]/i.test(options.address) && options.address.includes(':')) {
    const scopeId = /^\d+$/.test(name) ? Number(name) : ifNameToIndex(name);
    if (scopeId === 0) throw new SystemError(`if_nametoindex ${name}`, errno());
    writeSockaddr(sockaddrSlot, 0, { address: options.address, port: options.port, scopeId });
    return;
  }
  const area = scratch();
  const bytes = Buffer.from(name, 'utf8');
  area.bytes.set(bytes, SCRATCH_VALUE);
  check(setsockopt(fd, SOL_SOCKET, SocketOption.BINDTODEVICE, area.address + SCRATCH_VALUE, bytes.length), `setsockopt SO_BINDTODEVICE ${name}`);
}

/** The address a socket is bound to (getsockname). */
export function localAddress(fd: number): SocketAddress {
  const area = scratch();
  area.view.setUint32(SCRATCH_LENGTH, SOCKADDR_SLOT, true);
  area.bytes.fill(0, SCRATCH_SOCKADDR, SCRATCH_SOCKADDR + SOCKADDR_SLOT);
  check(getsockname(fd, area.address + SCRATCH_SOCKADDR, area.address + SCRATCH_LENGTH), 'getsockname');
  const address = readSockaddr(area.bytes.subarray(SCRATCH_SOCKADDR), 0);
  if (address === null) throw new Error(`getsockname: unexpected address family on fd ${fd}`);
  return address;
}

/** Sets SO_SNDBUF / SO_RCVBUF (the kernel doubles and caps the value as it always does). */
export function setSocketBuffers(fd: number, sendBytes: number, receiveBytes: number): void {
  setIntOption(fd, SOL_SOCKET, SocketOption.SNDBUF, sendBytes, 'SO_SNDBUF');
  setReceiveBuffer(fd, receiveBytes);
}

/**
 * Sets SO_RCVBUF alone, within net.core.rmem_max (no capability needed: a datapath worker has
 * none): the kernel doubles the value, as it always does.
 */
export function setReceiveBuffer(fd: number, bytes: number): void {
  setIntOption(fd, SOL_SOCKET, SocketOption.RCVBUF, bytes, 'SO_RCVBUF');
}

/** Datagrams the kernel dropped at the socket so far (SO_MEMINFO's sk_drops: mostly a full receive buffer). */
export function socketDrops(fd: number): number {
  const area = scratch();
  area.view.setUint32(SCRATCH_LENGTH, SkMeminfo.VARS * 4, true);
  check(getsockopt(fd, SOL_SOCKET, SocketOption.MEMINFO, area.address + SCRATCH_MEMINFO, area.address + SCRATCH_LENGTH), 'getsockopt SO_MEMINFO');
  return area.view.getUint32(SCRATCH_MEMINFO + SkMeminfo.DROPS * 4, true);
}

/**
 * Sets the socket buffers past the sysctl caps where the process may (CAP_NET_ADMIN, as a
 * daemon started by root has), else as far as the caps allow.
 */
export function forceSocketBuffers(fd: number, sendBytes: number, receiveBytes: number): void {
  try {
    setIntOption(fd, SOL_SOCKET, SocketOption.SNDBUFFORCE, sendBytes, 'SO_SNDBUFFORCE');
    setIntOption(fd, SOL_SOCKET, SocketOption.RCVBUFFORCE, receiveBytes, 'SO_RCVBUFFORCE');
  } catch {
    setSocketBuffers(fd, sendBytes, receiveBytes);
  }
}

/** Probes UDP_SEGMENT and UDP_GRO on a throwaway socket. */
export function probeUdpOffloads(): UdpOffloadSupport {
  const area = scratch();
  const fd = check(socket(AddressFamily.INET, SocketType.DGRAM | SocketType.CLOEXEC, Protocol.UDP), 'socket');
  try {
    area.view.setUint32(SCRATCH_LENGTH, 4, true);
    const gso = getsockopt(fd, SOL_UDP, UdpOption.SEGMENT, area.address + SCRATCH_VALUE, area.address + SCRATCH_LENGTH) === 0;
    area.view.setInt32(SCRATCH_VALUE, 1, true);
    const gro = setsockopt(fd, SOL_UDP, UdpOption.GRO, area.address + SCRATCH_VALUE, 4) === 0;
    return { gso, gro };
  } finally {
    close(fd);
  }
}

export function closeSocket(socketToClose: UdpSocket): void {
  close(socketToClose.fd);
}

function describe(address: SocketAddress): string {
  return address.address.includes(':') ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}
