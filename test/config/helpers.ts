// Shared fixtures for the configuration tests: real key pairs made by Debian's
// `fastd --generate-key` / `--show-key`, throw-away directories, the corpus
// and the shipped examples (each checked by a unit test and by one against Debian's fastd).
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { parseCommandLine } from '../../src/cli/options.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { loadConfigFile, loadConfigText } from '../../src/config/loader.ts';
import { derivePublicKey, keyToHex } from '../../src/crypto/ec25519/keys.ts';

export const SECRET = 'c0eda007e878d974a4cc435b6044f63b7e366cfb95e76654c47019ceca835e6a';
export const PUBLIC_KEYS = [
  'be6e5da0e8547ac47f815c9be3856519c702a8706a2b25c6f6c954a31db8ec00',
  'dcad37439f807c7a0ce6b58a5cd578e39454e6378d58591ec15e3bfbb510090b',
  'e9bb7af07402bc3d9d0039a4c9e8363e0dceaf3db6d7b12f8c8cce825fb90e7d',
  '321a9ab27a6a4bf0b23d3c67774a8f512d1610045e23ea50ef506e5f3b2e4f53',
] as const;

/** A main config with a secret and one peer, so that the start-up checks pass. */
export function withBasics(statements: string): string {
  return `secret "${SECRET}";\npeer "basic" { key "${PUBLIC_KEYS[3]}"; }\n${statements}`;
}

/** The Config of the statements after withBasics. */
export const loadWithBasics = (statements: string) => loadConfigText(withBasics(statements)).config;

/** The ConfigError load throws, or undefined when it loads. */
export function configErrorOf(load: () => unknown): ConfigError | undefined {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  return undefined;
}

/** The command line `--mode tap --config - <args>`, with a secret and one peer on stdin. */
export function commandLineWith(args: string[]) {
  const stdin = `secret "${SECRET}";\npeer "p" { key "${PUBLIC_KEYS[0]}"; }\n`;
  return parseCommandLine(['--mode', 'tap', '--config', '-', ...args], () => stdin);
}

/**
 * Creates a temporary directory holding the given files (paths relative to it), removed when
 * the calling test ends (a hook per test: the unit lane shares this module between files).
 */
export function makeTree(files: Record<string, string | Uint8Array>): string {
  const root = mkdtempSync(join(tmpdir(), 'fastd-ts-config-'));
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const CORPUS = join(dirname(fileURLToPath(import.meta.url)), 'corpus');

/** The corpus files fastd must accept or reject, in name order. */
export function corpusFiles(verdict: 'accept' | 'reject'): string[] {
  const dir = join(CORPUS, verdict);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.conf'))
    .sort()
    .map((name) => join(dir, name));
}

/** The ConfigError fastd-ts reports for a file, or undefined when it loads. */
export const ourError = (path: string) => configErrorOf(() => loadConfigFile(path));

/** The shipped example configurations in conf/. */
export const CONF = join(dirname(fileURLToPath(import.meta.url)), '../../conf');
export const EXAMPLES = ['gluon-client.conf', 'supernode.conf'];

export const publicKeyOf = (secret: string) => keyToHex(derivePublicKey(Uint8Array.from(Buffer.from(secret, 'hex'))));
