// Reading and writing the virtio_net_hdr in front of each frame of a TUN/TAP opened with
// IFF_VNET_HDR (layout: VirtioNetHdr in ../linux-abi.ts; semantics: the kernel's
// virtio_net_hdr_to_skb / virtio_net_hdr_from_skb). Its 16-bit fields are little-endian.
import { VirtioNetHdr } from '../linux-abi.js';
import { VirtioFlag, VirtioGso } from './headers.js';

export function headerU16(bytes: Uint8Array, header: number, field: number): number {
  return bytes[header + field] | (bytes[header + field + 1] << 8);
}

function setHeaderU16(bytes: Uint8Array, header: number, field: number, value: number): void {
  bytes[header + field] = value & 0xff;
  bytes[header + field + 1] = value >>> 8;
}

/** A header that says: a complete frame, no segmentation, no checksum left to do. */
export function writePlainHeader(bytes: Uint8Array, header: number): void {
  bytes.fill(0, header, header + VirtioNetHdr.SIZE);
}

/**
 * A header for a TCP super-frame the kernel is to treat as `gsoSize`-byte segments: the
 * TCP checksum field holds the pseudo-header sum and the rest is left to the kernel.
 */
export function writeTcpGsoHeader(bytes: Uint8Array, header: number, version: number, headerLength: number, gsoSize: number, tcpStart: number, checksumField: number): void {
  writePlainHeader(bytes, header);
  bytes[header + VirtioNetHdr.FLAGS] = VirtioFlag.NEEDS_CSUM;
  bytes[header + VirtioNetHdr.GSO_TYPE] = version === 4 ? VirtioGso.TCPV4 : VirtioGso.TCPV6;
  setHeaderU16(bytes, header, VirtioNetHdr.HDR_LEN, headerLength);
  setHeaderU16(bytes, header, VirtioNetHdr.GSO_SIZE, gsoSize);
  setHeaderU16(bytes, header, VirtioNetHdr.CSUM_START, tcpStart);
  setHeaderU16(bytes, header, VirtioNetHdr.CSUM_OFFSET, checksumField);
}
