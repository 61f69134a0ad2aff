// Scrapes a Prometheus endpoint from inside a namespace, for the supernode bench: `count`
// scrapes one after another, each timed from the request to the end of the body, or back to
// back for `seconds`. Prints {"times": [ms, …]} as JSON. node:http with one kept-alive
// connection, as Prometheus scrapes (fetch() cost 15-35 ms a request itself on the loaded machine).
//
//   node dist/bench/metrics-scrape.js URL count N | URL seconds S
import { Agent, get } from 'node:http';

const [url, mode, amount] = process.argv.slice(2);
if (url === undefined || (mode !== 'count' && mode !== 'seconds') || !Number(amount)) {
  process.stderr.write('usage: metrics-scrape.js URL count N | URL seconds S\n');
  process.exit(2);
}
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function scrape(): Promise<void> {
  return new Promise((resolve, reject) => {
    get(url!, { agent }, (response) => {
      if (response.statusCode !== 200) reject(new Error(`${url}: HTTP ${response.statusCode}`));
      response.resume();
      response.on('end', resolve);
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
