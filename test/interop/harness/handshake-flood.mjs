// Sends the same handshake packets from many source addresses of this namespace at a fastd
// port, one round per interval, and counts what comes back to each source. The addresses
// must exist on an interface here; to the daemon they look like strangers claiming a key.
// Prints {"rounds","sources","sentPackets","sentBytes","answeredPackets","answeredBytes","answeringSources",
// "firstRoundAt","lastRoundAt"} (the rounds' start times, Date.now()).
// Usage: node handshake-flood.mjs '<json: {target, port, sources, packets (hex), rounds, intervalMs}>'
// (packetsBySource instead of packets: a list of packets for each source, in the order of sources)
import { createSocket } from 'node:dgram';

const { target, port, sources, packets, packetsBySource, rounds, intervalMs } = JSON.parse(process.argv[2]);
const toDatagrams = (list) => list.map((hex) => Buffer.from(hex, 'hex'));
const datagramsBySource = packetsBySource ? packetsBySource.map(toDatagrams) : sources.map(() => toDatagrams(packets));
/** Answers may come a moment after the last round. */
const LINGER_MS = 1_500;

const counts = {
  rounds,
  sources: sources.length,
  sentPackets: 0,
  sentBytes: 0,
  answeredPackets: 0,
  answeredBytes: 0,
  answeringSources: 0,
  firstRoundAt: 0,
  lastRoundAt: 0,
};
const answered = new Set();

const sockets = await Promise.all(
  sources.map(
    (address) =>
      new Promise((resolve, reject) => {
        const socket = createSocket('udp4');
        socket.on('message', (message) => {
          counts.answeredPackets += 1;
          counts.answeredBytes += message.length;
          answered.add(address);
        });
        socket.once('error', reject);
        socket.bind(0, address, () => resolve(socket));
      }),
  ),
);

function send(socket, datagram) {
  return new Promise((resolve, reject) =>
    socket.send(datagram, port, target, (error) => {
      if (error) return reject(error);
      counts.sentPackets += 1;
      counts.sentBytes += datagram.length;
      resolve();
    }),
  );
}

for (let round = 0; round < rounds; round++) {
  const started = Date.now();
  if (round === 0) counts.firstRoundAt = started;
  counts.lastRoundAt = started;
  for (const [i, socket] of sockets.entries()) for (const datagram of datagramsBySource[i]) await send(socket, datagram);
  if (round + 1 < rounds) await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - (Date.now() - started))));
}
await new Promise((resolve) => setTimeout(resolve, LINGER_MS));
for (const socket of sockets) socket.close();
counts.answeringSources = answered.size;
process.stdout.write(`${JSON.stringify(counts)}\n`);
