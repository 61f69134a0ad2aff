// The Prometheus endpoint (`metrics listen` / --metrics-listen): a small HTTP server on the
// control plane's thread. Each scrape of /metrics reads what the status socket's document would
// be made of at that moment and turns it into metrics (metrics.ts); the datapath workers are
// not asked for anything a status fetch would not ask them.
//
// The body is gzipped when the scraper accepts it, as Prometheus does by default and as
// client_golang's promhttp answers: with 1,000 peers the text is 2.3 MB, and gzip's fastest
// level makes it ~550 KB (each peer's key comes back in every family, further back than
// deflate's 32 KB window) in 17-30 ms of CPU on this machine. That CPU is spent off this thread
// (libuv's pool), in pieces compressed side by side, each a gzip member of its own: RFC 1952
// makes a gzip file a series of members, which Go's gzip.Reader (Prometheus's), zlib's gunzip
// and curl read as one text. The first goes out while the later ones are still compressed.
import { availableParallelism } from 'node:os';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';
import type { ListenAddress } from '../config/addresses.js';
import type { DaemonMetrics } from './metrics.js';
import type { StatusSource } from './status-json.js';
import { WarmRender } from './warm-render.js';

export const METRICS_PATH = '/metrics';
const INDEX_PAGE = `<html><head><title>fastd-ts</title></head><body><h1>fastd-ts</h1><p><a href="${METRICS_PATH}">Metrics</a></p></body></html>\n`;

const compress = promisify(gzip);
/**
 * Gzip members of a text: one a core, at most libuv's pool (4 threads by default). Smaller
 * pieces cost this thread more (a zlib stream each: 256 KB pieces of 1,000 peers' text took it
 * 4-8 ms, halves 2-4 ms, the whole 2-3 ms, in-process here) and saved no time.
 */
const MEMBERS = Math.min(4, availableParallelism());
/** Text a member has at least: a smaller text is one member. */
const MIN_MEMBER_BYTES = 64 * 1024;
/**
 * gzip's fastest level. A member's output comes in one piece of up to half its text (the text
 * deflates to a quarter): zlib's one-shot gzip copies several pieces into one more buffer, and
 * each piece is a turn between the pool and this thread.
 */
const GZIP_LEVEL = constants.Z_BEST_SPEED;
/** A member's output room as a share of its text, and at least. */
const OUTPUT_SHARE = 0.5;
const MIN_OUTPUT_BYTES = 64 * 1024;

/** A rehearsal's requests, one a connection: the text plain, then gzipped, as Prometheus asks. */
const REHEARSALS = [
  `GET ${METRICS_PATH} HTTP/1.1\r\nhost: fastd-ts\r\nconnection: close\r\n\r\n`,
  `GET ${METRICS_PATH} HTTP/1.1\r\nhost: fastd-ts\r\naccept-encoding: gzip\r\nconnection: close\r\n\r\n`,
];
/** How long a rehearsal's request may stay unanswered before its connection is dropped. */
const REHEARSAL_TIMEOUT_MS = 10_000;

/** Whether Accept-Encoding allows gzip (a `q=0` refuses it). */
export function acceptsGzip(header: string | undefined): boolean {
  return (header ?? '').split(',').some((coding) => {
    const [name, ...parameters] = coding.split(';').map((part) => part.trim());
    return name?.toLowerCase() === 'gzip' && !parameters.some((parameter) => /^q=0(\.0*)?$/i.test(parameter));
  });
}

export class MetricsServerError extends Error {
  override name = 'MetricsServerError';
}

export class MetricsServer {
  private constructor(
    private readonly server: Server,
    private readonly warm: WarmRender,
  ) {}

