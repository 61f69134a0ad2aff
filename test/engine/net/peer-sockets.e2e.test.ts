// A `bind` without a port (fastd's config.rst: "a new socket with a random port will be
// created for each outgoing connection"): fastd-ts connects to two Debian fastd from one
// port-less bind, and each of them sees it come from a port of its own. TUN mode, one
// interface per peer, pings through both tunnels; after SIGUSR2 the old sockets are closed
// and the connections come back from new ports.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { derivePublicKey, generateSecretKey, keyToHex } from '../../../src/crypto/ec25519/keys.js';
import { DEBIAN_FASTD } from '../../helpers/prereq.js';
import { cleanUpEverything, requireTunnel } from '../../interop/harness/tunnel.js';
import { NamespacePair, UNDERLAY_ADDRESSES } from '../../../src/testbed/namespaces.js';
import { fetchStatus } from '../../../src/status/status-client.js';
import { until } from '../../helpers/wait.js';

const ok = requireTunnel('engine: per-peer sockets of a port-less bind');

const FASTD_TS = fileURLToPath(new URL('../../../bin/fastd-ts', import.meta.url));
const DEADLINE_MS = 30_000;
const PEERS = [
  { name: 'pa', port: 10_000, ours: '10.201.1.1', theirs: '10.201.1.2' },
  { name: 'pb', port: 10_001, ours: '10.201.2.1', theirs: '10.201.2.2' },
] as const;

function keyPair() {
  const secret = generateSecretKey();
  return { secret: keyToHex(secret), public: keyToHex(derivePublicKey(secret)) };
}

interface StatusPeer {
  readonly address: string | null;
  readonly connection: unknown;
}

async function statusPeer(socket: string, key: string): Promise<StatusPeer | undefined> {
  const document = (await fetchStatus(socket).catch(() => undefined)) as { peers: Record<string, StatusPeer> } | undefined;
  return document?.peers[key];
}

describe.runIf(ok)('a bind without a port', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-peer-sockets-'));
  const children: ChildProcess[] = [];
  let namespaces: NamespacePair | undefined;
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    namespaces?.delete();
    cleanUpEverything();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives each outgoing connection a socket with a port of its own, and both carry traffic', async () => {
    namespaces = NamespacePair.create();
    const [a, b] = namespaces.sides;
    const ours = keyPair();
    const theirs = PEERS.map(() => keyPair());
    const logs: string[] = [];
    const start = (side: string, args: string[]) => {
      const child = spawn('ip', ['netns', 'exec', side, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      const index = logs.push('') - 1;
      child.stdout.on('data', (chunk: Buffer) => (logs[index] += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (logs[index] += chunk.toString('utf8')));
      children.push(child);
    };
    onTestFailed(() => {
      process.stderr.write(`----- logs\n${logs.join('\n-----\n')}\n`);
    });
    PEERS.forEach((peer, i) => {
      const config = join(dir, `fastd-${peer.name}.conf`);
      writeFileSync(
        config,
        `mode tun; interface "f${peer.name}"; method "salsa2012+umac"; bind ${UNDERLAY_ADDRESSES[1]}:${peer.port};\n` +
          `secret "${theirs[i]!.secret}"; status socket "${join(dir, `fastd-${peer.name}.sock`)}";\n` +
          `peer "ours" { key "${ours.public}"; }\n`,
      );
      start(b.name, [DEBIAN_FASTD, '--config', config]);
    });
    const oursStatus = join(dir, 'ours.sock');
    const oursConfig = join(dir, 'ours.conf');
    writeFileSync(
      oursConfig,
      `log level debug; mode tun; interface "%n"; method "salsa2012+umac"; bind ${UNDERLAY_ADDRESSES[0]};\n` +
        `secret "${ours.secret}"; status socket "${oursStatus}";\n` +
        PEERS.map((peer, i) => `peer "${peer.name}" { key "${theirs[i]!.public}"; remote ${UNDERLAY_ADDRESSES[1]}:${peer.port}; }\n`).join(''),
    );
    start(a.name, [process.execPath, FASTD_TS, '--config', oursConfig]);

    const seenFrom = await Promise.all(
      PEERS.map((peer) =>
        until(`${peer.name} established`, DEADLINE_MS, async () => {
          const seen = await statusPeer(join(dir, `fastd-${peer.name}.sock`), ours.public);
          return seen?.connection && seen.address ? seen.address : undefined;
        }),
      ),
    );
    const ports = seenFrom.map((address) => {
      const match = /^(.*):(\d+)$/.exec(address);
      expect(match?.[1]).toBe(UNDERLAY_ADDRESSES[0]);
      return Number(match![2]);
    });
    expect(ports[0]).not.toBe(ports[1]);
    for (const port of ports) expect(PEERS.map((peer) => peer.port)).not.toContain(port);
    // Our side of each socket: bound to the port that peer sees.
    const sockets = await a.run('ss', ['-u', '-a', '-n', '-H']);
    for (const port of ports) expect(sockets.stdout).toContain(`${UNDERLAY_ADDRESSES[0]}:${port}`);

    for (const peer of PEERS) {
      for (const [side, device, local, remote] of [
        [a, peer.name, peer.ours, peer.theirs],
        [b, `f${peer.name}`, peer.theirs, peer.ours],
      ] as const) {
        side.ip('link', 'set', 'dev', device, 'up');
        side.ip('address', 'add', local, 'peer', remote, 'dev', device);
      }
    }
    const pingBoth = async () => {
      for (const peer of PEERS) {
        const ping = await a.run('ping', ['-c', '3', '-i', '0.2', '-W', '5', peer.theirs]);
        expect(ping.stdout, `ping ${peer.theirs} through ${peer.name}`).toMatch(/ 3 received/);
      }
    };
    await pingBoth();

    // SIGUSR2 resets every connection: the sockets close and each new attempt opens another.
    children.at(-1)!.kill('SIGUSR2');
    const newPorts = await Promise.all(
      PEERS.map((peer, i) =>
        until(`${peer.name} established again`, DEADLINE_MS, async () => {
          const seen = await statusPeer(join(dir, `fastd-${peer.name}.sock`), ours.public);
          const port = seen?.connection && seen.address ? Number(/:(\d+)$/.exec(seen.address)![1]) : undefined;
          return port !== undefined && port !== ports[i] ? port : undefined;
        }),
      ),
    );
    expect(newPorts[0]).not.toBe(newPorts[1]);
    const socketsAfter = await a.run('ss', ['-u', '-a', '-n', '-H']);
    for (const port of ports) expect(socketsAfter.stdout).not.toContain(`${UNDERLAY_ADDRESSES[0]}:${port}`);
    await pingBoth();
  });
});
