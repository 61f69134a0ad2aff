// The Internet checksum (RFC 1071) over packet memory: a 16-bit ones-complement sum of
// big-endian words, plus the TCP/UDP pseudo headers of IPv4 (RFC 9293 3.1) and IPv6
// (RFC 8200 8.1). Sums are kept "unfolded" (plain integers) until the end, so they can be
// added together; a chunked fold keeps them small integers for V8.
import { IPV4_ADDRESS_BYTES, IPV6_ADDRESS_BYTES, Ipv4, Ipv6 } from './headers.js';

// Bytes at even and odd positions are summed apart (high and low halves of the words),
// eight bytes per step; after each chunk of CHUNK_BYTES the sum is folded, which keeps
// every intermediate below 2^31 (16384 * 255 * 256 + ...).
const CHUNK_BYTES = 32768;

/** Adds bytes[start, end) as big-endian 16-bit words (an odd last byte padded with zero) to `sum`. */
export function sumWords(bytes: Uint8Array, start: number, end: number, sum: number): number {
  let i = start;
  const evenEnd = start + ((end - start) & ~1);
  while (i < evenEnd) {
    const chunkEnd = Math.min(evenEnd, i + CHUNK_BYTES);
    let high = 0;
    let low = 0;
    for (; i + 8 <= chunkEnd; i += 8) {
      high += bytes[i] + bytes[i + 2] + bytes[i + 4] + bytes[i + 6];
      low += bytes[i + 1] + bytes[i + 3] + bytes[i + 5] + bytes[i + 7];
    }
    for (; i < chunkEnd; i += 2) {
      high += bytes[i];
      low += bytes[i + 1];
    }
    sum = foldOnce(foldOnce(sum) + high * 256 + low);
  }
  if (i < end) sum += bytes[i] << 8;
  return sum;
}

function foldOnce(sum: number): number {
  return (sum & 0xffff) + Math.floor(sum / 0x10000);
}

/** Folds a sum into 16 bits (not complemented: what a partial checksum field holds). */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = foldOnce(sum);
  return sum;
}

/** The checksum field value: the complement of the folded sum. */
export function finish(sum: number): number {
  return ~fold(sum) & 0xffff;
}

/** A sum over data that includes its own checksum field is all ones exactly when the checksum is right. */
export function isValidSum(sum: number): boolean {
  return fold(sum) === 0xffff;
}

/**
 * The pseudo header of a transport segment of `length` bytes in the IP packet at `ip`
 * (version 4 or 6), unfolded.
 */
export function pseudoHeaderSum(bytes: Uint8Array, ip: number, version: number, protocol: number, length: number): number {
  if (version === 4) {
    const sum = sumWords(bytes, ip + Ipv4.SOURCE, ip + Ipv4.SOURCE + 2 * IPV4_ADDRESS_BYTES, 0);
    return sum + protocol + length;
  }
  const sum = sumWords(bytes, ip + Ipv6.SOURCE, ip + Ipv6.SOURCE + 2 * IPV6_ADDRESS_BYTES, 0);
  return sum + protocol + (length >>> 16) + (length & 0xffff);
}

/** Recomputes the IPv4 header checksum of the header at `ip` (`headerLength` bytes). */
export function setIpv4HeaderChecksum(bytes: Uint8Array, ip: number, headerLength: number): void {
  bytes[ip + Ipv4.CHECKSUM] = 0;
  bytes[ip + Ipv4.CHECKSUM + 1] = 0;
  const value = finish(sumWords(bytes, ip, ip + headerLength, 0));
  bytes[ip + Ipv4.CHECKSUM] = value >>> 8;
  bytes[ip + Ipv4.CHECKSUM + 1] = value & 0xff;
}
