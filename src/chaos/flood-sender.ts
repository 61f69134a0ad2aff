// The garbage flood's sending process, started by garbage-flood.ts inside a namespace: it
// builds the mix (garbage-mix.ts) once, writes each datagram with its own IPv4 and UDP
// headers into a packet memory, and cycles through them with sendmmsg on a raw socket,
// paced to the asked rate. Node's dgram tops out at 50-100 kpps a core; sendmmsg batches
// reach 200 kpps. The raw socket lets copies of real packets leave from the peer's own
// address and port (spoofed), and random garbage from many ports of ours.
// Prints its figures as one JSON line when it has sent `count` datagrams or gets SIGTERM.
// Usage: node flood-sender.js '<json: SenderOrder>'
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createDatagramBatch } from '../io/batch.js';
import { FallbackDatagramIo } from '../io/batch-fallback.js';
import { check, socket } from '../io/libc.js';
import { AddressFamily, Protocol, SocketType } from '../io/linux-abi.js';
import { packetMemory } from '../io/native-memory.js';
import { IpProtocol, Ipv4, Udp } from '../io/offload/headers.js';
import { writeSockaddr } from '../io/sockaddr.js';
import { forceSocketBuffers } from '../io/udp.js';
import { buildGarbage, GARBAGE_KINDS, MAX_RANDOM, type GarbageKind, type GarbageMix } from './garbage-mix.js';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** What garbage-flood.ts asks of the sender (JSON on its command line). */
export interface SenderOrder {
  readonly target: Endpoint;
  /** Our own address in the namespace: the source of random and truncated garbage. */
  readonly source: string;
  /** Source ports of our own garbage, cycled: [first, first + count). */
  readonly sourcePorts: readonly [number, number];
  /** The live peer's endpoint that copies of real packets claim to come from. */
  readonly spoof: Endpoint | null;
  readonly mix: GarbageMix;
  /** Real packets (UDP payloads, hex) to copy. */
  readonly seeds: readonly string[];
  /** Datagrams per second. */
  readonly rate: number;
  /** Datagrams to send before stopping by itself (Infinity: until SIGTERM). */
  readonly count: number | null;
}

export interface SenderFigures {
  readonly sent: number;
  readonly seconds: number;
  readonly pps: number;
  readonly byKind: Readonly<Record<GarbageKind, number>>;
}

/** Distinct datagrams built before the flood; the flood cycles through them. */
const POOL = 4096;
const SLOT = 2048;
const WASM_PAGE = 65_536;
/** Datagrams per sendmmsg. */
const BATCH = 64;
/** Most datagrams sent at one wake-up: 20 ms at the rate, so a stall is not made up in one burst. */
const CATCH_UP_SECONDS = 0.02;
/** The pause between sends: at 200 kpps, bursts of ~40 datagrams, as a steady flood would come. */
const PAUSE_MS = 0.2;
/** How often the event loop gets a turn. */
const YIELD_MS = 20;
const SEND_BUFFER_BYTES = 4 * 1024 * 1024;
const TTL = 64;

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

/** Writes IPv4 + UDP headers and the payload at `at`; returns the packet's length. The kernel fills the IP checksum, id and total length (raw(7)); UDP checksum 0 means none. */
function writePacket(bytes: Uint8Array, at: number, from: Endpoint, to: Endpoint, payload: Uint8Array): number {
  const udpAt = at + Ipv4.MIN_SIZE;
  const length = Ipv4.MIN_SIZE + Udp.SIZE + payload.length;
  bytes.fill(0, at, udpAt + Udp.SIZE);
  bytes[at + Ipv4.VERSION_IHL] = 0x45;
  bytes[at + Ipv4.TOTAL_LENGTH] = length >> 8;
  bytes[at + Ipv4.TOTAL_LENGTH + 1] = length & 0xff;
  bytes[at + Ipv4.TTL] = TTL;
  bytes[at + Ipv4.PROTOCOL] = IpProtocol.UDP;
  bytes.set(ipv4Bytes(from.address), at + Ipv4.SOURCE);
  bytes.set(ipv4Bytes(to.address), at + Ipv4.DESTINATION);
  bytes[udpAt + Udp.SOURCE_PORT] = from.port >> 8;
  bytes[udpAt + Udp.SOURCE_PORT + 1] = from.port & 0xff;
  bytes[udpAt + Udp.DESTINATION_PORT] = to.port >> 8;
  bytes[udpAt + Udp.DESTINATION_PORT + 1] = to.port & 0xff;
  bytes[udpAt + Udp.LENGTH] = (Udp.SIZE + payload.length) >> 8;
  bytes[udpAt + Udp.LENGTH + 1] = (Udp.SIZE + payload.length) & 0xff;
  bytes.set(payload, udpAt + Udp.SIZE);
  return length;
}

