// Scrapes a Prometheus endpoint from inside a namespace, for the supernode bench: `count`
// scrapes one after another, each timed from the request to the end of the body, or back to
// back for `seconds`. Prints {"times": [ms, …]} as JSON. node:http with one kept-alive
// connection, as Prometheus scrapes (fetch() cost 15-35 ms a request itself on the loaded machine).
// With `gzip` it asks for the body gzipped, as Prometheus does by default, and inflates it.
//
//   node dist/bench/metrics-scrape.js URL count N [gzip] | URL seconds S [gzip]
import { Agent, get } from 'node:http';
import { createGunzip } from 'node:zlib';

const [url, mode, amount, encoding] = process.argv.slice(2);
if (url === undefined || (mode !== 'count' && mode !== 'seconds') || !Number(amount) || (encoding !== undefined && encoding !== 'gzip')) {
  process.stderr.write('usage: metrics-scrape.js URL count N [gzip] | URL seconds S [gzip]\n');
  process.exit(2);
}
const headers = encoding === 'gzip' ? { 'accept-encoding': 'gzip' } : {};
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function scrape(): Promise<void> {
  return new Promise((resolve, reject) => {
    get(url!, { agent, headers }, (response) => {
      if (response.statusCode !== 200) reject(new Error(`${url}: HTTP ${response.statusCode}`));
      const body = response.headers['content-encoding'] === 'gzip' ? response.pipe(createGunzip()) : response;
      body.resume();
      body.on('end', resolve).on('error', reject);
    }).on('error', reject);
  });
}

const times: number[] = [];
const until = performance.now() + Number(amount) * 1000;
while (mode === 'count' ? times.length < Number(amount) : performance.now() < until) {
  const start = performance.now();
  await scrape();
  times.push(performance.now() - start);
}
agent.destroy();
process.stdout.write(JSON.stringify({ times }));
