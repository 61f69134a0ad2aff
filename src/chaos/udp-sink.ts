// The init-flood bench's control (init-flood-bench.ts): a UDP socket bound in the daemon's
// namespace that is never read, so a flood aimed at it goes through the kernel's receive path
// and is dropped at the socket's full buffer, with no daemon doing any work for it: what the
// flooder and the kernel cost the box, told apart from what the daemon adds.
// Runs as a process of its own inside the namespace (sender-process.ts) and prints where it
// was bound, as JSON, when it gets SIGTERM.
// Usage: node udp-sink.js '<json: Endpoint>'
import { fileURLToPath } from 'node:url';
import { closeSocket, openUdpSocket } from '../io/udp.js';
import type { Endpoint } from './flood-sender.js';

export interface SinkFigures {
  readonly bound: string;
}

// Run as a script: bound until SIGTERM, never read.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const order = JSON.parse(process.argv[2]!) as Endpoint;
  const socket = openUdpSocket({ address: order.address, port: order.port });
  const alive = setInterval(() => undefined, 60_000);
  process.once('SIGTERM', () => {
    clearInterval(alive);
    closeSocket(socket);
    const figures: SinkFigures = { bound: `${socket.local.address}:${socket.local.port}` };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  });
}
