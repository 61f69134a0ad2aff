// Small files read in batches through io_uring: every file's bytes in order, across batches,
// and undefined for what the caller must read again its own way (missing, a directory, a file
// that fills its slot).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SMALL_FILE_BYTES, SmallFileReader } from '../../../src/io/uring/small-files.js';

const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-small-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('small files through io_uring', () => {
  const reader = SmallFileReader.open();
  afterAll(() => reader?.close());

  it.runIf(reader)('hands over each file whole and in order, across batches, and leaves the rest to the caller', () => {
    const names: string[] = [];
    const expected: (string | undefined)[] = [];
    for (let i = 0; i < 300; i++) {
      const name = `peer${i}`;
      names.push(name);
      const text = i === 7 ? '' : `key "${i.toString(16).padStart(64, '0')}";\n`;
      writeFileSync(join(dir, name), text);
      expected.push(text);
    }
    writeFileSync(join(dir, 'full'), 'x'.repeat(SMALL_FILE_BYTES));
    writeFileSync(join(dir, 'just-fits'), 'y'.repeat(SMALL_FILE_BYTES - 1));
    mkdirSync(join(dir, 'subdir'));
    names.splice(130, 0, 'missing', 'full', 'subdir', 'just-fits');
    expected.splice(130, 0, undefined, undefined, undefined, 'y'.repeat(SMALL_FILE_BYTES - 1));

    const seen: [number, string | undefined][] = [];
    expect(reader!.readAll(dir, names, (index, bytes) => seen.push([index, bytes && Buffer.from(bytes).toString('utf8')]))).toBe(true);
    expect(seen).toEqual(expected.map((text, index) => [index, text]));
  });

  it.runIf(reader)('reads nothing from a directory that does not open', () => {
    const seen: number[] = [];
    expect(reader!.readAll(join(dir, 'gone'), ['a'], (index) => seen.push(index))).toBe(false);
    expect(seen).toEqual([]);
  });
});
