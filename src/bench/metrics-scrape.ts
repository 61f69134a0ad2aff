// Scrapes a Prometheus endpoint from inside a namespace, for the supernode bench: `count`
// scrapes one after another (or `spaced` ms apart, as Prometheus scrapes every 15-60 s), each
// timed from the request to the last byte of the body as it arrives, or back to back for
// `seconds`. Prints {"times": [ms, …]} as JSON. node:http with one kept-alive connection, as
// Prometheus scrapes (fetch() cost 15-35 ms a request itself on the loaded machine). With
// `cpu PID` it also reads, before and after each scrape, the CPU time of that process's main
// thread (the daemon's control plane), and prints each scrape's as "cpuMs".
// With `gzip` it asks for the body gzipped, as Prometheus does by default; the body is inflated
// after its time is taken (the scraper's own CPU is not the server's), to check it is whole.
// Before the first timed scrape the scraper's own HTTP client is run against a server of its
// own: in a fresh process node's client took 35 ms over its first request of a 2.3 MB body
// from a trivial local server and ~20 over its second (shared 2-core machine), which the bench
// counted as the daemon's first scrape and as the max of each batch; Prometheus, a process
// that runs for months, has no such start.
//
//   node dist/bench/metrics-scrape.js URL count N [gzip] [spaced MS] [cpu PID] | URL seconds S [gzip] [cpu PID]
import { randomBytes } from 'node:crypto';
import { Agent, createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { mainThreadCpuMsOf } from './daemon.js';

const USAGE = 'usage: metrics-scrape.js URL count N [gzip] [spaced MS] [cpu PID] | URL seconds S [gzip] [cpu PID]\n';
const [url, mode, amount, ...given] = process.argv.slice(2);
const cpuAt = given.indexOf('cpu');
const cpuPid = cpuAt >= 0 ? Number(given[cpuAt + 1]) : undefined;
const rest = cpuAt >= 0 ? given.slice(0, cpuAt) : given;
const gzip = rest[0] === 'gzip';
const options = gzip ? rest.slice(1) : rest;
const spacingMs = options[0] === 'spaced' ? Number(options[1]) : 0;
const badCpu = cpuAt >= 0 && (given.length !== cpuAt + 2 || !Number.isInteger(cpuPid));
if (url === undefined || (mode !== 'count' && mode !== 'seconds') || !Number(amount) || !(spacingMs >= 0) || options.length !== (options[0] === 'spaced' ? 2 : 0) || badCpu) {
  process.stderr.write(USAGE);
  process.exit(2);
}
const headers = gzip ? { 'accept-encoding': 'gzip' } : {};
/** Requests of the warm-up, and the lines of its body: 1,000 peers' text, as big and as hard to deflate (a key a line). */
const WARM_UPS = 3;
const WARM_UP_LINES = 20_000;
/** The last family of the text: a body without it was cut short. */
const LAST_LINE = /\n[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [^\n]+\n$/;

/** One scrape of `from`: the body as it came (gzipped or not) and ms until its last byte. */
function scrape(from: string, agent: Agent): Promise<{ ms: number; body: Buffer; gzipped: boolean }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    get(from, { agent, headers }, (response) => {
      if (response.statusCode !== 200) reject(new Error(`${from}: HTTP ${response.statusCode}`));
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ ms: performance.now() - start, body: Buffer.concat(chunks), gzipped: response.headers['content-encoding'] === 'gzip' }));
      response.on('error', reject);
    }).on('error', reject);
  });
}

/** The client's first requests, and the inflating after them, against a local server that answers as the daemon does. */
async function warmUp(): Promise<void> {
  const line = (i: number) => `fastd_peer_up{public_key="${randomBytes(32).toString('hex')}",name="warm-up-${i}"} 1\n`;
  const text = Buffer.from(Array.from({ length: WARM_UP_LINES }, (_, i) => line(i)).join(''));
  const body = gzip ? gzipSync(text) : text;
  const server = createServer((_, response) => response.writeHead(200, gzip ? { 'content-encoding': 'gzip' } : {}).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const local = new Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < WARM_UPS; i++) check(await scrape(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, local));
  local.destroy();
  server.close();
}

/** The body is whole and encoded as asked. */
function check({ body, gzipped }: { body: Buffer; gzipped: boolean }): void {
  if (gzipped !== gzip) throw new Error(`asked for ${gzip ? 'gzip' : 'no encoding'}, got ${gzipped ? 'gzip' : 'none'}`);
  const text = (gzipped ? gunzipSync(body) : body).toString();
  if (!LAST_LINE.test(text)) throw new Error(`a scrape's text ends short: …${JSON.stringify(text.slice(-80))}`);
}

await warmUp();
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const times: number[] = [];
const cpuMs: number[] = [];
const until = performance.now() + Number(amount) * 1000;
while (mode === 'count' ? times.length < Number(amount) : performance.now() < until) {
  if (spacingMs > 0 && times.length > 0) await sleep(spacingMs);
  const cpuBefore = cpuPid === undefined ? 0 : mainThreadCpuMsOf(cpuPid);
  const result = await scrape(url!, agent);
  if (cpuPid !== undefined) cpuMs.push(mainThreadCpuMsOf(cpuPid) - cpuBefore);
  check(result);
  times.push(result.ms);
}
agent.destroy();
process.stdout.write(JSON.stringify(cpuPid === undefined ? { times } : { times, cpuMs }));
