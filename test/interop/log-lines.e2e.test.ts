// The log lines operators grep for, worded as fastd's: each situation is run once with Debian
// fastd on both ends and once with fastd-ts on both ends, and every line must be in both logs.
// Side a initiates to side b through a quoted (resolved) remote, and has a second peer whose
// name does not resolve; side b has a peer directory with one more peer.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UNDERLAY_ADDRESSES } from '../../src/testbed/namespaces.js';
import { type DaemonKind, requireTunnel, Tunnel, TUNNEL_INTERFACE, TUNNEL_PORT } from './harness/tunnel.js';
import { generateKeyPair } from './harness/daemon.js';

const KINDS: readonly DaemonKind[] = ['fastd', 'fastd-ts'];
const [A, B] = UNDERLAY_ADDRESSES.map((address) => `${address}:${TUNNEL_PORT}`) as [string, string];
const UNRESOLVABLE = 'no-such-host.invalid';

/** Escapes text for a RegExp. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One line of fastd's log format after the timestamp: `--- Level: text`; `text` may hold `VERSION`. */
function line(level: string, text: string): RegExp {
  return new RegExp(`--- ${literal(level)}: ${literal(text).replace('VERSION', 'v\\d+')}$`, 'm');
}

interface Situation {
  readonly name: string;
  /** Methods of side a and side b. */
  readonly methods: readonly [string, string];
  /** The lines that say the situation has played out, on side a and on side b (a logs its part before b has read the last packet). */
  readonly doneWhen: readonly [RegExp, RegExp];
  /** Lines each side must have logged by the time both have stopped. */
  readonly lines: readonly [readonly RegExp[], readonly RegExp[]];
}

const SITUATIONS: readonly Situation[] = [
  {
    name: 'a connect',
    methods: ['salsa2012+umac', 'salsa2012+umac'],
    doneWhen: [/connection with <b> established/, /connection with <a> established/],
    lines: [
      [
        line('Info', `bound to ${A}`),
        line('Verbose', `resolving host \`${UNDERLAY_ADDRESSES[1]}' for peer <b>...`),
        line('Verbose', `resolved host \`${UNDERLAY_ADDRESSES[1]}' successfully`),
        line('Verbose', `sending handshake to <b>[${B}]...`),
        line('Verbose', `received handshake response from <b>[${B}] using fastd VERSION`),
        line('DEBUG', `finishing handshake with <b>[${B}]...`),
        line('Verbose', `${B} authenticated as <b>`),
        line('Info', 'connection with <b> established.'),
        line('Verbose', "new session with <b> established using method `salsa2012+umac'."),
        line('DEBUG', 'not sending a handshake to <ghost> (no valid address resolved)'),
        new RegExp(`--- Verbose: resolving host \`${literal(UNRESOLVABLE)}' failed: \\S`, 'm'),
        line('Info', 'connection with <b> disestablished.'),
      ],
      [
        line('Info', `bound to ${B}`),
        line('DEBUG', 'initializing TUN/TAP device...'),
        line('DEBUG', `TUN/TAP device \`${TUNNEL_INTERFACE}' initialized.`),
        line('Verbose', 'adding peer <listed>'),
        line('Verbose', `received handshake from <a>[${A}]`),
        line('DEBUG', `responding handshake with <a>[${A}]...`),
        line('DEBUG', `received handshake finish from <a>[${A}] using fastd VERSION`),
        line('DEBUG', `handling handshake finish with <a>[${A}]...`),
        line('Verbose', `${A} authenticated as <a>`),
        line('Info', 'connection with <a> established.'),
        line('Verbose', 'deleting peer <listed>'),
      ],
    ],
  },
  {
    name: 'a handshake that fails',
    methods: ['salsa2012+umac', 'null'],
    doneWhen: [/Handshake with .* failed/, /Handshake with .* failed/],
    lines: [
      [line('Warning', `Handshake with ${B} failed: sending error: no common methods are configured`)],
      [line('Warning', `Handshake with ${A} failed: received error: no common methods are configured`)],
    ],
  },
];

const ok = requireTunnel('log lines against Debian fastd');

describe.runIf(ok)('log lines people grep for, next to Debian fastd', () => {
  for (const situation of SITUATIONS) {
    it(`${situation.name}: every line is in both fastd's and fastd-ts's logs`, async () => {
      const ghost = generateKeyPair('fastd');
      const listed = generateKeyPair('fastd');
      const missing: string[] = [];
      for (const kind of KINDS) {
        const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-log-lines-'));
        const peers = join(dir, 'peers');
        mkdirSync(peers);
        writeFileSync(join(peers, 'listed'), `key "${listed.public}";\n`);
        writeFileSync(join(dir, 'ghost'), `key "${ghost.public}"; remote "${UNRESOLVABLE}" port ${TUNNEL_PORT};\n`);
        const tunnel = Tunnel.create({
          mode: 'tap',
          methods: [],
          sides: [
            {
              kind,
              initiates: true,
              methods: [situation.methods[0]],
              remote: `"${UNDERLAY_ADDRESSES[1]}" port ${TUNNEL_PORT}`,
              extraStatements: [`include peer "${join(dir, 'ghost')}" as "ghost"`],
            },
            { kind, initiates: false, methods: [situation.methods[1]], extraStatements: [`include peers from "${peers}"`] },
          ],
        });
        const [a, b] = tunnel.daemons;
        try {
          await tunnel.startSide(1);
          await tunnel.startSide(0);
          await a.waitForLog(situation.doneWhen[0]);
          await b.waitForLog(situation.doneWhen[1]);
          await a.waitForLog(/not sending a handshake to <ghost>|resolving host `no-such-host.invalid' failed/);
          await Promise.all([a.stop(), b.stop()]);
          for (const [index, daemon] of [a, b].entries()) {
            const log = daemon.log();
            for (const pattern of situation.lines[index]!) if (!pattern.test(log)) missing.push(`${kind} side ${daemon.label}: ${pattern.source}`);
          }
          if (missing.length > 0) process.stderr.write(`----- logs of ${kind}\n${tunnel.logs()}\n`);
        } finally {
          await tunnel.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }
      expect(missing).toEqual([]);
    }, 120_000);
  }
});
