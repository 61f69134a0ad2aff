// fastd's peer rules, each run against Debian's fastd and fastd-ts in the same test: a peer
// with our own key (a community's shared peer directory holds the supernodes' own keys), keys
// used twice (a configured peer and a directory file, two directories), a handshake claiming
// our own key, and inits with a connected peer's key from many spoofed addresses inside the
// quiet period after the session came up (fastd ignores them; answering would amplify).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseKeyHex } from '../../src/crypto/ec25519/keys.js';
import { Handshake, PeerHandshakeState } from '../../src/protocol/handshake.js';
import { UNDERLAY_ADDRESSES, UNDERLAY_DEVICE, UNDERLAY_PREFIX } from '../../src/testbed/namespaces.js';
import { DEBIAN_FASTD } from '../helpers/prereq.js';
import { type DaemonKind, requireTunnel, Tunnel, TUNNEL_PORT } from './harness/tunnel.js';
import { generateKeyPair, type KeyPair } from './harness/daemon.js';
import { sleep, until } from '../helpers/wait.js';

const FLOOD_SENDER = fileURLToPath(new URL('./harness/handshake-flood.mjs', import.meta.url));
const FASTD_TS = fileURLToPath(new URL('../../bin/fastd-ts', import.meta.url));
const KINDS: readonly DaemonKind[] = ['fastd', 'fastd-ts'];
/**
 * The flood: 40 addresses, one init each per second from 2 s after the session came
 * up, inside fastd's 15 s quiet period (after it, both answer any address again). A loaded
 * machine may start it late: the last round must still leave the quiet period a second's margin.
 */
const FLOOD_SOURCES = 40;
const FLOOD_ROUNDS = 10;
const FLOOD_START_MS = 2_000;
const QUIET_PERIOD_MS = 15_000;
const QUIET_MARGIN_MS = 1_000;
/** Room for fastd-ts's one early answer a second (to the peer's current address only): one response each. */
const RESPONSE_BYTES_MAX = 512;
const DEADLINE_MS = 30_000;

interface FloodCounts {
  readonly rounds: number;
  readonly sources: number;
  readonly sentPackets: number;
  readonly sentBytes: number;
  readonly answeredPackets: number;
  readonly answeredBytes: number;
  readonly answeringSources: number;
  /** When the first and the last round started (Date.now()). */
  readonly firstRoundAt: number;
  readonly lastRoundAt: number;
}

interface StatusPeers {
  readonly peers: Record<string, { readonly name: string | null; readonly connection: { readonly established: number } | null }>;
}

function report(what: string, figure: string): void {
  process.stdout.write(`[peer-rules] ${what}: ${figure}\n`);
}

/** An initial handshake as `sender` sends it to `recipient`, built by our own handshake code (both framings). */
function initFrom(sender: KeyPair, recipientPublic: string): string[] {
  const handshake = new Handshake({ secretKey: parseKeyHex(sender.secret)!, mode: 'tap', versionName: 'v22' });
  const peer = { key: parseKeyHex(recipientPublic)!, mtu: 1406, methods: [], state: new PeerHandshakeState() };
  return handshake.initiate(peer, Date.now()).map((packet) => Buffer.from(packet).toString('hex'));
}

