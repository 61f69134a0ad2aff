// `fastd-ts status` as an operator runs it: against fastd-ts and against Debian fastd, the two
// ends of one TAP tunnel, and the ways it fails (no socket, not a socket, permission denied,
// a daemon that does not answer), each as a clear message and exit status 1.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { KEY_PREFIX_LENGTH } from '../../src/status/status-table.js';
import { STATUS_TIMEOUT_MS } from '../../src/status/status-client.js';
import { requireTunnel, sharedTunnel, type Tunnel } from '../interop/harness/tunnel.js';
import { CLI, runCli, runCommand } from './run-cli.js';
import { until } from '../helpers/wait.js';
import type { StatusDocument } from '../../src/status/status-json.js';

const ok = requireTunnel('cli: fastd-ts status against fastd-ts and Debian fastd');
const MAC = /[0-9a-f]{2}(:[0-9a-f]{2}){5}/;
/** Longer than a worker takes to report an address it learnt. */
const MAC_DEADLINE_MS = 10_000;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[/;

describe.runIf(ok)('fastd-ts status', () => {
  const shared = sharedTunnel({
    mode: 'tap',
    methods: ['salsa2012+umac'],
    sides: [
      { kind: 'fastd-ts', initiates: false },
      { kind: 'fastd', initiates: true },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-status-'));
  let tunnel: Tunnel;

  beforeAll(async () => {
    tunnel = shared();
    // traffic both ways, so that each side has learnt the other's MAC address, which a status
    // document shows once the worker has reported it
    await tunnel.ping(1, { count: 2, deadlineSeconds: 10 });
    for (const index of [0, 1] as const) {
      const peerKey = tunnel.daemons[1 - index]!.spec.keys.public;
      await until(`side ${index}'s status to list a MAC address behind its peer`, MAC_DEADLINE_MS, async () => {
        const status = (await tunnel.status(index)) as StatusDocument;
        return (status.peers[peerKey]?.connection?.mac_addresses?.length ?? 0) > 0 ? true : undefined;
      });
    }
  });

  for (const [index, kind] of [
    [0, 'fastd-ts'],
    [1, 'Debian fastd'],
  ] as const) {
    it(`shows ${kind}'s peer as an aligned table row`, async () => {
      const daemon = tunnel.daemons[index];
      const other = tunnel.daemons[1 - index]!;
      const result = await runCli(['status', daemon.spec.statusSocket]);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const lines = result.stdout.split('\n');
      expect(lines).toContain('  peers: 1 connected of 1');
      const header = lines.find((line) => line.startsWith('NAME'));
      const row = lines.find((line) => line.includes(other.spec.keys.public.slice(0, KEY_PREFIX_LENGTH)));
      expect(header, result.stdout).toBeDefined();
      expect(row, result.stdout).toBeDefined();
      const cells = row!.split(/\s{2,}/);
      expect(cells.slice(0, 5)).toEqual([other.label, other.spec.keys.public.slice(0, KEY_PREFIX_LENGTH), other.spec.bind, 'connected', 'salsa2012+umac']);
      expect(cells.at(-1)).toMatch(MAC);
      // aligned: each column starts where its heading does
      for (const heading of ['ADDRESS', 'STATE', 'METHOD', 'SINCE', 'RX', 'TX', 'MACS']) {
        const at = header!.indexOf(heading);
        expect(row![at - 1], heading).toBe(' ');
        expect(row![at], heading).not.toBe(' ');
      }
      expect(result.stdout).not.toMatch(ANSI);
    });

    it(`passes ${kind}'s JSON through with --json`, async () => {
      const result = await runCli(['status', '--json', tunnel.daemons[index].spec.statusSocket]);
      expect(result.status).toBe(0);
      const shown = JSON.parse(result.stdout) as { peers: object };
      const fetched = (await tunnel.status(index)) as { peers: object };
      expect(Object.keys(shown.peers)).toEqual(Object.keys(fetched.peers));
    });
  }

  it('finds the socket in a configuration with --config', async () => {
    const result = await runCli(['status', '--config', tunnel.daemons[0].configPath]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(tunnel.daemons[1].spec.keys.public.slice(0, KEY_PREFIX_LENGTH));
  });

  it('says so when there is no socket, or no socket but a file', async () => {
    const missing = await runCli(['status', join(dir, 'missing.sock')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no status socket at .*missing\.sock/);
    const file = join(dir, 'file');
    writeFileSync(file, '');
    const notSocket = await runCli(['status', file]);
    expect(notSocket.status).toBe(1);
    expect(notSocket.stderr).toMatch(/nothing answers at .*file/);
  });

  it('says permission denied where the socket refuses the caller', async () => {
    // root without the capability to override file permissions meets a socket of mode 000
    const path = join(dir, 'locked.sock');
    const server = await listen(path, (socket) => socket.end('{}'));
    try {
      await runCommand('chmod', ['000', path]);
      const result = await runCommand('setpriv', ['--bounding-set=-dac_override,-dac_read_search', process.execPath, CLI, 'status', path]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`permission denied on ${path}`);
    } finally {
      server.close();
    }
  });

  it('gives up on a daemon that does not answer', async () => {
    const path = join(dir, 'silent.sock');
    const server = await listen(path, () => {});
    try {
      const result = await runCli(['status', path]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`did not answer within ${STATUS_TIMEOUT_MS / 1000} s`);
    } finally {
      server.close();
    }
  }, STATUS_TIMEOUT_MS + 10_000);
});

function listen(path: string, onConnection: Parameters<typeof createServer>[1]): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(onConnection);
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}
