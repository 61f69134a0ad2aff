// The environment our hooks get, compared with what Debian's fastd gives the same hooks in
// the same tunnel: both ends configured with `remote` (so both run `on connect`), every hook
// writing its environment to a file.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { cleanUpEverything, requireTunnel, Tunnel } from '../../interop/harness/tunnel.js';

const ok = requireTunnel('engine: hook environments against Debian fastd');

/** The variables fastd's hooks may get (src/shell.c, src/peer.c, protocols/ec25519_fhmqvc/util.c). */
const FASTD_VARIABLES = [
  'FASTD_PID',
  'INTERFACE',
  'INTERFACE_MTU',
  'LOCAL_ADDRESS',
  'LOCAL_PORT',
  'LOCAL_KEY',
  'PEER_ADDRESS',
  'PEER_PORT',
  'PEER_NAME',
  'PEER_KEY',
];
const HOOKS = ['pre-up', 'up', 'connect', 'establish', 'down'] as const;
const FIRST_REPLY_DEADLINE_S = 30;

function readEnvironment(path: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line);
    if (match && FASTD_VARIABLES.includes(match[1]!)) variables[match[1]!] = match[2]!;
  }
  return variables;
}

/**
 * The environment of one run of a hook. A hook may run more than once (`on connect` also runs
 * for a handshake to an unknown address, without peer variables), so every run writes its own
 * file, and the run for the configured peer is the one compared where there is one.
 */
function hookEnvironment(dir: string, label: string, hook: string): Record<string, string> | undefined {
  const runs = readdirSync(dir)
    .filter((name) => name.startsWith(`${label}-${hook}.`))
    .map((name) => readEnvironment(join(dir, name)));
  return runs.find((env) => env.PEER_KEY !== undefined) ?? runs[0];
}

describe.runIf(ok)('hook environments', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-hook-env-'));
  afterAll(() => {
    cleanUpEverything();
    rmSync(dir, { recursive: true, force: true });
  });

  it("fastd-ts sets the same variables as fastd, with the same values, for every hook", async () => {
    const hooks = (label: string) =>
      HOOKS.map((hook) => `on ${hook} "env > ${join(dir, `${label}-${hook}`)}.$$.env"`);
    const tunnel = Tunnel.create({
      mode: 'tap',
      methods: ['salsa2012+umac'],
      sides: [
        { kind: 'fastd-ts', initiates: true, extraStatements: hooks('ours') },
        { kind: 'fastd', initiates: true, extraStatements: hooks('fastd') },
      ],
    });
    onTestFailed(() => {
      process.stderr.write(`----- logs\n${tunnel.logs()}\n`);
    });
    const pids: number[] = [];
    try {
      await tunnel.start();
      expect(await tunnel.timeToFirstReply(0, FIRST_REPLY_DEADLINE_S)).toBeDefined();
      pids.push(tunnel.daemons[0].pid!, tunnel.daemons[1].pid!);
    } finally {
      await tunnel.close();
    }
    const [ours, theirs] = tunnel.daemons.map((daemon) => daemon.spec);
    for (const hook of HOOKS) {
      const oursEnv = hookEnvironment(dir, 'ours', hook);
      const fastdEnv = hookEnvironment(dir, 'fastd', hook);
      expect(oursEnv, `fastd-ts ran on ${hook}`).toBeDefined();
      expect(fastdEnv, `fastd ran on ${hook}`).toBeDefined();
      if (!oursEnv || !fastdEnv) return;
      expect(Object.keys(oursEnv).sort(), `variables of on ${hook}`).toEqual(Object.keys(fastdEnv).sort());
      // Values: the same where both sides see the same thing, mirrored where they are each other's peer.
      const mirror = (env: Record<string, string>, self: typeof ours, other: typeof ours) => ({
        ...env,
        FASTD_PID: env.FASTD_PID === undefined ? undefined : 'pid',
        LOCAL_KEY: env.LOCAL_KEY === undefined ? undefined : env.LOCAL_KEY === self.keys.public ? 'self' : 'wrong',
        PEER_NAME: env.PEER_NAME === undefined ? undefined : env.PEER_NAME === self.peer?.name ? 'other' : 'wrong',
        PEER_KEY: env.PEER_KEY === undefined ? undefined : env.PEER_KEY === other.keys.public ? 'other' : 'wrong',
        LOCAL_ADDRESS: env.LOCAL_ADDRESS === undefined ? undefined : env.LOCAL_ADDRESS === self.bind.split(':')[0] ? 'self' : env.LOCAL_ADDRESS,
        PEER_ADDRESS: env.PEER_ADDRESS === undefined ? undefined : env.PEER_ADDRESS === other.bind.split(':')[0] ? 'other' : env.PEER_ADDRESS,
      });
      expect(mirror(oursEnv, ours!, theirs!), `values of on ${hook}`).toEqual(mirror(fastdEnv, theirs!, ours!));
    }
    expect(hookEnvironment(dir, 'ours', 'up')?.FASTD_PID).toBeDefined();
  }, 90_000);
});
