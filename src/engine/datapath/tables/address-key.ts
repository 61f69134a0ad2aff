// Numeric keys for socket addresses as the kernel writes them into a batch's address slots
// (sockaddr_in / sockaddr_in6), so that finding a peer by its address costs a Map lookup on
// a number and a few word compares, never a string or an object per packet.
//
// IPv4: the key IS the address and port (address * 2^16 + port, below 2^48), so equal keys
// mean equal endpoints. IPv6: 2^48 + a 32-bit hash of address, port and scope; equal keys
// must be confirmed with sameEndpoint. The port is used in the kernel's byte order: only
// equality matters.
import { AddressFamily, SOCKADDR_SLOT, SockaddrIn6 } from '../../../io/linux-abi.js';

const WORDS_PER_SLOT = SOCKADDR_SLOT / 4;
const V6_KEY_BASE = 2 ** 48;
const PORT_SPACE = 65536;
/** sockaddr_in6 words: the address is words 2-5, the scope id word 6 (word 1 is the flow label, not part of the endpoint). */
const V6_ADDRESS_WORD = SockaddrIn6.ADDR / 4;
const V6_SCOPE_WORD = SockaddrIn6.SCOPE_ID / 4;
/** -1: the slot holds no address we know. */
export const NO_KEY = -1;

function familyOf(words: Uint32Array, slot: number): number {
  return words[slot * WORDS_PER_SLOT] & 0xffff;
}

function portOf(words: Uint32Array, slot: number): number {
  return words[slot * WORDS_PER_SLOT] >>> 16;
}

// FNV-1a over 32-bit words: spreads the few words well enough for a hash table.
function hashWords(words: Uint32Array, from: number, to: number, seed: number): number {
  let hash = seed;
  for (let i = from; i < to; i++) hash = Math.imul(hash ^ words[i], 0x01000193);
  return hash >>> 0;
}

/** Key of the endpoint (address and port) in slot `slot`. */
export function endpointKey(words: Uint32Array, slot: number): number {
  const base = slot * WORDS_PER_SLOT;
  const family = familyOf(words, slot);
  if (family === AddressFamily.INET) return words[base + 1] * PORT_SPACE + portOf(words, slot);
  if (family === AddressFamily.INET6) return V6_KEY_BASE + hashWords(words, base + V6_ADDRESS_WORD, base + V6_SCOPE_WORD + 1, 0x811c9dc5 ^ portOf(words, slot));
  return NO_KEY;
}

/** Third word of a v4-mapped IPv6 address (::ffff:0:0/96), as the little-endian words read it. */
const V4_MAPPED_WORD = 0xffff0000;
const V6_SOURCE_KEY_BASE = 2 ** 32;

/**
 * Key of the sender's address without its port, for rate limits that count senders: an IPv4
 * address (also v4-mapped on a dual-stack socket) is its own key, below 2^32; an IPv6 address
 * counts by its /64, as the kernel's WireGuard limits it (a host is given a whole /64, so any
 * finer key would let one host be thousands of senders), 2^32 + a 32-bit hash of the prefix.
 */
export function sourceKey(words: Uint32Array, slot: number): number {
  const base = slot * WORDS_PER_SLOT;
  const family = familyOf(words, slot);
  if (family === AddressFamily.INET) return words[base + 1];
  if (family !== AddressFamily.INET6) return NO_KEY;
  const prefix = base + V6_ADDRESS_WORD;
  if (words[prefix] === 0 && words[prefix + 1] === 0 && words[prefix + 2] === V4_MAPPED_WORD) return words[prefix + 3];
  return V6_SOURCE_KEY_BASE + hashWords(words, prefix, prefix + 2, 0x811c9dc5);
}

/** Whether slot a of `x` and slot b of `y` hold the same endpoint (family, port, address, scope). */
export function sameEndpoint(x: Uint32Array, a: number, y: Uint32Array, b: number): boolean {
  const i = a * WORDS_PER_SLOT;
  const j = b * WORDS_PER_SLOT;
  if (x[i] !== y[j]) return false;
  const family = x[i] & 0xffff;
  if (family === AddressFamily.INET) return x[i + 1] === y[j + 1];
  if (family !== AddressFamily.INET6) return false;
  for (let w = V6_ADDRESS_WORD; w <= V6_SCOPE_WORD; w++) if (x[i + w] !== y[j + w]) return false;
  return true;
}

/** Copies slot `from` of `source` into slot `to` of `target`. */
export function copySlot(source: Uint32Array, from: number, target: Uint32Array, to: number): void {
  const i = from * WORDS_PER_SLOT;
  const j = to * WORDS_PER_SLOT;
  for (let w = 0; w < WORDS_PER_SLOT; w++) target[j + w] = source[i + w];
}

/** Whether slot a of `x` and slot b of `y` are equal word for word (both empty counts as equal). */
export function sameSlot(x: Uint32Array, a: number, y: Uint32Array, b: number): boolean {
  const i = a * WORDS_PER_SLOT;
  const j = b * WORDS_PER_SLOT;
  for (let w = 0; w < WORDS_PER_SLOT; w++) if (x[i + w] !== y[j + w]) return false;
  return true;
}
