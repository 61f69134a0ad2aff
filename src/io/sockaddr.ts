// Socket addresses in the kernel's own layout (sockaddr_in / sockaddr_in6), kept in arrays
// of fixed-size slots so that a batch of datagrams carries its peers' addresses in one
// typed array the kernel reads and writes directly. Converting to and from text happens
// on the control plane only.
import { isIPv6 } from 'node:net';
import { AddressFamily, SOCKADDR_SLOT, SockaddrIn, SockaddrIn6 } from './linux-abi.js';

export interface SocketAddress {
  /** Dotted IPv4 or RFC 5952 IPv6 text. */
  readonly address: string;
  readonly port: number;
  /** IPv6 zone (interface index) for link-local addresses; 0 otherwise. */
  readonly scopeId?: number;
}

/** sizeof the sockaddr stored in a slot, from its family (0 for an empty slot). */
export function sockaddrLength(slots: Uint8Array, index: number): number {
  const family = slots[index * SOCKADDR_SLOT] | (slots[index * SOCKADDR_SLOT + 1] << 8);
  if (family === AddressFamily.INET) return SockaddrIn.SIZE;
  if (family === AddressFamily.INET6) return SockaddrIn6.SIZE;
  return 0;
}

/** Writes `addr` into slot `index`; throws on text that is not an IP address. */
export function writeSockaddr(slots: Uint8Array, index: number, addr: SocketAddress): void {
  const at = index * SOCKADDR_SLOT;
  slots.fill(0, at, at + SOCKADDR_SLOT);
  if (!Number.isInteger(addr.port) || addr.port < 0 || addr.port > 0xffff) {
    throw new RangeError(`invalid port ${addr.port}`);
  }
  slots[at + SockaddrIn.PORT] = addr.port >> 8;
  slots[at + SockaddrIn.PORT + 1] = addr.port & 0xff;
  const ipv4 = ipv4Value(addr.address);
  if (ipv4 >= 0) {
    slots[at + SockaddrIn.FAMILY] = AddressFamily.INET;
    slots[at + SockaddrIn.ADDR] = ipv4 >>> 24;
    slots[at + SockaddrIn.ADDR + 1] = (ipv4 >>> 16) & 0xff;
    slots[at + SockaddrIn.ADDR + 2] = (ipv4 >>> 8) & 0xff;
    slots[at + SockaddrIn.ADDR + 3] = ipv4 & 0xff;
  } else if (isIPv6(addr.address)) {
    slots[at + SockaddrIn6.FAMILY] = AddressFamily.INET6;
    parseIpv6(addr.address, slots, at + SockaddrIn6.ADDR);
    new DataView(slots.buffer, slots.byteOffset).setUint32(at + SockaddrIn6.SCOPE_ID, addr.scopeId ?? 0, true);
  } else {
    throw new TypeError(`not an IP address: ${addr.address}`);
  }
}

/** Reads slot `index` back as text; null for an empty or unknown-family slot. */
export function readSockaddr(slots: Uint8Array, index: number): SocketAddress | null {
  const at = index * SOCKADDR_SLOT;
  const port = (slots[at + SockaddrIn.PORT] << 8) | slots[at + SockaddrIn.PORT + 1];
  switch (sockaddrLength(slots, index)) {
    case SockaddrIn.SIZE:
      return { address: `${slots[at + SockaddrIn.ADDR]}.${slots[at + SockaddrIn.ADDR + 1]}.${slots[at + SockaddrIn.ADDR + 2]}.${slots[at + SockaddrIn.ADDR + 3]}`, port };
    case SockaddrIn6.SIZE: {
      const scopeId = new DataView(slots.buffer, slots.byteOffset).getUint32(at + SockaddrIn6.SCOPE_ID, true);
      return { address: formatIpv6(slots, at + SockaddrIn6.ADDR), port, scopeId };
    }
    default:
      return null;
  }
}

/** Whether two slots hold the same address (compared as whole slots, 8 words each). */
export function sameSockaddr(words: Uint32Array, a: number, b: number): boolean {
  const wordsPerSlot = SOCKADDR_SLOT / 4;
  let i = a * wordsPerSlot;
  let j = b * wordsPerSlot;
  for (const end = i + wordsPerSlot; i < end; i++, j++) {
    if (words[i] !== words[j]) return false;
  }
  return true;
}

const DIGIT_0 = 0x30;
const DOT = 0x2e;

/**
 * Dotted IPv4 text as node:net's isIPv4 and inet_pton accept it (four decimal numbers up to 255,
 * no leading zeros) as an unsigned 32-bit number; -1 for anything else. Parsed by hand: every
 * handshake the control plane sends converts its address, and split() and a regular expression
 * cost more than the send. The config's address literals are judged by it too.
 */
export function ipv4Value(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === DOT) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      continue;
    }
    const digit = code - DIGIT_0;
    if (digit < 0 || digit > 9 || (digits === 1 && part === 0) || digits === 3) return -1;
    part = part * 10 + digit;
    digits++;
    if (part > 255) return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

// Only called on text node:net accepted as IPv6, so the shape is known to be valid.
function parseIpv6(text: string, out: Uint8Array, at: number): void {
  const groups: number[] = [];
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const toGroups = (part: string): number[] => {
    if (part === '') return [];
    const result: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const v4 = piece.split('.').map(Number);
        result.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        result.push(parseInt(piece, 16));
      }
    }
    return result;
  };
  const front = toGroups(head);
  const back = tail === undefined ? [] : toGroups(tail);
  groups.push(...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back);
  for (let i = 0; i < 8; i++) {
    out[at + 2 * i] = groups[i] >> 8;
    out[at + 2 * i + 1] = groups[i] & 0xff;
  }
}

// RFC 5952: lowercase, no leading zeros, the longest (first) run of two or more zero groups as "::".
function formatIpv6(bytes: Uint8Array, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[at + 2 * i] << 8) | bytes[at + 2 * i + 1]);
  // IPv4-mapped addresses (what a dual-stack socket reports for IPv4 peers) keep the dotted tail.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes.subarray(at + 12, at + 16).join('.')}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
