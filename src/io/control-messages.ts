// The control messages a datagram carries besides its payload, read and written in place
// (a msghdr table's control slots, or the headroom of a multishot receive buffer):
//   received: UDP_GRO (the segment size of a coalesced datagram), SCM_TIMESTAMPNS (when the
//     kernel took the datagram in: how long it queued for us) and, on a wildcard socket,
//     IPV6_PKTINFO / IP_PKTINFO: the local address the datagram came to (fastd's
//     handle_socket_control; a dual-stack socket reports IPv4 as v4-mapped IPV6_PKTINFO);
//   sent: UDP_SEGMENT (GSO) and the same pktinfo, so that the datagram leaves from that
//     address (fastd's add_pktinfo) instead of the one the kernel's route would pick.
// A batch keeps each entry's local address as a sockaddr slot (port 0, family 0 for none).
import type { DatagramBatch } from './batch.js';
import { AddressFamily, Cmsghdr, cmsgLen, cmsgSpace, In6Pktinfo, InPktinfo, IpOption, Ipv6Option, Protocol, SOCKADDR_SLOT, SockaddrIn, SockaddrIn6, SocketOption, SOL_SOCKET, SOL_UDP, Timespec, UdpOption } from './linux-abi.js';

/** Room for what one received datagram may carry: UDP_GRO, the timestamp, IPV6_PKTINFO and, for IPv4 on a dual-stack socket, IP_PKTINFO too. */
export const RECEIVE_CONTROL_ROOM = cmsgSpace(4) + cmsgSpace(Timespec.SIZE) + cmsgSpace(In6Pktinfo.SIZE) + cmsgSpace(InPktinfo.SIZE);
/** Room for what one send carries: UDP_SEGMENT and a pktinfo. */
export const SEND_CONTROL_ROOM = cmsgSpace(2) + cmsgSpace(In6Pktinfo.SIZE);

const WORDS_PER_SLOT = SOCKADDR_SLOT / 4;

/**
 * Reads the control messages of received entry i from bytes [at, at + length) (`view` over
 * the same memory): the GRO segment size (0 for none), the receive time (0 for none) and the
 * local address (the first pktinfo, as fastd takes it; an empty slot for none).
 */
export function readControl(bytes: Uint8Array, view: DataView, at: number, length: number, batch: DatagramBatch, i: number): void {
  batch.segmentSizes[i] = 0;
  batch.receivedAt[i] = 0;
  clearLocal(batch, i);
  let local = false;
  const end = at + length;
  for (let cmsg = at; cmsg + Cmsghdr.SIZE <= end; ) {
    const cmsgLength = view.getUint32(cmsg + Cmsghdr.LEN, true);
    if (cmsgLength < Cmsghdr.SIZE || cmsg + cmsgLength > end) return;
    const level = view.getInt32(cmsg + Cmsghdr.LEVEL, true);
    const type = view.getInt32(cmsg + Cmsghdr.TYPE, true);
    const data = cmsg + Cmsghdr.DATA;
    if (level === SOL_UDP && type === UdpOption.GRO && cmsgLength >= cmsgLen(4)) {
      batch.segmentSizes[i] = view.getInt32(data, true);
    } else if (level === SOL_SOCKET && type === SocketOption.TIMESTAMPNS && cmsgLength >= cmsgLen(Timespec.SIZE)) {
      // read as 32-bit halves (a BigInt read would allocate); nanoseconds are below 1e9
      const seconds = view.getInt32(data + Timespec.SEC + 4, true) * 2 ** 32 + view.getUint32(data + Timespec.SEC, true);
      batch.receivedAt[i] = seconds * 1000 + view.getUint32(data + Timespec.NSEC, true) / 1e6;
    } else if (!local && level === Protocol.IPV6 && type === Ipv6Option.PKTINFO && cmsgLength >= cmsgLen(In6Pktinfo.SIZE)) {
      local = true;
      const slot = i * SOCKADDR_SLOT;
      const locals = batch.locals;
      locals[slot + SockaddrIn6.FAMILY] = AddressFamily.INET6;
      for (let b = 0; b < 16; b++) locals[slot + SockaddrIn6.ADDR + b] = bytes[data + In6Pktinfo.ADDR + b];
      // the interface only matters for (and fastd keeps it only for) link-local addresses
      if (locals[slot + SockaddrIn6.ADDR] === 0xfe && (locals[slot + SockaddrIn6.ADDR + 1] & 0xc0) === 0x80) {
        batch.localWords[(slot + SockaddrIn6.SCOPE_ID) >> 2] = view.getUint32(data + In6Pktinfo.IFINDEX, true);
      }
    } else if (!local && level === Protocol.IP && type === IpOption.PKTINFO && cmsgLength >= cmsgLen(InPktinfo.SIZE)) {
      local = true;
      const slot = i * SOCKADDR_SLOT;
      batch.locals[slot + SockaddrIn.FAMILY] = AddressFamily.INET;
      for (let b = 0; b < 4; b++) batch.locals[slot + SockaddrIn.ADDR + b] = bytes[data + InPktinfo.ADDR + b];
    }
    cmsg += (cmsgLength + 7) & ~7;
  }
}