  /**
   * Listens at `listen`; rejects with the reason an operator can act on. Scrapes itself once as
   * soon as it listens, and again once peers have connected (warm-render.ts): a rehearsal, the
   * text plain and then gzipped, each over a connection of its own to its own address, the body
   * read and dropped. So the first scrape finds the writer compiled and the peers' labels
   * encoded (a first render with 1,000 peers connected took 80-115 ms of CPU after one unsent
   * render, 130-190 ms without, warm 5-30 ms; in-process, loaded machine), zlib run, and
   * node's HTTP server, its parser and a 2.3 MB response past their first run: after unsent
   * renders that never went through them, the first scrape with 1,000 routers still cost the
   * main thread 25-28 ms of CPU against 6 for a later one.
   */
  static async open(listen: ListenAddress, metrics: DaemonMetrics, source: () => StatusSource): Promise<MetricsServer> {
    const server = createServer((request, response) => void serve(request, response, metrics, source));
    await listening(server, listen);
    const rehearse = () => void rehearsal(server);
    setImmediate(rehearse);
    return new MetricsServer(server, new WarmRender(rehearse, metrics));
  }

  /** A peer's session came up or went down. */
  peersChanged(): void {
    this.warm.peersChanged();
  }

  close(): void {
    this.warm.close();
    this.server.close();
    this.server.closeAllConnections();
  }
}

function listening(server: Server, listen: ListenAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
      reject(new MetricsServerError(`unable to serve metrics at ${where}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.message}`));
    });
    server.listen({ host: listen.host, port: listen.port, ipv6Only: false }, resolve);
  });
}

/** Where the server reaches itself: its own address, loopback's for an unspecified one. */
function selfAddress(server: Server): { host: string; port: number } {
  const { address, port } = server.address() as AddressInfo;
  return { host: address === '::' ? '::1' : address === '0.0.0.0' ? '127.0.0.1' : address, port };
}

/** The server scrapes itself, plain and then gzipped, and drops what it is sent (see open). */
async function rehearsal(server: Server): Promise<void> {
  for (const request of REHEARSALS) {
    if (!server.listening) return;
    // a failed rehearsal only leaves the next scrape cold; a failed render answers that scrape with its error (500)
    await new Promise<void>((resolve) => {
      const socket = connect(selfAddress(server));
      socket.setTimeout(REHEARSAL_TIMEOUT_MS, () => socket.destroy());
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
      socket.resume();
      socket.write(request);
    });
  }
}

async function serve(request: IncomingMessage, response: ServerResponse, metrics: DaemonMetrics, source: () => StatusSource): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const path = (request.url ?? '/').split('?')[0];
  if (path === '/') {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(INDEX_PAGE);
    return;
  }
  if (path !== METRICS_PATH) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  const gzipped = acceptsGzip(request.headers['accept-encoding']);
  const headers: OutgoingHttpHeaders = { 'content-type': metrics.contentType, vary: 'accept-encoding', ...(gzipped ? { 'content-encoding': 'gzip' } : {}) };
  try {
    await metrics.render(source(), async (text) => {
      response.writeHead(200, headers);
      if (request.method === 'HEAD') response.end();
      else if (gzipped) await sendGzipped(response, text);
      // the text stays lent until the kernel has it all (or the scraper has gone)
      else await finished(response.end(text)).catch(() => undefined);
    });
  } catch (error) {
    if (response.headersSent) response.destroy();
    else response.writeHead(500, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`);
  }
}

/** `text` as gzip members (see the top), compressed side by side in libuv's pool; the pool reads the text until each is done. */
function gzipMembers(text: Buffer): Promise<Buffer>[] {
  const count = Math.max(1, Math.min(MEMBERS, Math.floor(text.length / MIN_MEMBER_BYTES)));
  const size = Math.ceil(text.length / count);
  const options = { level: GZIP_LEVEL, chunkSize: Math.max(MIN_OUTPUT_BYTES, Math.ceil(OUTPUT_SHARE * size)) };
  return Array.from({ length: count }, (_, i) => compress(text.subarray(i * size, (i + 1) * size), options));
}

/** `text` as gzip members, written in order as each is done. */
async function sendGzipped(response: ServerResponse, text: Buffer): Promise<void> {
  const members = gzipMembers(text);
  try {
    for (const member of members) {
      const data = await member;
      if (response.destroyed) break;
      response.write(data);
    }
  } finally {
    // the pool reads the text until each member it was given is done
    await Promise.allSettled(members);
  }
  response.end();
}
