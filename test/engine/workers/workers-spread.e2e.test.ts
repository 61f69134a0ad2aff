// Peers spread over the datapath workers: fastd-ts with `workers 2` in TUN mode serves ten
// Debian fastd peers, each from its own UDP port. The kernel hashes each peer's address to
// one of the two SO_REUSEPORT sockets and the peer belongs to that socket's worker, so
// both workers get peers, every packet is opened and sealed where it arrives (no handoff),
// pings pass through every peer and each peer's packets stay in order.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NamespacePair, UNDERLAY_ADDRESSES } from '../../../src/testbed/namespaces.js';
import { Daemon, generateKeyPair, type KeyPair } from '../../interop/harness/daemon.js';
import { requireTunnel } from '../../interop/harness/tunnel.js';
import { fetchStatus } from '../../../src/status/status-client.js';
import { ping, timeToFirstReply } from '../../interop/harness/traffic.js';

/** Enough peers that the kernel's hash leaves a worker without any only with probability 2 / 2^10. */
const PEERS = 10;
const SERVER_PORT = 10_000;
const FIRST_CLIENT_PORT = 10_100;
const MTU = 1406;
const METHOD = 'salsa2012+umac';

interface Statistics {
  readonly rx: { readonly packets: number };
  readonly rx_reordered: { readonly packets: number };
}

interface Status {
  readonly peers: Record<string, { readonly name: string; readonly connection: { readonly statistics: Statistics } | null }>;
  readonly 'fastd-ts': { readonly workers: readonly { readonly peers: number; readonly rx_packets: number; readonly handoffs: number; readonly handoff_drops: number }[] };
}

const ok = requireTunnel('datapath workers with many peers');

/** Tunnel addresses of peer i: a point-to-point pair of its own. */
const serverAddress = (i: number) => `10.1.${i}.1`;
const clientAddress = (i: number) => `10.1.${i}.2`;

describe.runIf(ok)('datapath workers: ten peers over two workers', () => {
  let namespaces: NamespacePair;
  let dir: string;
  let server: Daemon;
  const clients: Daemon[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fastd-ts-workers-'));
    namespaces = NamespacePair.create();
    const serverKeys = generateKeyPair('fastd');
    const clientKeys: KeyPair[] = Array.from({ length: PEERS }, () => generateKeyPair('fastd'));
    const peerDir = join(dir, 'peers');
    mkdirSync(peerDir);
    // the first peer in the config, the others from a peer directory (named after their files)
    clientKeys.slice(1).forEach((keys, i) => writeFileSync(join(peerDir, `p${i + 1}`), `key "${keys.public}";\n`));
    server = new Daemon(
      namespaces.sides[0],
      {
        kind: 'fastd-ts',
        mode: 'tun',
        methods: [METHOD],
        mtu: MTU,
        interfaceName: '%n',
        bind: `${UNDERLAY_ADDRESSES[0]}:${SERVER_PORT}`,
        keys: serverKeys,
        peer: { name: 'p0', key: clientKeys[0]!.public },
        statusSocket: join(dir, 'server.sock'),
        extraStatements: [
          'workers 2',
          `include peers from "${peerDir}"`,
          'on up "ip addr add 10.1.${PEER_NAME#p}.1 peer 10.1.${PEER_NAME#p}.2 dev $INTERFACE"',
        ],
      },
      dir,
      'server',
    );
    server.start();
    await server.waitForLog(/datapath I\/O backend/);
    for (let i = 0; i < PEERS; i++) {
      const client = new Daemon(
        namespaces.sides[1],
        {
          kind: 'fastd',
          mode: 'tun',
          methods: [METHOD],
          mtu: MTU,
          interfaceName: `c${i}`,
          bind: `${UNDERLAY_ADDRESSES[1]}:${FIRST_CLIENT_PORT + i}`,
          keys: clientKeys[i]!,
          peer: { name: 'server', key: serverKeys.public, remote: `${UNDERLAY_ADDRESSES[0]}:${SERVER_PORT}` },
          statusSocket: join(dir, `c${i}.sock`),
          extraStatements: [`on up "ip addr add ${clientAddress(i)} peer ${serverAddress(i)} dev $INTERFACE && ip link set $INTERFACE up"`],
        },
        dir,
        `c${i}`,
      );
      clients.push(client);
      client.start();
    }
    await Promise.all(clients.map((client) => client.waitForInterface()));
  }, 120_000);

  afterAll(async () => {
    await Promise.all([server, ...clients].filter(Boolean).map((daemon) => daemon.stop()));
    namespaces?.delete();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function logs(): string {
    return [server, ...clients].map((daemon) => `----- ${daemon.label}\n${daemon.log()}`).join('\n');
  }

  it('gives peers to both workers, passes pings through every peer, in order, without handoffs', async () => {
    try {
      const side = namespaces.sides[1];
      const firsts = await Promise.all(clients.map((_, i) => timeToFirstReply(side, serverAddress(i), 30)));
      expect(firsts.map((first) => first !== undefined)).toEqual(clients.map(() => true));
      const pings = await Promise.all(clients.map((_, i) => ping(side, serverAddress(i), { count: 20, intervalSeconds: 0.05, deadlineSeconds: 20 })));
      for (const result of pings) expect(result.received, result.output).toBeGreaterThan(0);

      const status = (await fetchStatus(join(dir, 'server.sock'))) as Status;
      const workers = status['fastd-ts'].workers;
      expect(workers).toHaveLength(2);
      expect(workers[0]!.peers + workers[1]!.peers).toBe(PEERS);
      for (const worker of workers) {
        expect(worker.peers).toBeGreaterThan(0);
        expect(worker.rx_packets).toBeGreaterThan(0);
        // each peer's datagrams arrive at the socket of the worker that owns it
        expect(worker.handoffs).toBe(0);
        expect(worker.handoff_drops).toBe(0);
      }
      const peers = Object.values(status.peers);
      expect(peers).toHaveLength(PEERS);
      for (const peer of peers) {
        expect(peer.connection, `${peer.name} not established`).not.toBeNull();
        expect(peer.connection!.statistics.rx.packets).toBeGreaterThan(0);
        expect(peer.connection!.statistics.rx_reordered.packets).toBe(0);
      }
    } catch (error) {
      process.stderr.write(`${logs()}\n`);
      throw error;
    }
  }, 120_000);
});
