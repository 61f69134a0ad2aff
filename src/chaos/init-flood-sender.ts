// The init flood's sending process, started by init-flood.ts inside a namespace where a whole
// range of addresses is local (`ip route add local <range> dev lo`): one UDP socket on the
// wildcard address sends handshake inits with sendmmsg, each from the next address of the
// range (IP_PKTINFO), paced to the asked rate, and takes in with recvmmsg what comes back to
// those addresses: the daemon's answers, counted per source. A UDP socket rather than
// flood-sender.ts's raw one, because the answers must reach us to be counted.
// Prints its figures as one JSON line when it gets SIGTERM (or after `seconds`).
// Usage: node init-flood-sender.js '<json: InitFloodOrder>'
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createDatagramBatch } from '../io/batch.js';
import { FallbackDatagramIo } from '../io/batch-fallback.js';
import { SOCKADDR_SLOT } from '../io/linux-abi.js';
import { packetMemory } from '../io/native-memory.js';
import { writeSockaddr } from '../io/sockaddr.js';
import { closeSocket, forceSocketBuffers, openUdpSocket } from '../io/udp.js';
import type { Endpoint } from './flood-sender.js';

/** What init-flood.ts asks of the sender (JSON on its command line). */
export interface InitFloodOrder {
  readonly target: Endpoint;
  /** The first spoofed source address (IPv4) and how many follow it; each send takes the next, round robin. */
  readonly firstSource: string;
  readonly sources: number;
  /** The inits (hex), sent in turn. */
  readonly packets: readonly string[];
  /** Inits per second. */
  readonly rate: number;
  /** Stop by itself after this long (null: at SIGTERM). */
  readonly seconds: number | null;
}

export interface InitFloodFigures {
  readonly sent: number;
  readonly seconds: number;
  /** Inits per second reached. */
  readonly pps: number;
  /** Datagrams that came back to a spoofed source (the daemon's answers), and how many sources got any. */
  readonly answered: number;
  readonly answeringSources: number;
}

const SLOT = 2048;
const WASM_PAGE = 65_536;
/** Datagrams per sendmmsg / recvmmsg. */
const BATCH = 64;
/** Receive slots after the packets' slots. */
const RECEIVE_SLOTS = BATCH;
/** Most inits sent at one wake-up: 20 ms at the rate, so a stall is not made up in one burst. */
const CATCH_UP_SECONDS = 0.02;
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
const AF_INET_WORD = 2;
/** Answers to the last inits may come a moment after them. */
const LINGER_MS = 500;
/** Our end's port of every spoofed source (the daemon sees the address change, not the port). */
const SOURCE_PORT = 0;

/** An IPv4 address as a number (a.b.c.d → a·2^24 + …), and back as the word a sockaddr holds it in (network order in memory, read little-endian). */
function ipv4Number(address: string): number {
  return address.split('.').reduce((value, part) => value * 256 + Number(part), 0);
}
function addressWord(value: number): number {
  return (((value >>> 24) & 0xff) | (((value >>> 16) & 0xff) << 8) | (((value >>> 8) & 0xff) << 16) | ((value & 0xff) << 24)) >>> 0;
}
function wordValue(word: number): number {
  return ((word & 0xff) * 2 ** 24 + ((word >>> 8) & 0xff) * 65536 + ((word >>> 16) & 0xff) * 256 + ((word >>> 24) & 0xff)) >>> 0;
}

export async function initFlood(order: InitFloodOrder, stopped: () => boolean): Promise<InitFloodFigures> {
  const packets = order.packets.map((hex) => Buffer.from(hex, 'hex'));
  const pages = Math.ceil(((packets.length + RECEIVE_SLOTS) * SLOT) / WASM_PAGE);
  const memory = packetMemory(new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }));
  packets.forEach((packet, i) => memory.bytes.set(packet, i * SLOT));
  const socket = openUdpSocket({ address: '0.0.0.0', port: SOURCE_PORT, pktinfo: true });
  forceSocketBuffers(socket.fd, SOCKET_BUFFER_BYTES, SOCKET_BUFFER_BYTES);
  const io = new FallbackDatagramIo(socket.fd, memory, { capacity: BATCH, gso: false });
  const out = createDatagramBatch(BATCH);
  for (let k = 0; k < BATCH; k++) writeSockaddr(out.addresses, k, order.target);
  const answers = createDatagramBatch(BATCH);
  const firstSource = ipv4Number(order.firstSource);
  const answeredBy = new Uint8Array(order.sources);
  const words = SOCKADDR_SLOT / 4;
  let answered = 0;
  let answeringSources = 0;
  const receive = (): void => {
    for (;;) {
      for (let k = 0; k < BATCH; k++) {
        answers.offsets[k] = (packets.length + k) * SLOT;
        answers.lengths[k] = SLOT;
      }
      const n = io.receive(answers);
      for (let k = 0; k < n; k++) {
        answered++;
        const source = wordValue(answers.localWords[k * words + 1]!) - firstSource;
        if (source >= 0 && source < order.sources && answeredBy[source] === 0) {
          answeredBy[source] = 1;
          answeringSources++;
        }
      }
      if (n < BATCH) return;
    }
  };
  const started = performance.now();
  const until = order.seconds === null ? Infinity : started + order.seconds * 1000;
  let sent = 0;
  let next = 0;
  while (!stopped() && performance.now() < until) {
    let left = Math.min(Math.floor(((performance.now() - started) / 1000) * order.rate), sent + order.rate * CATCH_UP_SECONDS) - sent;
    while (left > 0) {
      const n = Math.min(left, BATCH);
      for (let k = 0; k < n; k++) {
        const i = next + k;
        out.offsets[k] = (i % packets.length) * SLOT;
        out.lengths[k] = packets[i % packets.length]!.length;
        out.localWords[k * words] = AF_INET_WORD;
        out.localWords[k * words + 1] = addressWord(firstSource + (i % order.sources));
      }
      out.count = n;
      const done = io.send(out);
      for (let k = 0; k < done; k++) if (out.errors[k] === 0) sent++;
      next = (next + done) % (packets.length * order.sources);
      left -= n;
      // the device queue is full: what is left of this turn is not sent (a flood loses it too)
      if (done < n) break;
    }
    receive();
    await sleep(1);
  }
  const seconds = (performance.now() - started) / 1000;
  await sleep(LINGER_MS);
  receive();
  io.close();
  closeSocket(socket);
  return { sent, seconds, pps: sent / seconds, answered, answeringSources };
}

// Run as a script: the order on the command line, the figures on stdout.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let stop = false;
  process.once('SIGTERM', () => (stop = true));
  const figures = await initFlood(JSON.parse(process.argv[2]!) as InitFloodOrder, () => stop);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}
