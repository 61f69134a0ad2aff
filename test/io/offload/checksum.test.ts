// The module's Internet checksum against the test's own RFC 1071 implementation, over
// random data at odd and even offsets and lengths and in views at any offset of their memory
// (the module sums bytes in an unrolled, split way, and long ranges four bytes per load,
// which this proves equal to the word-by-word definition).
import { describe, expect, it } from 'vitest';
import { finish, pseudoHeaderSum, sumWords } from '../../../src/io/offload/checksum.js';
import { pattern, referenceChecksum } from './frames.js';

describe('Internet checksum', () => {
  const data = pattern(70_000, 42);
  it.each([
    [0, 0],
    [0, 1],
    [1, 2],
    [3, 17],
    [0, 1500],
    [7, 40_001],
    [1, 65_536],
    [2, 70_000],
  ])('bytes [%d, %d) sum as RFC 1071 says', (start, end) => {
    expect(finish(sumWords(data, start, end, 0))).toBe(referenceChecksum(data.subarray(start, end)));
  });

  it.each([0, 1, 2, 4])('a view at byte offset %d of its memory sums as RFC 1071 says, a word or four bytes at a time', (offset) => {
    const view = data.subarray(offset, 20_000);
    for (const [start, end] of [[2, 1454], [34, 1486], [0, 63], [0, 64], [6, 71], [4, 19_000 - offset]] as const) {
      expect(finish(sumWords(view, start, end, 0x1234))).toBe(finish(0x1234 + (0xffff - referenceChecksum(view.subarray(start, end)))));
    }
  });

  it('sums add up: a sum continued over two parts (even split) is the sum of the whole', () => {
    expect(finish(sumWords(data, 1000, 60_000, sumWords(data, 10, 1000, 0)))).toBe(referenceChecksum(data.subarray(10, 60_000)));
  });

  it('all ones stay all ones (0xffff words never fold to zero by themselves)', () => {
    const ones = new Uint8Array(65_536).fill(0xff);
    expect(finish(sumWords(ones, 0, ones.length, 0))).toBe(referenceChecksum(ones));
  });

  it('IPv4 and IPv6 pseudo headers', () => {
    const v4 = Uint8Array.from([0x45, 0, 0, 0, 0, 0, 0, 0, 64, 6, 0, 0, 192, 0, 2, 1, 198, 51, 100, 7]);
    const v6 = new Uint8Array(40);
    v6[0] = 0x60;
    v6.set(pattern(32, 1), 8);
    const v4Pseudo = Uint8Array.from([192, 0, 2, 1, 198, 51, 100, 7, 0, 6, 0x05, 0xdc]);
    const v6Pseudo = Uint8Array.from([...v6.subarray(8, 40), 0, 1, 0x00, 0x10, 0, 0, 0, 6]);
    expect(finish(pseudoHeaderSum(v4, 0, 4, 6, 1500))).toBe(referenceChecksum(v4Pseudo));
    expect(finish(pseudoHeaderSum(v6, 0, 6, 6, 0x10010))).toBe(referenceChecksum(v6Pseudo));
  });
});
