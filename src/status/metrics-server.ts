// The Prometheus endpoint (`metrics listen` / --metrics-listen): a small HTTP server on the
// control plane's thread. Each scrape of /metrics reads what the status socket's document would
// be made of at that moment and turns it into metrics (metrics.ts); the datapath workers are
// not asked for anything a status fetch would not ask them.
//
// The body is gzipped when the scraper accepts it, as Prometheus does by default and as
// client_golang's promhttp answers: with 1,000 peers the text is 2.3 MB, gzip's fastest
// level makes it 180 KB in ~5 ms of CPU, off this thread (libuv's pool), and on the loaded
// machine moving the 2.3 MB between two processes took 20-30 ms by itself.
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';
import type { ListenAddress } from '../config/addresses.js';
import type { DaemonMetrics } from './metrics.js';
import type { StatusSource } from './status-json.js';

export const METRICS_PATH = '/metrics';
const INDEX_PAGE = `<html><head><title>fastd-ts</title></head><body><h1>fastd-ts</h1><p><a href="${METRICS_PATH}">Metrics</a></p></body></html>\n`;

const compress = promisify(gzip);
/** gzip's output in one piece for a 1,000-peer scrape (each piece is a turn between the pool and this thread). */
const GZIP_CHUNK = 256 * 1024;

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
  private constructor(private readonly server: Server) {}

  /** Listens at `listen`; rejects with the reason an operator can act on. */
  static open(listen: ListenAddress, metrics: DaemonMetrics, source: () => StatusSource): Promise<MetricsServer> {
    const server = createServer((request, response) => void serve(request, response, metrics, source));
    return new Promise((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        const where = `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
        reject(new MetricsServerError(`unable to serve metrics at ${where}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.message}`));
      });
      server.listen({ host: listen.host, port: listen.port, ipv6Only: false }, () => resolve(new MetricsServer(server)));
    });
  }

  close(): void {
    this.server.close();
    this.server.closeAllConnections();
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
  try {
    const body = await metrics.render(source());
    const gzipped = acceptsGzip(request.headers['accept-encoding']);
    const headers: OutgoingHttpHeaders = { 'content-type': metrics.contentType, vary: 'accept-encoding', ...(gzipped ? { 'content-encoding': 'gzip' } : {}) };
    if (request.method === 'HEAD') {
      response.writeHead(200, headers).end();
      return;
    }
    response.writeHead(200, headers).end(gzipped ? await compress(body, { level: constants.Z_BEST_SPEED, chunkSize: GZIP_CHUNK }) : body);
  } catch (error) {
    response.writeHead(500, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`);
  }
}
