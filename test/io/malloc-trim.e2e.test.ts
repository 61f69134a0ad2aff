// keepMallocTrimmed against glibc: once a large block's free has raised the dynamic thresholds,
// blocks of a few hundred KiB come from an arena, where a free gives them back only if they are
// its top (and the top is past the raised trim threshold); with the thresholds fixed they are
// mmapped and unmapped at free, wherever the arena's other chunks lie. Blocks freed at an arena's
// top are not what is measured: any small allocation above them (node's own, between two of our
// calls) keeps the top in use. Each measurement runs in a fresh node, as a mallopt is for good.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../cli/run-cli.js';

/** Above the default mmap threshold (128 KiB), below the 8 MiB a large block's free raises it to. */
const BLOCK = 200 * 1024;
const BLOCKS = 40;

/** Resident bytes that freeing BLOCKS touched blocks gave back, in a fresh process. */
function givenBackByFree(fixThresholds: boolean): number {
  const script = `
    import koffi from 'koffi';
    import { readFileSync } from 'node:fs';
    import { keepMallocTrimmed } from '${ROOT}dist/io/libc.js';
    const libc = koffi.load('libc.so.6');
    const malloc = libc.func('intptr_t malloc(size_t size)');
    const free = libc.func('void free(intptr_t pointer)');
    const memset = libc.func('intptr_t memset(intptr_t pointer, int value, size_t size)');
    const anonymousResident = () => Number(/^RssAnon:\\s+(\\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
    // an mmapped block's free raises the mmap threshold to its size and the trim threshold to twice that
    free(memset(malloc(8 << 20), 1, 8 << 20));
    if (${fixThresholds}) keepMallocTrimmed();
    const blocks = Array.from({ length: ${BLOCKS} }, () => malloc(${BLOCK}));
    for (const block of blocks) memset(block, 1, ${BLOCK});
    const before = anonymousResident();
    for (const block of blocks.reverse()) free(block);
    process.stdout.write(String(before - anonymousResident()));
  `;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' }));
}

describe('keepMallocTrimmed', () => {
  it("gives freed blocks of 128 KiB or more back at once, also after a large block's free raised glibc's dynamic thresholds", () => {
    expect(givenBackByFree(true)).toBeGreaterThan((BLOCK * BLOCKS) / 2);
  });

  it('is needed: with the thresholds left dynamic the same free gives nothing back', () => {
    expect(givenBackByFree(false)).toBeLessThan((BLOCK * BLOCKS) / 2);
  });
});
