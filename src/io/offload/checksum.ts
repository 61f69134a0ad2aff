// The Internet checksum (RFC 1071) over packet memory: a 16-bit ones-complement sum of
// big-endian words, plus the TCP/UDP pseudo headers of IPv4 (RFC 9293 3.1) and IPv6
// (RFC 8200 8.1). Sums are kept "unfolded" (plain integers) until the end, so they can be
// added together; a chunked fold keeps them small integers for V8.
import { IPV4_ADDRESS_BYTES, IPV6_ADDRESS_BYTES, Ipv4, Ipv6 } from './headers.js';

// Bytes at even and odd positions are summed apart (high and low halves of the words),
// eight bytes per step; after each chunk of CHUNK_BYTES the sum is folded, which keeps
// every intermediate below 2^31 (16384 * 255 * 256 + ...).
const CHUNK_BYTES = 32768;
/**
 * A range this long or longer is summed four bytes per load: as little-endian 32-bit words,
 * whose ones-complement sum folded to 16 bits is the big-endian 16-bit one with its bytes
 * swapped (RFC 1071 2(B)). A byte at a time a TCP segment's 1,400 bytes cost ~1.2-2.5 µs on
 * this machine, ~2× this, the datapath's costliest JS when it coalesces flows for its TAP.
 */
const WORDS_MIN_BYTES = 64;
const TWO_TO_32 = 2 ** 32;
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
const NO_WORDS: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
/** The 32-bit view of the last memory summed (a new view only when the memory is another, or grew). */
let wordsOf: Uint8Array | undefined;
let words = NO_WORDS;

function wordsView(bytes: Uint8Array): Uint32Array<ArrayBufferLike> {
  if (bytes !== wordsOf) {
    wordsOf = bytes;
    words = LITTLE_ENDIAN && (bytes.byteOffset & 3) === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2) : NO_WORDS;
  }
  return words;
}

/** Adds bytes[start, end) as big-endian 16-bit words (an odd last byte padded with zero) to `sum`. */
export type RangeSum = (bytes: Uint8Array, start: number, end: number, sum: number) => number;

/** A RangeSum over any bytes (packet-sum.ts has a faster one over the packet memory). */
export function sumWords(bytes: Uint8Array, start: number, end: number, sum: number): number {
  if ((start & 1) !== 0 || end - start < WORDS_MIN_BYTES) return sumBytes(bytes, start, end, sum);
  const view = wordsView(bytes);
  if (view.length === 0) return sumBytes(bytes, start, end, sum);
  let i = start;
  if ((i & 2) !== 0) {
    sum += (bytes[i] << 8) | bytes[i + 1];
    i += 2;
  }
  let w = i >>> 2;
  const wordsEnd = end >>> 2;
  // exact in a double: 16,384 words of a 64 KiB range sum below 2^46
  let total = 0;
  for (; w + 4 <= wordsEnd; w += 4) total += view[w] + view[w + 1] + view[w + 2] + view[w + 3];
  for (; w < wordsEnd; w++) total += view[w];
  const carries = Math.floor(total / TWO_TO_32);
  const swapped = fold(total - carries * TWO_TO_32 + carries);
  sum = foldOnce(sum) + (((swapped & 0xff) << 8) | (swapped >>> 8));
  return sumBytes(bytes, w << 2, end, sum);
}

// sumWords a byte at a time.
function sumBytes(bytes: Uint8Array, start: number, end: number, sum: number): number {
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
export function pseudoHeaderSum(bytes: Uint8Array, ip: number, version: number, protocol: number, length: number, rangeSum: RangeSum = sumWords): number {
  if (version === 4) {
    const sum = rangeSum(bytes, ip + Ipv4.SOURCE, ip + Ipv4.SOURCE + 2 * IPV4_ADDRESS_BYTES, 0);
    return sum + protocol + length;
  }
  const sum = rangeSum(bytes, ip + Ipv6.SOURCE, ip + Ipv6.SOURCE + 2 * IPV6_ADDRESS_BYTES, 0);
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
