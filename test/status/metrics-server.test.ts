// The metrics endpoint's encodings, in-process on loopback: gzip when the scraper accepts it
// (Prometheus asks for it by default), the same text either way, plain text otherwise; and the
// rehearsals before a first scrape: the server scrapes itself, plain and gzipped (zlib's gzip
// and the responses' heads are watched).
import { request, ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { gunzipSync, gzip, inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DaemonMetrics } from '../../src/status/metrics.js';
import { TICK_MS } from '../../src/status/warm-render.js';
import { settle } from '../helpers/wait.js';
import { acceptsGzip, MetricsServer } from '../../src/status/metrics-server.js';
import type { StatusSource } from '../../src/status/status-json.js';
import { connectedPeers, statusSource } from '../helpers/status-source.js';

vi.mock('node:zlib', async (original) => {
  const zlib = await original<typeof import('node:zlib')>();
  return { ...zlib, gzip: vi.fn(zlib.gzip) };
});

const HOST = '127.0.0.1';

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function get(port: number, headers: Record<string, string>, method = 'GET'): Promise<{ headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request({ host: HOST, port, path: '/metrics', method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}

const GZIP_HEADER = 10;
const GZIP_TRAILER = 8;

/** The gzip members of a body one after another (RFC 1952 §2.2), each inflated by itself. */
function gzipMembers(body: Buffer): Buffer[] {
  const members: Buffer[] = [];
  for (let at = 0; at < body.length; ) {
    expect(body.readUInt16BE(at)).toBe(0x1f8b);
    const { buffer, engine } = inflateRawSync(body.subarray(at + GZIP_HEADER), { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    members.push(buffer);
    at += GZIP_HEADER + engine.bytesWritten + GZIP_TRAILER;
  }
  return members;
}

const peers = connectedPeers(50);
const source = () => statusSource(peers, 'tun');

interface Served {
  port: number;
  server: MetricsServer;
  readonly metrics: DaemonMetrics;
}

/** A metrics server over `from` for the enclosing describe block; `port` and `server` are set once it listens. */
function serving(from: () => StatusSource): Served {
  const served = { port: 0, metrics: new DaemonMetrics('ffda', false) } as Served;
  beforeAll(async () => {
    served.port = await freePort();
    served.server = await MetricsServer.open({ host: HOST, port: served.port }, served.metrics, from);
  });
  afterAll(() => served.server.close());
  return served;
}

describe('MetricsServer', () => {
  const served = serving(source);

  it('gzips the text for a scraper that accepts it, and sends it plain to one that does not', async () => {
    const plain = await get(served.port, {});
    const gzipped = await get(served.port, { 'accept-encoding': 'gzip' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.body.length).toBeLessThan(plain.body.length / 4);
    expect(gunzipSync(gzipped.body).toString()).toBe(plain.body.toString());
    expect(plain.body.toString()).toContain('fastd_peer_up{public_key="');
  });

  it('answers HEAD with the headers a GET would have', async () => {
    const head = await get(served.port, { 'accept-encoding': 'gzip' }, 'HEAD');
    expect(head.headers['content-encoding']).toBe('gzip');
    expect(head.body.length).toBe(0);
  });
});

describe('acceptsGzip', () => {
  it("reads Accept-Encoding's codings and their weights", () => {
    expect(acceptsGzip('gzip')).toBe(true);
    expect(acceptsGzip('deflate, GZIP;q=0.5')).toBe(true);
    expect(acceptsGzip('identity, gzip;q=0')).toBe(false);
    expect(acceptsGzip('x-gzip-not')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });
});

describe('MetricsServer with 1,000 connected peers', () => {
  const many = Array.from({ length: 1000 }, (_, peerId) => ({ ...peers[0]!, key: peerId.toString(16).padStart(64, '0'), name: `router-${peerId}`, peerId }));
  const large = (): StatusSource => ({ ...source(), peers: many });
  const served = serving(large);

  it('sends a large text gzipped in members compressed side by side, one a core, which together are the text', async () => {
    const gzipped = await get(served.port, { 'accept-encoding': 'gzip' });
    const members = gzipMembers(gzipped.body);
    expect(members).toHaveLength(Math.min(4, availableParallelism()));
    const text = Buffer.concat(members).toString();
    expect(gunzipSync(gzipped.body).toString()).toBe(text);
    expect(text).toMatch(/^# HELP fastd_up /);
    expect(text).toContain(`fastd_peer_rx_bytes{public_key="${many[999]!.key}"`);
  });

});

describe('MetricsServer, before its first scrape', () => {
  let connected = false;
  let sources = 0;
  const served = serving(() => {
    sources++;
    return { ...source(), peers: peers.map((peer) => ({ ...peer, establishedAt: connected ? peer.establishedAt : undefined })) };
  });

  it('renders the peers unsent once they have connected and stayed so a while: their labels are encoded before a scrape', async () => {
    // the render as it opened, with none connected
    await settle(() => sources > 0);
    expect(served.metrics.connectedPeers).toBe(0);
    connected = true;
    for (const _ of peers) served.server.peersChanged();
    await settle(() => served.metrics.connectedPeers === peers.length, 10 * TICK_MS);
    expect(served.metrics.connectedPeers).toBe(peers.length);
  });
});

describe('MetricsServer, before its first scrape over HTTP', () => {
  const heads: unknown[][] = [];
  beforeAll(() => {
    const writeHead = ServerResponse.prototype.writeHead;
    vi.spyOn(ServerResponse.prototype, 'writeHead').mockImplementation(function (this: ServerResponse, ...args: unknown[]) {
      heads.push(args);
      return (writeHead as (...all: unknown[]) => ServerResponse).apply(this, args);
    });
  });
  afterAll(() => vi.mocked(ServerResponse.prototype.writeHead).mockRestore());
  serving(source);

  it("answers a scrape of its own, plain and then gzipped, so that the first scraper's is not node's HTTP server's first response", async () => {
    await settle(() => heads.length >= 2);
    expect(heads.map(([status, headers]) => [status, (headers as Record<string, string>)['content-encoding']])).toEqual([
      [200, undefined],
      [200, 'gzip'],
    ]);
  });
});

describe('MetricsServer, before its first gzipped scrape', () => {
  beforeAll(() => {
    vi.mocked(gzip).mockClear();
  });
  const served = serving(source);

  it("gzips the text it renders unsent, so that the first gzipped scrape is not zlib's first run", async () => {
    await settle(() => vi.mocked(gzip).mock.calls.length > 0);
    const gzipped = vi.mocked(gzip).mock.calls.reduce((sum, [input]) => sum + (input as Buffer).length, 0);
    expect(gzipped).toBe((await get(served.port, {})).body.length);
  });
});
