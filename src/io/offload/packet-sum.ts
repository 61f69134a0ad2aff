// The Internet checksum's sum over packet memory through a WebAssembly kernel
// (packet-sum.wat, sixteen bytes per load). TCP coalescing checks every segment that joins a
// super-frame; in JavaScript (checksum.ts, four bytes per load) that check was ~4 % of the
// supernode's CPU in its flows (perf), the costliest JS function on the way to the TAP.
import { kernelLoader } from '../../crypto/wasm-kernel.js';
import type { RangeSum } from './checksum.js';

const load = kernelLoader<{ sum: (start: number, end: number) => number }>('packet-sum');

/** checksum.ts's sumWords for `memory`'s bytes (the `bytes` argument must be a view of all of it, from offset 0). */
export function packetSum(memory: WebAssembly.Memory): RangeSum {
  const kernel = load(memory).sum;
  return (_bytes, start, end, sum) => sum + kernel(start, end);
}
