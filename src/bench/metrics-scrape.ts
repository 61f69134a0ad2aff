// Scrapes a Prometheus endpoint from inside a namespace, for the supernode bench: `count`
// scrapes one after another (or `spaced` ms apart, as Prometheus scrapes every 15-60 s), each
// timed from the request to the last byte of the body as it arrives, or back to back for
// `seconds`. Prints {"times": [ms, …]} as JSON. node:http with one kept-alive connection, as
// Prometheus scrapes (fetch() cost 15-35 ms a request itself on the loaded machine).
// With `gzip` it asks for the body gzipped, as Prometheus does by default; the body is inflated
// after its time is taken (the scraper's own CPU is not the server's), to check it is whole.
//
//   node dist/bench/metrics-scrape.js URL count N [gzip] [spaced MS] | URL seconds S [gzip]
import { Agent, get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';

const USAGE = 'usage: metrics-scrape.js URL count N [gzip] [spaced MS] | URL seconds S [gzip]\n';
const [url, mode, amount, ...rest] = process.argv.slice(2);
const gzip = rest[0] === 'gzip';
const options = gzip ? rest.slice(1) : rest;
const spacingMs = options[0] === 'spaced' ? Number(options[1]) : 0;
if (url === undefined || (mode !== 'count' && mode !== 'seconds') || !Number(amount) || !(spacingMs >= 0) || options.length !== (options[0] === 'spaced' ? 2 : 0)) {
  process.stderr.write(USAGE);
  process.exit(2);
}
const headers = gzip ? { 'accept-encoding': 'gzip' } : {};
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
/** The last family of the text: a body without it was cut short. */
const LAST_LINE = /\n[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [^\n]+\n$/;

/** One scrape: the body as it came (gzipped or not) and ms until its last byte. */
function scrape(): Promise<{ ms: number; body: Buffer; gzipped: boolean }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    get(url!, { agent, headers }, (response) => {
      if (response.statusCode !== 200) reject(new Error(`${url}: HTTP ${response.statusCode}`));
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ ms: performance.now() - start, body: Buffer.concat(chunks), gzipped: response.headers['content-encoding'] === 'gzip' }));
      response.on('error', reject);
    }).on('error', reject);
  });
}

const times: number[] = [];
const until = performance.now() + Number(amount) * 1000;
while (mode === 'count' ? times.length < Number(amount) : performance.now() < until) {
  if (spacingMs > 0 && times.length > 0) await sleep(spacingMs);
  const { ms, body, gzipped } = await scrape();
  if (gzipped !== gzip) throw new Error(`asked for ${gzip ? 'gzip' : 'no encoding'}, got ${gzipped ? 'gzip' : 'none'}`);
  const text = (gzipped ? gunzipSync(body) : body).toString();
  if (!LAST_LINE.test(text)) throw new Error(`a scrape's text ends short: …${JSON.stringify(text.slice(-80))}`);
  times.push(ms);
}
agent.destroy();
process.stdout.write(JSON.stringify({ times }));
