// Minimal IPv4/UDP and Ethernet framing for the TUN/TAP tests (RFC 791, RFC 768).
const IPV4_HEADER = 20;
const UDP_HEADER = 8;
export const ETHERNET_HEADER = 14;
export const ETHERTYPE_IPV4 = 0x0800;

function ipv4Bytes(text: string): number[] {
  return text.split('.').map(Number);
}

function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

/** An IPv4 packet carrying one UDP datagram (UDP checksum 0: allowed over IPv4). */
export function ipv4Udp(src: string, dst: string, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const packet = new Uint8Array(IPV4_HEADER + UDP_HEADER + payload.length);
  const view = new DataView(packet.buffer);
  packet[0] = 0x45;
  view.setUint16(2, packet.length);
  packet[8] = 64;
  packet[9] = 17;
  packet.set(ipv4Bytes(src), 12);
  packet.set(ipv4Bytes(dst), 16);
  view.setUint16(10, checksum(packet.subarray(0, IPV4_HEADER)));
  view.setUint16(20, srcPort);
  view.setUint16(22, dstPort);
  view.setUint16(24, UDP_HEADER + payload.length);
  packet.set(payload, IPV4_HEADER + UDP_HEADER);
  return packet;
}

export interface ParsedUdp {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** Parses an IPv4/UDP packet; null for anything else (IPv6 noise, ICMP, ...). */
export function parseIpv4Udp(packet: Uint8Array): ParsedUdp | null {
  if (packet.length < IPV4_HEADER + UDP_HEADER || packet[0] >> 4 !== 4 || packet[9] !== 17) return null;
  const headerLength = (packet[0] & 0x0f) * 4;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const total = view.getUint16(2);
  return {
    src: packet.subarray(12, 16).join('.'),
    dst: packet.subarray(16, 20).join('.'),
    srcPort: view.getUint16(headerLength),
    dstPort: view.getUint16(headerLength + 2),
    payload: packet.slice(headerLength + UDP_HEADER, total),
  };
}

export function macBytes(text: string): number[] {
  return text.split(':').map((h) => parseInt(h, 16));
}

/** An Ethernet II frame around an IPv4 packet. */
export function ethernetIpv4(dstMac: string, srcMac: string, packet: Uint8Array): Uint8Array {
  const frame = new Uint8Array(ETHERNET_HEADER + packet.length);
  frame.set(macBytes(dstMac), 0);
  frame.set(macBytes(srcMac), 6);
  frame[12] = ETHERTYPE_IPV4 >> 8;
  frame[13] = ETHERTYPE_IPV4 & 0xff;
  frame.set(packet, ETHERNET_HEADER);
  return frame;
}