/** Runs the flood sender in side 1's namespace. */
async function flood(tunnel: Tunnel, sources: readonly string[], packets: readonly string[], rounds: number): Promise<FloodCounts> {
  const job = { target: UNDERLAY_ADDRESSES[0], port: TUNNEL_PORT, sources, packets, rounds, intervalMs: 1_000 };
  const result = await tunnel.side(1).run(process.execPath, [FLOOD_SENDER, JSON.stringify(job)], 120_000);
  if (result.code !== 0) throw new Error(`flood sender failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as FloodCounts;
}

/** Runs `run` on a tunnel, printing the logs if it fails; closes the tunnel and removes `dir` (if any) after. */
async function withTunnel<T>(tunnel: Tunnel, dir: string | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    process.stderr.write(`----- logs\n${tunnel.logs()}\n`);
    throw error;
  } finally {
    await tunnel.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

const ok = requireTunnel('peer rules against Debian fastd');

describe.runIf(ok)('peer rules, next to Debian fastd', () => {
  it('--verify-config accepts our own key and a directory that repeats keys, as fastd does (it reads no peer directory)', async () => {
    const [own, other] = [generateKeyPair('fastd'), generateKeyPair('fastd')];
    const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-peer-rules-'));
    try {
      mkdirSync(join(dir, 'shared'));
      writeFileSync(join(dir, 'shared', 'self'), `key "${own.public}";\n`);
      writeFileSync(join(dir, 'shared', 'other-again'), `key "${other.public}";\n`);
      const config = join(dir, 'fastd.conf');
      writeFileSync(
        config,
        `secret "${own.secret}"; mode tap; method "null";
peer "me" { key "${own.public}"; }
peer "other" { key "${other.public}"; }
include peers from "${join(dir, 'shared')}";\n`,
      );
      for (const [kind, command, prefix] of [
        ['fastd', DEBIAN_FASTD, []],
        ['fastd-ts', process.execPath, [FASTD_TS]],
      ] as const) {
        const result = spawnSync(command, [...prefix, '--verify-config', '--config', config], { encoding: 'utf8' });
        expect(result.status, `${kind}: ${result.stderr}`).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ignore our own key in a peer directory and disable both peers of a key used twice; a handshake claiming our key is ignored', async () => {
    const [twin, single] = [generateKeyPair('fastd'), generateKeyPair('fastd')];
    const seen: Record<string, { names: string[]; log: string; claimedOwnKey: FloodCounts }> = {};
    for (const kind of KINDS) {
      const dirs = mkdtempSync(join(tmpdir(), 'fastd-ts-peer-rules-'));
      const [shared, extra] = [join(dirs, 'shared'), join(dirs, 'extra')];
      const tunnel = Tunnel.create({
        mode: 'tap',
        methods: ['null'],
        sides: [
          { kind, initiates: false, extraStatements: [`include peers from "${shared}"`, `include peers from "${extra}"`] },
          { kind: 'fastd', initiates: false },
        ],
      });
      const ours = tunnel.daemons[0].spec;
      const files: Record<string, string> = {
        'shared/self': ours.keys.public,
        'shared/b-again': ours.peer!.key,
        'shared/twin-1': twin.public,
        'extra/twin-2': twin.public,
        'shared/single': single.public,
      };
      mkdirSync(shared);
      mkdirSync(extra);
      for (const [file, key] of Object.entries(files)) writeFileSync(join(dirs, file), `key "${key}";\n`);
      seen[kind] = await withTunnel(tunnel, dirs, async () => {
        await tunnel.startSide(0);
        await tunnel.daemons[0].waitForLog(/found own key/);
        // the log line comes while the peers are loaded, before the status socket is opened
        const status = await until('the status socket', DEADLINE_MS, () => tunnel.status(0).then((answer) => answer as StatusPeers, () => undefined));
        const claimedOwnKey = await flood(tunnel, [UNDERLAY_ADDRESSES[1]], initFrom(ours.keys, ours.keys.public), 3);
        return { names: Object.values(status.peers).map((peer) => peer.name ?? '').sort(), log: tunnel.daemons[0].log(), claimedOwnKey };
      });
    }
    for (const kind of KINDS) {
      const { names, log, claimedOwnKey } = seen[kind]!;
      report(kind, `peers listed: ${names.join(', ')}; handshakes claiming our key answered: ${claimedOwnKey.answeredPackets} of ${claimedOwnKey.rounds}`);
      expect(names, kind).toEqual(['single']);
      expect(log, kind).toContain('Verbose: found own key as <self>, ignoring peer');
      expect(log, kind).toContain('Warning: duplicate key used by peers <b-again> and <b>, disabling both');
      // The directory listed last is read first: its file is the one fastd keeps (disabled).
      expect(log, kind).toContain('Warning: duplicate key used by peers <twin-1> and <twin-2>, disabling both');
      expect(claimedOwnKey.answeredPackets, kind).toBe(0);
    }
  }, 120_000);

  it('inits with a connected peer\'s key from spoofed addresses inside the quiet period are not answered; the tunnel stays up', async () => {
    const results: Partial<Record<DaemonKind, FloodCounts>> = {};
    for (const kind of KINDS) {
      // Side 0 has no remote for its peer, so the peer floats: its key is accepted from anywhere.
      const tunnel = Tunnel.create({ mode: 'tap', methods: ['salsa2012+umac'], sides: [{ kind, initiates: false }, { kind: 'fastd', initiates: true }] });
      results[kind] = await withTunnel(tunnel, undefined, async () => {
        const sources = Array.from({ length: FLOOD_SOURCES }, (_, i) => `198.51.100.${100 + i}`);
        for (const address of sources) tunnel.side(1).ip('address', 'add', `${address}/${UNDERLAY_PREFIX}`, 'dev', UNDERLAY_DEVICE);
        const packets = initFrom(tunnel.daemons[1].spec.keys, tunnel.daemons[0].spec.keys.public);
        await tunnel.start();
        const peerKey = tunnel.daemons[1].spec.keys.public;
        const establishedAt = await until('the session', DEADLINE_MS, async () => {
          const status = (await tunnel.status(0)) as StatusPeers;
          const age = status.peers[peerKey]?.connection?.established;
          return age === undefined ? undefined : Date.now() - age;
        });
        await sleep(Math.max(0, establishedAt + FLOOD_START_MS - Date.now()));
        const counts = await flood(tunnel, sources, packets, FLOOD_ROUNDS);
        const window = `${counts.firstRoundAt - establishedAt}–${counts.lastRoundAt - establishedAt} ms after the session came up`;
        expect(counts.lastRoundAt - establishedAt, `${kind}: the flood ran late (${window})`).toBeLessThan(QUIET_PERIOD_MS - QUIET_MARGIN_MS);
        report(`spoofed-init flood, ${kind}`, `rounds ${window}`);
        const ping = await tunnel.ping(1, { count: 3, deadlineSeconds: 10 });
        expect(ping.received, `${kind}: the real session after the flood`).toBeGreaterThan(0);
        return counts;
      });
    }
    const fastd = results.fastd!;
    const ours = results['fastd-ts']!;
    for (const kind of KINDS) {
      const counts = results[kind]!;
      report(
        `spoofed-init flood, ${kind}`,
        `${counts.rounds * counts.sources} inits sent (${counts.sentBytes} bytes) from ${counts.sources} addresses, ` +
          `${counts.answeredPackets} answered (${counts.answeredBytes} bytes back, to ${counts.answeringSources} addresses)`,
      );
    }
    expect(ours.answeredBytes).toBeLessThanOrEqual(fastd.answeredBytes + FLOOD_ROUNDS * RESPONSE_BYTES_MAX);
    expect(ours.answeringSources).toBeLessThanOrEqual(fastd.answeringSources);
  }, 180_000);
});
