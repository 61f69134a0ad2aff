import { describe, expect, it } from 'vitest';
import { StateArena } from '../../src/crypto/state-arena.js';

const PAGE = 65_536;

describe('StateArena', () => {
  it('hands out aligned, disjoint regions in pages it added to the memory', () => {
    const memory = new WebAssembly.Memory({ initial: 3, maximum: 64, shared: true });
    const arena = StateArena.of(memory);
    expect(StateArena.of(memory)).toBe(arena);
    const regions: [number, number][] = [];
    for (const [size, align] of [[10, 16], [100, 64], [8192, 16], [3, 4], [70_000, 16], [1, 1]] as const) {
      const at = arena.alloc(size, align);
      expect(at % align).toBe(0);
      expect(at).toBeGreaterThanOrEqual(3 * PAGE); // never inside the memory's original pages
      expect(at + size).toBeLessThanOrEqual(memory.buffer.byteLength);
      regions.push([at, at + size]);
    }
    for (const [a, b] of regions)
      for (const [c, d] of regions) if (a !== c) expect(b <= c || d <= a).toBe(true);
  });

  it('zeroes freed regions and reuses them', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 64, shared: true });
    const arena = StateArena.of(memory);
    const a = arena.alloc(256);
    const b = arena.alloc(256);
    new Uint8Array(memory.buffer).fill(0xab, a, a + 256);
    arena.free(a);
    expect(new Uint8Array(memory.buffer, a, 256).every((x) => x === 0)).toBe(true);
    const pages = memory.buffer.byteLength / PAGE;
    arena.free(b);
    // the merged free space serves a bigger request without growing
    expect(arena.alloc(512)).toBe(a);
    expect(memory.buffer.byteLength / PAGE).toBe(pages);
    expect(() => arena.free(a + 1)).toThrow(/not allocated/);
  });

  it('takes its regions from the memory owner’s source when one is registered', () => {
    const memory = new WebAssembly.Memory({ initial: 8, maximum: 8, shared: true });
    const given: number[] = [];
    StateArena.provideRegions(memory, (bytes) => {
      given.push(bytes);
      return given.length === 1 ? 4 * PAGE : -1;
    });
    const at = StateArena.of(memory).alloc(100, 64);
    expect(at).toBe(4 * PAGE);
    expect(given).toEqual([PAGE]);
    expect(() => StateArena.of(memory).alloc(PAGE)).toThrow(/no room left/);
  });

  it('fails with a clear error when the memory cannot grow', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
    const arena = StateArena.of(memory);
    arena.alloc(PAGE);
    expect(() => arena.alloc(PAGE)).toThrow(/no room left/);
    expect(() => arena.alloc(0)).toThrow(RangeError);
    expect(() => arena.alloc(16, 3)).toThrow(RangeError);
  });
});