export async function flood(order: SenderOrder, stopped: () => boolean): Promise<SenderFigures> {
  const garbage = buildGarbage(POOL, order.mix, order.seeds.map((hex) => Uint8Array.from(Buffer.from(hex, 'hex'))));
  const pages = Math.ceil((POOL * SLOT) / WASM_PAGE);
  const packets = packetMemory(new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }));
  const offsets = new Uint32Array(POOL);
  const lengths = new Uint32Array(POOL);
  const [firstPort, ports] = order.sourcePorts;
  garbage.forEach((datagram, i) => {
    if (datagram.payload.length > MAX_RANDOM) throw new RangeError(`a seed of ${datagram.payload.length} bytes does not fit a 1500-byte underlay`);
    const from = datagram.spoofed && order.spoof ? order.spoof : { address: order.source, port: firstPort + (i % ports) };
    offsets[i] = i * SLOT;
    lengths[i] = writePacket(packets.bytes, i * SLOT, from, order.target, datagram.payload);
  });
  const fd = check(socket(AddressFamily.INET, SocketType.RAW | SocketType.NONBLOCK | SocketType.CLOEXEC, Protocol.RAW), 'raw socket');
  forceSocketBuffers(fd, SEND_BUFFER_BYTES, SEND_BUFFER_BYTES);
  const io = new FallbackDatagramIo(fd, packets, { capacity: BATCH, gso: false });
  const batch = createDatagramBatch(BATCH);
  for (let i = 0; i < BATCH; i++) writeSockaddr(batch.addresses, i, { address: order.target.address, port: 0 });
  const byKind = { random: 0, truncated: 0, bitflip: 0, replay: 0 };
  const limit = order.count ?? Infinity;
  const started = performance.now();
  let sent = 0;
  let next = 0;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let yielded = started;
  while (sent < limit && !stopped()) {
    // a short synchronous pause keeps the bursts small (a timer sleeps a millisecond and more);
    // the event loop gets a turn now and then, for SIGTERM
    if (performance.now() - yielded >= YIELD_MS) {
      await sleep(0);
      yielded = performance.now();
    } else Atomics.wait(pause, 0, 0, PAUSE_MS);
    const due = Math.min(Math.floor(((performance.now() - started) / 1000) * order.rate), sent + order.rate * CATCH_UP_SECONDS, limit) - sent;
    let left = due;
    while (left > 0) {
      const n = Math.min(left, BATCH);
      for (let k = 0; k < n; k++) {
        batch.offsets[k] = offsets[(next + k) % POOL]!;
        batch.lengths[k] = lengths[(next + k) % POOL]!;
      }
      batch.count = n;
      const done = io.send(batch);
      for (let k = 0; k < done; k++) {
        if (batch.errors[k] !== 0) continue;
        byKind[garbage[(next + k) % POOL]!.kind]++;
        sent++;
      }
      next = (next + done) % POOL;
      left -= n;
      // the device queue is full: what is left of this turn is not sent (a flood loses it too)
      if (done < n) break;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  io.close();
  return { sent, seconds, pps: sent / seconds, byKind: Object.fromEntries(GARBAGE_KINDS.map((kind) => [kind, byKind[kind]])) as Record<GarbageKind, number> };
}

// Run as a script: the order on the command line, the figures on stdout.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let stop = false;
  process.once('SIGTERM', () => (stop = true));
  const figures = await flood(JSON.parse(process.argv[2]!) as SenderOrder, () => stop);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}
