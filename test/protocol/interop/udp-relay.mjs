// A UDP socket inside a network namespace, driven by the test process over stdio: every
// datagram received is printed as a JSON line, every JSON line read is sent. All protocol
// logic stays in the test process; this child only exists because the socket must live in
// the namespace. Usage: node udp-relay.mjs <port>
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';

const port = Number(process.argv[2]);
const socket = createSocket('udp4');

socket.on('message', (message, remote) => {
  process.stdout.write(`${JSON.stringify({ port: remote.port, hex: message.toString('hex') })}\n`);
});
socket.on('error', (error) => {
  process.stderr.write(`udp-relay: ${error.message}\n`);
  process.exit(1);
});
socket.bind(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: port })}\n`);
});

createInterface({ input: process.stdin }).on('line', (line) => {
  const { port: to, hex } = JSON.parse(line);
  socket.send(Buffer.from(hex, 'hex'), to, '127.0.0.1');
});
process.stdin.on('end', () => socket.close());
