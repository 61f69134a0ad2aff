// Address literals as fastd reads them: glibc's inet_pton rules (IPv4 without leading
// zeros, IPv6 where `::` stands for at least one group), inet_ntop's text form, and
// fastd_peer_address_simplify (IPv4-mapped IPv6 becomes plain IPv4).
import { ipv4Value } from '../io/sockaddr.js';

const IPV4_OCTETS = 4;
const IPV6_BYTES = 16;
const IPV6_GROUPS = 8;
const MAX_GROUP_DIGITS = 4;
/** ::ffff:0:0/96, the IPv4-mapped prefix (RFC 4291 2.5.5.2). */
const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** Returns the address when `text` is a dotted quad inet_pton accepts (it is then already canonical). */
export function parseIPv4(text: string): string | undefined {
  return ipv4Value(text) >= 0 ? text : undefined;
}

function parseGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  for (const part of text.split(':')) {
    if (part.length === 0 || part.length > MAX_GROUP_DIGITS || !/^[0-9a-fA-F]+$/.test(part)) return undefined;
    groups.push(parseInt(part, 16));
  }
  return groups;
}

/** Parses an IPv6 address in hex-group form (the only form fastd's scanner lets through). */
export function parseIPv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0]);
  const tail = halves.length === 2 ? parseGroups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const given = head.length + tail.length;
  if (halves.length === 2 ? given >= IPV6_GROUPS : given !== IPV6_GROUPS) return undefined;
  const groups = [...head, ...new Array<number>(IPV6_GROUPS - given).fill(0), ...tail];
  const bytes = new Uint8Array(IPV6_BYTES);
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

function formatIPv4Bytes(bytes: Uint8Array, offset: number): string {
  return Array.from(bytes.subarray(offset, offset + IPV4_OCTETS)).join('.');
}

/** glibc inet_ntop: longest run (≥ 2) of zero groups as `::`, IPv4-compatible/mapped tails dotted. */
export function formatIPv6(bytes: Uint8Array): string {
  const words = Array.from({ length: IPV6_GROUPS }, (_, i) => (bytes[2 * i] << 8) | bytes[2 * i + 1]);
  let bestBase = -1;
  let bestLength = 0;
  for (let i = 0; i < IPV6_GROUPS; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < IPV6_GROUPS && words[end] === 0) end++;
    if (end - i > bestLength) [bestBase, bestLength] = [i, end - i];
    i = end;
  }
  if (bestLength < 2) bestBase = -1;

  let text = '';
  for (let i = 0; i < IPV6_GROUPS; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLength) {
      if (i === bestBase) text += ':';
      continue;
    }
    if (i !== 0) text += ':';
    if (i === 6 && bestBase === 0 && (bestLength === 6 || (bestLength === 5 && words[5] === 0xffff))) {
      return text + formatIPv4Bytes(bytes, 12);
    }
    text += words[i].toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLength === IPV6_GROUPS) text += ':';
  return text;
}

function isIPv4Mapped(bytes: Uint8Array): boolean {
  return V4_MAPPED_PREFIX.every((byte, i) => bytes[i] === byte);
}

/** An address literal after fastd_peer_address_simplify. */
export function simplifyIPv6(bytes: Uint8Array): { family: 'ipv4' | 'ipv6'; address: string } {
  return isIPv4Mapped(bytes)
    ? { family: 'ipv4', address: formatIPv4Bytes(bytes, 12) }
    : { family: 'ipv6', address: formatIPv6(bytes) };
}

/** Where a TCP service of ours listens (`metrics listen`): an address, or '::' for all. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

const MAX_PORT = 65535;

/** `192.0.2.1:9281`, `[2001:db8::1]:9281` or `any:9281`; undefined for anything else. */
export function parseListenAddress(text: string): ListenAddress | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+|any)):([0-9]{1,5})$/.exec(text);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > MAX_PORT) return undefined;
  if (match[1] !== undefined) {
    const bytes = parseIPv6(match[1]);
    return bytes ? { host: formatIPv6(bytes), port } : undefined;
  }
  if (match[2] === 'any') return { host: '::', port };
  const host = parseIPv4(match[2]!);
  return host ? { host, port } : undefined;
}
