// The prober of the RTT bench's wake floor: sends one datagram at a time to a UDP echo on
// loopback, waits for the answer, then pauses for the gap (long gaps leave the echo server's
// path cold). The echo's time is taken from a capture, so this process's own wake-ups do not count.
// Run (inside the namespace): node dist/bench/rtt-probe.js <server port> <own port> <count> <gap ms>
// With count 0 it only retries until the server answers at all (run that before capturing).
import { createSocket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { runAsScript } from './script.js';

const LOOPBACK = '127.0.0.1';
const PROBE = Buffer.alloc(32, 0x5a);
const ANSWER_DEADLINE_MS = 1_000;
const READY_RETRY_MS = 100;
const READY_DEADLINE_MS = 15_000;

async function main(argv: readonly string[]): Promise<number> {
  const [serverPort, ownPort, count, gapMs] = argv.map(Number);
  if (argv.length !== 4 || [serverPort, ownPort, count, gapMs].some((n) => !Number.isInteger(n) || n! < 0)) {
    process.stderr.write('usage: node dist/bench/rtt-probe.js <server port> <own port> <count> <gap ms>\n');
    return 2;
  }
  const socket = createSocket('udp4');
  let answered: (() => void) | undefined;
  socket.on('message', () => answered?.());
  await new Promise<void>((resolve) => socket.bind(ownPort, LOOPBACK, resolve));
  // A fixed own port: socat's UDP-LISTEN answers only the address of its first datagram.
  const probe = (deadlineMs: number) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), deadlineMs);
      answered = () => {
        clearTimeout(timer);
        resolve(true);
      };
      socket.send(PROBE, serverPort!, LOOPBACK);
    });
  try {
    const readyBy = Date.now() + READY_DEADLINE_MS;
    while (count === 0 && !(await probe(READY_RETRY_MS))) {
      if (Date.now() > readyBy) throw new Error(`no echo on ${LOOPBACK}:${serverPort} within ${READY_DEADLINE_MS} ms`);
    }
    for (let sent = 0; sent < count!; sent++) {
      await sleep(gapMs!);
      await probe(ANSWER_DEADLINE_MS);
    }
    return 0;
  } finally {
    socket.close();
  }
}

runAsScript(import.meta.url, 'RTT probe', main);
