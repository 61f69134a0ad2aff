// Reading configuration files. fastd changes into a file's directory while parsing it, so
// relative paths in a file (includes, peer dirs) and its hooks' working directory refer to
// that directory, with symbolic links resolved as getcwd reports them.
import { closeSync, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, describeSystemError, type SourceLocation } from './errors.js';

/** fastd's MAX_CONFIG_DEPTH: how many files may be open in one chain of includes. */
export const MAX_INCLUDE_DEPTH = 10;
/** Larger files are refused instead of being read into memory (fastd has no limit). */
export const MAX_CONFIG_FILE_BYTES = 8 * 1024 * 1024;
const STDIN_NAME = '<stdin>';

export interface ConfigSource {
  /** The name as given (used in messages, like fastd). */
  readonly name: string;
  /** Physical directory relative paths inside the file are resolved against. */
  readonly dir: string;
  readonly bytes: Uint8Array;
}

function tooLarge(name: string, where: SourceLocation | undefined): ConfigError {
  return new ConfigError(`config file \`${name}' is larger than ${MAX_CONFIG_FILE_BYTES} bytes`, where);
}

/** How much a read asks for when the size is not known beforehand (stdin, a pipe). */
const READ_CHUNK_BYTES = 64 * 1024;

/**
 * Reads to the end. `expected` (a regular file's size) sizes the first buffer, so that a small
 * file costs one small buffer: a peer directory reads 50,000 of them at start-up.
 */
function readLimited(fd: number, name: string, where: SourceLocation | undefined, expected = READ_CHUNK_BYTES): Uint8Array {
  const chunks: Buffer[] = [];
  let total = 0;
  let chunk = Buffer.allocUnsafe(expected + 1);
  let filled = 0;
  for (;;) {
    const length = readSync(fd, chunk, filled, chunk.length - filled, null);
    if (length === 0) break;
    filled += length;
    total += length;
    if (total > MAX_CONFIG_FILE_BYTES) throw tooLarge(name, where);
    if (filled === chunk.length) {
      chunks.push(chunk);
      chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
      filled = 0;
    }
  }
  if (chunks.length === 0) return chunk.subarray(0, filled);
  chunks.push(chunk.subarray(0, filled));
  return Buffer.concat(chunks, total);
}

/** The bytes of the file at `path`, named `name` in messages; every failure is a ConfigError. */
export function readConfigBytes(path: string, name: string, where?: SourceLocation): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new ConfigError(`can't open config file \`${name}': ${describeSystemError(error)}`, where);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new ConfigError(`can't read config file \`${name}': it is a directory`, where);
    if (stat.isFile() && stat.size > MAX_CONFIG_FILE_BYTES) throw tooLarge(name, where);
    return readLimited(fd, name, where, stat.isFile() ? stat.size : READ_CHUNK_BYTES);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`can't read config file \`${name}': ${describeSystemError(error)}`, where);
  } finally {
    closeSync(fd);
  }
}

/** Where readSmallFile reads: the caller parses each file before the next is read. */
const smallFileBuffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);

/**
 * The bytes of the file at `path` if it opens, reads and is smaller than 64 KiB, in a buffer the
 * next call overwrites; otherwise undefined, and readConfigBytes reads it (and names the failure).
 * Spares a peer directory's 50,000 files the fstat and a buffer each.
 */
export function readSmallFile(path: string): Uint8Array | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    let filled = 0;
    for (;;) {
      const length = readSync(fd, smallFileBuffer, filled, smallFileBuffer.length - filled, null);
      if (length === 0) return smallFileBuffer.subarray(0, filled);
      filled += length;
      if (filled === smallFileBuffer.length) return undefined;
    }
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads `name` (relative to `baseDir`). `where` is the include statement that asked for it;
 * every failure is a ConfigError.
 */
export function readConfigSource(name: string, baseDir: string, where?: SourceLocation): ConfigSource {
  const path = resolve(baseDir, name);
  const bytes = readConfigBytes(path, name, where);
  try {
    return { name, dir: realpathSync(dirname(path)), bytes };
  } catch (error) {
    throw new ConfigError(`can't read config file \`${name}': ${describeSystemError(error)}`, where);
  }
}

/** Configuration text given on stdin (`-c -`): relative paths refer to the working directory. */
export function stdinSource(text: string | Uint8Array, cwd: string): ConfigSource {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  if (bytes.length > MAX_CONFIG_FILE_BYTES) throw tooLarge(STDIN_NAME, undefined);
  return { name: STDIN_NAME, dir: cwd, bytes };
}

/** Reads all of stdin with the same size limit as files. */
export function readStdin(): Uint8Array {
  try {
    return readLimited(0, STDIN_NAME, undefined);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`can't read config from stdin: ${describeSystemError(error)}`);
  }
}
