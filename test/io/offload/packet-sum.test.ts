// The WebAssembly checksum sum against checksum.ts's sumWords and the test's own RFC 1071
// implementation: ranges at odd and even offsets, shorter than a vector and across the
// kernel's 32 KiB chunks, continued sums, and words that are all ones.
import { describe, expect, it } from 'vitest';
import { finish, sumWords } from '../../../src/io/offload/checksum.js';
import { packetSum } from '../../../src/io/offload/packet-sum.js';
import { sharedMemory } from '../../helpers/packet-memory.js';
import { pattern, referenceChecksum } from './frames.js';

describe('packet memory checksum sum (WebAssembly)', () => {
  const memory = sharedMemory(2);
  const bytes = new Uint8Array(memory.buffer);
  const sum = packetSum(memory);

  it('every range of a random region sums as RFC 1071 says, for each start and length up to 80 bytes', () => {
    bytes.set(pattern(200, 7), 1000);
    for (let start = 1000; start < 1020; start++) {
      for (let length = 0; length <= 80; length++) {
        expect(finish(sum(bytes, start, start + length, 0))).toBe(referenceChecksum(bytes.subarray(start, start + length)));
      }
    }
  });

  it.each([
    [0, 1500],
    [34, 1486],
    [3, 40_001],
    [1, 65_536],
    [2, 100_000],
  ])('bytes [%d, %d) sum as sumWords does, continued from another sum', (start, end) => {
    bytes.set(pattern(110_000, 42), 0);
    expect(finish(sum(bytes, start, end, 0))).toBe(referenceChecksum(bytes.subarray(start, end)));
    expect(finish(sum(bytes, start, end, 0x1_2345))).toBe(finish(sumWords(bytes, start, end, 0x1_2345)));
  });

  it('all ones stay all ones across chunks (0xffff words never fold to zero by themselves)', () => {
    bytes.fill(0xff, 0, 70_000);
    expect(finish(sum(bytes, 0, 70_000, 0))).toBe(referenceChecksum(bytes.subarray(0, 70_000)));
    expect(sum(bytes, 0, 70_000, 0)).toBe(0xffff);
  });
});
