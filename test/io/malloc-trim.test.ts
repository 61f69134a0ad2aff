// keepMallocTrimmed against glibc: once a large block's free has raised the dynamic thresholds,
// freed memory at the top of an arena stays resident unless the thresholds are fixed.
import koffi from 'koffi';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { keepMallocTrimmed } from '../../src/io/libc.js';

const libc = koffi.load('libc.so.6');
const malloc = libc.func('intptr_t malloc(size_t size)') as (size: number) => number;
const free = libc.func('void free(intptr_t pointer)') as (pointer: number) => void;
const memset = libc.func('intptr_t memset(intptr_t pointer, int value, size_t size)') as (pointer: number, value: number, size: number) => number;

const MIB = 1024 * 1024;
/** Below the default mmap threshold (128 KiB): taken from the arena. */
const BLOCK = 100 * 1024;
const BLOCKS = 40;

function anonymousResidentBytes(): number {
  return Number(/^RssAnon:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
}

/** Resident bytes that freeing BLOCKS touched blocks (the arena's top) gave back. */
function givenBackByFree(): number {
  const blocks = Array.from({ length: BLOCKS }, () => malloc(BLOCK));
  for (const block of blocks) memset(block, 1, BLOCK);
  const before = anonymousResidentBytes();
  for (const block of blocks.reverse()) free(block);
  return before - anonymousResidentBytes();
}

describe('keepMallocTrimmed', () => {
  it("gives a freed arena top back at once, also after a large block's free raised glibc's dynamic thresholds", () => {
    // an mmapped block's free raises the mmap threshold to its size and the trim threshold to twice that
    free(memset(malloc(8 * MIB), 1, 8 * MIB));
    keepMallocTrimmed();
    expect(givenBackByFree()).toBeGreaterThan((BLOCK * BLOCKS) / 2);
  });
});
