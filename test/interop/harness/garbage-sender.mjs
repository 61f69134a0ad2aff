// Sends junk at a fastd port from inside a namespace: half random datagrams (random length
// and bytes), half truncated ones that start like real fastd packets (data 0x00, handshake
// 0x01, pre-v22 data 0x02) but stop short. Prints the number sent as JSON.
// Usage: node garbage-sender.mjs <address> <port> <count>
import { randomBytes, randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';

const [address, portText, countText] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
/** Packet types of fastd's protocol.rst: data, handshake, pre-v22 data. */
const TYPES = [0x00, 0x01, 0x02];
/** Longest random datagram: a full-size fastd packet on a 1500-byte underlay. */
const MAX_RANDOM = 1472;
/** Truncated packets are shorter than the smallest method header (type + 24-byte header). */
const MAX_TRUNCATED = 24;

function junk(index) {
  if (index % 2 === 0) return randomBytes(randomInt(0, MAX_RANDOM + 1));
  const packet = randomBytes(randomInt(1, MAX_TRUNCATED + 1));
  packet[0] = TYPES[index % TYPES.length];
  return packet;
}

const socket = createSocket('udp4');
let sent = 0;
function next() {
  if (sent === count) {
    socket.close();
    process.stdout.write(`${JSON.stringify({ sent })}\n`);
    return;
  }
  socket.send(junk(sent), port, address, (error) => {
    if (error) throw error;
    sent += 1;
    next();
  });
}
next();
