// A community key repository as a supernode's peer directory: 10,000 keys. fastd lists every
// one of them on its status socket; so must fastd-ts, whose tables once stopped at 4,096 and
// warned for the rest. Both daemons read the same directory and get the same check. The
// router at the other end is in neither's directory for fastd-ts: `on verify` admits it as a
// dynamic peer, with a peerId past every table's first size, and traffic flows through it.
// A SIGHUP after the directory grew lists the new keys too, in both.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkPublicKeys, writePeerDir } from '../../../src/bench/peer-keys.js';
import { requireTunnel, Tunnel } from '../../interop/harness/tunnel.js';
import { until } from '../../helpers/wait.js';

const ok = requireTunnel('a peer directory of 10,000 keys');

const KEYS = 10_000;
/** Files added to the directory before the SIGHUP. */
const MORE_KEYS = 1_000;
const DEADLINE_MS = 60_000;

interface Status {
  readonly peers: Record<string, { readonly name: string | null; readonly connection: { readonly statistics: { readonly rx: { readonly packets: number }; readonly tx: { readonly packets: number } } } | null }>;
}

describe.runIf(ok)(`a peer directory of ${KEYS} keys, fastd-ts and Debian fastd`, () => {
  let tunnel: Tunnel;
  let dir: string;
  let keys: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fastd-ts-peers-'));
    keys = bulkPublicKeys(KEYS);
    writePeerDir(dir, keys);
    tunnel = Tunnel.create({
      mode: 'tap',
      methods: ['salsa2012+umac'],
      sides: [
        { kind: 'fastd-ts', initiates: false, unconfiguredPeer: true, extraStatements: [`include peers from "${dir}"`, 'on verify "true"'] },
        { kind: 'fastd', initiates: true, extraStatements: [`include peers from "${dir}"`] },
      ],
    });
    await tunnel.start();
  }, 120_000);

  afterAll(async () => {
    await tunnel?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Waits until both daemons list every key of `wanted`; fails with how many each lists. */
  async function expectListed(wanted: readonly string[]): Promise<void> {
    for (const side of [0, 1] as const) {
      let listed = 0;
      // a daemon may still be reading the directory
      await until(`side ${side} to list every key`, DEADLINE_MS, async () => {
        const document = (await tunnel.status(side).catch(() => undefined)) as Status | undefined;
        listed = document ? wanted.filter((key) => key in document.peers).length : 0;
        return listed === wanted.length ? true : undefined;
      }).catch(() => undefined);
      expect(listed, `${tunnel.daemons[side].spec.kind} lists ${listed} of ${wanted.length}\n${tunnel.logs().slice(-5000)}`).toBe(wanted.length);
    }
    expect(tunnel.daemons[0].log(), 'no peer is refused').not.toMatch(/can't add peer/);
  }

  it('both list every key of the directory on their status sockets', async () => {
    await expectListed(keys);
  }, 120_000);

  it('admits the router through `on verify` past the tables\' first size, and traffic flows through it', async () => {
    const first = await tunnel.timeToFirstReply(1, 30);
    expect(first, tunnel.logs().slice(-5000)).toBeDefined();
    const pings = await tunnel.ping(1, { count: 3, deadlineSeconds: 10 });
    expect(pings.received, pings.output).toBe(3);
    const status = (await tunnel.status(0)) as Status;
    expect(Object.keys(status.peers)).toHaveLength(KEYS + 1);
    const dynamic = Object.entries(status.peers).filter(([key]) => !keys.includes(key));
    expect(dynamic).toHaveLength(1);
    const connection = dynamic[0]![1].connection;
    expect(connection, JSON.stringify(dynamic)).not.toBeNull();
    expect(connection!.statistics.rx.packets).toBeGreaterThanOrEqual(3);
    expect(connection!.statistics.tx.packets).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('both list the keys a SIGHUP finds added to the directory', async () => {
    const more = bulkPublicKeys(MORE_KEYS);
    more.forEach((key, index) => writeFileSync(join(dir, `added${index}`), `key "${key}";\n`));
    for (const daemon of tunnel.daemons) process.kill(daemon.pid!, 'SIGHUP');
    await expectListed([...keys, ...more]);
  }, 120_000);
});