/**
 * Writes the pktinfo that makes entry i leave from its local address at bytes[at] (`view`
 * over the same memory); returns the control bytes it took, 0 when the entry has no local address.
 */
export function writePktinfo(bytes: Uint8Array, view: DataView, at: number, batch: DatagramBatch, i: number): number {
  const slot = i * SOCKADDR_SLOT;
  const locals = batch.locals;
  const family = locals[slot] | (locals[slot + 1] << 8);
  const data = at + Cmsghdr.DATA;
  if (family === AddressFamily.INET6) {
    view.setUint32(at + Cmsghdr.LEN, cmsgLen(In6Pktinfo.SIZE), true);
    view.setUint32(at + Cmsghdr.LEN + 4, 0, true);
    view.setInt32(at + Cmsghdr.LEVEL, Protocol.IPV6, true);
    view.setInt32(at + Cmsghdr.TYPE, Ipv6Option.PKTINFO, true);
    for (let b = 0; b < 16; b++) bytes[data + In6Pktinfo.ADDR + b] = locals[slot + SockaddrIn6.ADDR + b];
    view.setUint32(data + In6Pktinfo.IFINDEX, batch.localWords[(slot + SockaddrIn6.SCOPE_ID) >> 2], true);
    return cmsgSpace(In6Pktinfo.SIZE);
  }
  if (family === AddressFamily.INET) {
    view.setUint32(at + Cmsghdr.LEN, cmsgLen(InPktinfo.SIZE), true);
    view.setUint32(at + Cmsghdr.LEN + 4, 0, true);
    view.setInt32(at + Cmsghdr.LEVEL, Protocol.IP, true);
    view.setInt32(at + Cmsghdr.TYPE, IpOption.PKTINFO, true);
    view.setUint32(data + InPktinfo.IFINDEX, 0, true);
    for (let b = 0; b < 4; b++) bytes[data + InPktinfo.SPEC_DST + b] = locals[slot + SockaddrIn.ADDR + b];
    view.setUint32(data + InPktinfo.ADDR, 0, true);
    return cmsgSpace(InPktinfo.SIZE);
  }
  return 0;
}

/** Whether entry i has a local address to leave from. */
export function hasLocal(batch: DatagramBatch, i: number): boolean {
  return batch.localWords[i * WORDS_PER_SLOT] !== 0;
}

/** Drops entry i's local address: it goes out from where the kernel's route says (the address is gone). */
export function clearLocal(batch: DatagramBatch, i: number): void {
  // a loop: a typed array's fill() is a call into V8's C++ runtime, dearer than a few stores
  for (let w = i * WORDS_PER_SLOT, end = w + WORDS_PER_SLOT; w < end; w++) batch.localWords[w] = 0;
}
