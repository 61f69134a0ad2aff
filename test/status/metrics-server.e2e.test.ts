// The Prometheus endpoint of a running fastd-ts with Debian fastd at the other end of a TAP
// tunnel: a scrape read back and held against the status socket's JSON fetched just before
// and just after it (counters between the two, everything else equal), the other paths of
// the server, and a start-up that fails clearly when the port is taken.
import { basename, dirname, join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { StatusDocument, StatusStatistics } from '../../src/status/status-json.js';
import { requireTunnel, sharedTunnel, type Tunnel, TUNNEL_INTERFACE } from '../interop/harness/tunnel.js';
import { parseExposition, samplesOf, valueOf, type Exposition } from '../helpers/prometheus-text.js';
import { CLI } from '../cli/run-cli.js';

const ok = requireTunnel('status: the metrics endpoint of fastd-ts against Debian fastd');
const LISTEN = '127.0.0.1:9281';
const TRAFFIC = ['rx', 'rx_reordered', 'tx', 'tx_dropped', 'tx_error'] as const;

/** An HTTP GET from inside side 0's namespace, where the daemon listens: status line and body. */
async function get(tunnel: Tunnel, path: string): Promise<{ status: number; body: string }> {
  const script = `const r = await fetch('http://${LISTEN}${path}'); process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() }));`;
  const result = await tunnel.side(0).run(process.execPath, ['--input-type=module', '-e', script]);
  if (result.code !== 0) throw new Error(`GET ${path} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as { status: number; body: string };
}

function expectBetween(exposition: Exposition, prefix: string, labels: Record<string, string>, before: StatusStatistics, after: StatusStatistics): void {
  for (const stat of TRAFFIC) {
    for (const unit of ['packets', 'bytes'] as const) {
      const value = valueOf(exposition, `${prefix}_${stat}_${unit}`, labels);
      expect(value, `${prefix}_${stat}_${unit}`).toBeGreaterThanOrEqual(before[stat][unit]);
      expect(value, `${prefix}_${stat}_${unit}`).toBeLessThanOrEqual(after[stat][unit]);
    }
  }
}

describe.runIf(ok)('metrics listen', () => {
  const shared = sharedTunnel({
    mode: 'tap',
    methods: ['salsa2012+umac'],
    sides: [
      { kind: 'fastd-ts', initiates: false, extraStatements: [`metrics listen "${LISTEN}"`] },
      { kind: 'fastd', initiates: true },
    ],
  });

  it('serves what the status socket says, in fastd-exporter names', async () => {
    const tunnel = shared();
    await tunnel.ping(1, { count: 3, deadlineSeconds: 10 });
    const before = (await tunnel.status(0)) as StatusDocument;
    const scrape = await get(tunnel, '/metrics');
    const after = (await tunnel.status(0)) as StatusDocument;
    expect(scrape.status).toBe(200);
    const exposition = parseExposition(scrape.body);
    const instance = basename(dirname(tunnel.daemons[0].configPath));
    expect(samplesOf(exposition, 'fastd_up')).toEqual([{ name: 'fastd_up', labels: { fastd_instance: instance }, value: 1 }]);
    expectBetween(exposition, 'fastd', {}, before.statistics, after.statistics);

    const key = tunnel.daemons[1].spec.keys.public;
    const peer = { public_key: key, name: 'b', interface: TUNNEL_INTERFACE };
    expect(valueOf(exposition, 'fastd_peers_up_total')).toBe(1);
    expect(valueOf(exposition, 'fastd_peer_up', peer)).toBe(1);
    expect(samplesOf(exposition, 'fastd_peer_info', { ...peer, method: before.peers[key]!.connection!.method!, ipaddr_family: 'IPv4' })).toHaveLength(1);
    const uptime = valueOf(exposition, 'fastd_peer_uptime_seconds', peer);
    expect(uptime).toBeGreaterThanOrEqual(before.peers[key]!.connection!.established / 1000);
    expect(uptime).toBeLessThanOrEqual(after.peers[key]!.connection!.established / 1000);
    expectBetween(exposition, 'fastd_peer', peer, before.peers[key]!.connection!.statistics, after.peers[key]!.connection!.statistics);

    for (const [reason, count] of Object.entries(before['fastd-ts'].dropped)) {
      const value = valueOf(exposition, 'fastd_ts_dropped_packets_total', { reason });
      expect(value, reason).toBeGreaterThanOrEqual(count);
      expect(value, reason).toBeLessThanOrEqual(after['fastd-ts'].dropped[reason as keyof StatusDocument['fastd-ts']['dropped']]);
    }
    expect(valueOf(exposition, 'fastd_ts_io_backend', { backend: before['fastd-ts'].io_backend! })).toBe(1);
    expect(samplesOf(exposition, 'process_resident_memory_bytes')).toHaveLength(1);
  });

  it('links the metrics from / and knows no other path', async () => {
    const tunnel = shared();
    expect((await get(tunnel, '/')).body).toContain('href="/metrics"');
    expect((await get(tunnel, '/status')).status).toBe(404);
  });

  it('refuses to start, with a clear message, when the port is taken', async () => {
    const tunnel = shared();
    const config = join(tunnel.dir, 'second.conf');
    const { secret } = tunnel.daemons[0].spec.keys;
    const peerKey = tunnel.daemons[1].spec.keys.public;
    writeFileSync(config, `secret "${secret}";\nmode tun;\ninterface "fts-second";\nbind 127.0.0.1:10099;\npeer "b" { key "${peerKey}"; }\nmetrics listen "${LISTEN}";\n`);
    const result = await tunnel.side(0).run(process.execPath, [CLI, '--config', config], 30_000);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`unable to serve metrics at ${LISTEN}: the port is in use`);
  });
});
