// Property tests of the configuration language as it arrives from operators and peer
// directories: any text, and any damage done to a configuration that loads, either loads or
// is refused with a ConfigError whose line and column lie inside the text; a peer directory
// of any files is read without throwing, each bad file reported.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/loader.js';
import { loadPeerDir } from '../../src/config/peer-dir.js';
import { ConfigError } from '../../src/config/errors.js';
import { FUZZ, FUZZ_TIMEOUT_MS } from '../helpers/fuzz.js';
import { CONF, configErrorOf, corpusFiles, loadWithBasics, makeTree, PUBLIC_KEYS, withBasics } from './helpers.js';

/** Tokens of fastd.conf, so that generated text gets past the scanner and into the grammar. */
const TOKEN = fc.oneof(
  fc.constantFrom('peer', 'group', 'key', 'remote', 'bind', 'method', 'mode', 'tap', 'tun', 'mtu', 'include', 'peers', 'from', 'on', 'up', 'verify', 'secret', 'interface', 'log', 'level', 'limit', 'float', 'port', 'ipv4', 'ipv6', 'any', 'yes', 'no', 'metrics', 'listen', 'workers'),
  fc.constantFrom(';', '{', '}', ':', '#', '//', '/*', '*/', '\n', ' ', '"', '\\'),
  fc.constantFrom('"salsa2012+umac"', `"${PUBLIC_KEYS[0]}"`, '192.0.2.1', '[2001:db8::1]', '[fe80::1%eth0]', '10000', '0x10', '010', '99999999999999999999'),
  fc.string({ maxLength: 6 }).map((text) => JSON.stringify(text)),
);
const tokenText = fc.array(TOKEN, { maxLength: 40 }).map((tokens) => tokens.join(' '));

/** The line count of a text, as the scanner counts lines. */
const lineCount = (text: string) => text.split('\n').length;

/** Where loadConfigText's errors say the text came from. */
const TEXT_SOURCE = '<stdin>';

/** Loads `text`; a refusal must be a ConfigError, and one in the text itself must point into it. */
function loadsOrSaysWhere(text: string, cwd?: string): void {
  const error = configErrorOf(() => loadConfigText(text, 'full', cwd));
  // an `include` the damage made up may name another file: its lines are that file's
  if (error?.line === undefined || error.file !== TEXT_SOURCE) return;
  expect(error.line, error.message).toBeGreaterThanOrEqual(1);
  expect(error.line, error.message).toBeLessThanOrEqual(lineCount(text) + 1);
  expect(error.column, error.message).toBeGreaterThanOrEqual(0);
}

/** A configuration that loads, and a damage to it: a cut, a token put in, or both. */
const damaged = (texts: readonly string[]) =>
  fc
    .record({ text: fc.constantFrom(...texts), cutAt: fc.nat(), cutLength: fc.nat({ max: 20 }), insertAt: fc.nat(), token: TOKEN })
    .map(({ text, cutAt, cutLength, insertAt, token }) => {
      const at = cutAt % (text.length + 1);
      const cut = text.slice(0, at) + text.slice(at + cutLength);
      const where = insertAt % (cut.length + 1);
      return cut.slice(0, where) + token + cut.slice(where);
    });

describe('the configuration language on any input', () => {
  it('loads or refuses any text with a ConfigError that points into it', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), tokenText), (text) => loadsOrSaysWhere(withBasics(text))), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it('loads or refuses damaged accepted configurations the same way', () => {
    const accepted = [...corpusFiles('accept'), join(CONF, 'gluon-client.conf')].map((path) => readFileSync(path, 'utf8'));
    fc.assert(fc.property(damaged(accepted), (text) => loadsOrSaysWhere(text, CONF)), FUZZ);
  }, FUZZ_TIMEOUT_MS);
});

describe('a peer directory of any files', () => {
  it('is read without throwing: good files become peers, each bad one an error', () => {
    const group = loadWithBasics('').peerGroup;
    const good = `key "${PUBLIC_KEYS[1]}";\n`;
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(good), fc.string({ maxLength: 80 }), tokenText), { minLength: 1, maxLength: 5 }), (contents) => {
        const dir = makeTree(Object.fromEntries(contents.map((content, i) => [`peer${i}`, content])));
        const result = loadPeerDir(dir, group);
        expect(result.errors.every((error) => error instanceof ConfigError)).toBe(true);
        expect(result.peers.length + result.errors.length).toBeLessThanOrEqual(readdirSync(dir).length);
        expect(result.peers.length).toBeGreaterThanOrEqual(contents.filter((content) => content === good).length);
      }),
      { ...FUZZ, numRuns: Math.ceil(FUZZ.numRuns / 5) },
    );
  }, FUZZ_TIMEOUT_MS);
});
