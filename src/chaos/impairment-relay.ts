// The impairment relay: a process of its own inside a namespace, standing between a tunnel's
// two ends as a bad network would. It listens where the client sends (`listen`), passes each
// datagram on from `source` to the daemon (`target`), and the daemon's answers back to the
// client's last address, each direction through an ImpairmentLine (impairment.ts: loss,
// duplication, reordering, delay). Node's dgram moves ~50-100 kpps a core at best, so the
// datagrams go through src/io's recvmmsg/sendmmsg batches in one packet memory of fixed
// slots, a poll(2) between batches; nothing is allocated per datagram.
//
// Usage: node impairment-relay.js '<RelayPlan as JSON>'. It prints {"ready":true} once bound,
// its counters as one JSON line for every line read on stdin, and exits when stdin ends.
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createDatagramBatch, type DatagramBatch } from '../io/batch.js';
import { FallbackDatagramIo } from '../io/batch-fallback.js';
import { poll } from '../io/libc.js';
import { PollEvent, Pollfd, SOCKADDR_SLOT } from '../io/linux-abi.js';
import { NativeArea, packetMemory } from '../io/native-memory.js';
import { type SocketAddress, writeSockaddr } from '../io/sockaddr.js';
import { closeSocket, forceSocketBuffers, openUdpSocket } from '../io/udp.js';
import { runAsScript } from '../bench/script.js';
import { ImpairmentLine, type ImpairmentSettings, type LineCounters } from './impairment.js';

export interface RelayPlan {
  readonly listen: SocketAddress;
  readonly source: SocketAddress;
  readonly target: SocketAddress;
  readonly impairment: ImpairmentSettings;
}

/** One direction's counters: the line's decisions, and what the kernel took. */
export interface DirectionCounters extends LineCounters {
  sent: number;
  /** Datagrams the kernel refused for a full socket buffer (dropped, as a router would). */
  sendDropped: number;
}

export interface RelayCounters {
  /** Client → daemon. */
  readonly up: DirectionCounters;
  /** Daemon → client. */
  readonly down: DirectionCounters;
  readonly seconds: number;
}

/** Larger than a datagram of a 1500-byte underlay. */
const SLOT_BYTES = 2048;
const SLOTS = 8192;
const WASM_PAGE_BYTES = 65_536;
const BATCH = 64;
const SOCKET_BUFFER_BYTES = 4 << 20;
/** Longest poll(2) before the loop looks at its clock again. */
const MAX_WAIT_MS = 5;
/** How long the loop runs before Node's event loop gets a turn (stdin, exit). */
const SLICE_MS = 20;
const WORDS_PER_SLOT = SOCKADDR_SLOT / 4;

/** The slots not in use, as a stack. */
class SlotPool {
  private readonly free = new Uint32Array(SLOTS);
  private top = SLOTS;

  constructor() {
    for (let i = 0; i < SLOTS; i++) this.free[i] = SLOTS - 1 - i;
  }

  get available(): number {
    return this.top;
  }

  take(): number {
    return this.free[--this.top];
  }

  give(slot: number): void {
    this.free[this.top++] = slot;
  }
}

/** Datagrams from one socket to the other, impaired on the way. */
class Direction {
  readonly line: ImpairmentLine;
  readonly counters: DirectionCounters;
  private readonly received = createDatagramBatch(BATCH);
  private readonly sending = createDatagramBatch(BATCH);
  private readonly dueSlots = new Uint32Array(BATCH);
  /** Whether the destination is known (the client's address is learnt from its first datagram). */
  destinationKnown = false;

  constructor(
    impairment: ImpairmentSettings,
    private readonly from: FallbackDatagramIo,
    private readonly to: FallbackDatagramIo,
    private readonly pool: SlotPool,
    private readonly lengths: Uint16Array,
    private readonly copies: Uint8Array,
  ) {
    this.line = new ImpairmentLine(impairment, SLOTS);
    this.counters = Object.assign(this.line.counters, { sent: 0, sendDropped: 0 }) as DirectionCounters;
    for (let i = 0; i < BATCH; i++) this.received.offsets[i] = pool.take() * SLOT_BYTES;
  }

  setDestination(address: SocketAddress): void {
    for (let i = 0; i < BATCH; i++) writeSockaddr(this.sending.addresses, i, address);
    this.destinationKnown = true;
  }

  /** Copies the destination from entry `i` of another direction's received batch when it changed. */
  followSender(other: DatagramBatch, i: number): void {
    if (this.destinationKnown && sameAddress(other.addressWords, i, this.sending.addressWords, 0)) return;
    const address = other.addresses.subarray(i * SOCKADDR_SLOT, (i + 1) * SOCKADDR_SLOT);
    for (let e = 0; e < BATCH; e++) this.sending.addresses.set(address, e * SOCKADDR_SLOT);
    this.destinationKnown = true;
  }

  /** Takes in one batch if the pool can refill it; returns the batch (count 0 when nothing came). */
  receive(now: number): DatagramBatch {
    const batch = this.received;
    batch.count = 0;
    if (this.pool.available < BATCH) return batch;
    for (let i = 0; i < BATCH; i++) batch.lengths[i] = SLOT_BYTES;
    const count = this.from.receive(batch);
    for (let i = 0; i < count; i++) {
      const slot = batch.offsets[i] / SLOT_BYTES;
      const copies = this.line.admit(slot, now);
      if (copies === 0) continue; // lost: the slot stays in the batch for the next receive
      this.lengths[slot] = batch.lengths[i];
      this.copies[slot] = copies;
      batch.offsets[i] = this.pool.take() * SLOT_BYTES;
    }
    return batch;
  }

  /** Sends what is due; every slot goes back to the pool after its last copy. */
  flush(now: number): void {
    if (!this.destinationKnown) return this.discard(now);
    const batch = this.sending;
    let count: number;
    do {
      count = this.line.due(now, this.dueSlots);
      for (let i = 0; i < count; i++) {
        const slot = this.dueSlots[i];
        batch.offsets[i] = slot * SLOT_BYTES;
        batch.lengths[i] = this.lengths[slot];
      }
      batch.count = count;
      const done = count === 0 ? 0 : this.to.send(batch);
      this.counters.sent += done;
      this.counters.sendDropped += count - done;
      for (let i = 0; i < count; i++) this.release(this.dueSlots[i]);
    } while (count === BATCH);
  }

  // Nowhere to send yet: what is due is dropped.
  private discard(now: number): void {
    let count: number;
    do {
      count = this.line.due(now, this.dueSlots);
      this.counters.sendDropped += count;
      for (let i = 0; i < count; i++) this.release(this.dueSlots[i]);
    } while (count === BATCH);
  }

  private release(slot: number): void {
    if (--this.copies[slot] === 0) this.pool.give(slot);
  }
}

function sameAddress(a: Uint32Array, i: number, b: Uint32Array, j: number): boolean {
  for (let w = 0; w < WORDS_PER_SLOT; w++) if (a[i * WORDS_PER_SLOT + w] !== b[j * WORDS_PER_SLOT + w]) return false;
  return true;
}

export class ImpairmentRelay {
  readonly up: Direction;
  readonly down: Direction;
  private readonly started = performance.now();
  private readonly sockets;
  private readonly polls = new NativeArea(2 * Pollfd.SIZE, 'relay pollfds');
  private stopped = false;

  constructor(plan: RelayPlan) {
    const pages = (SLOTS * SLOT_BYTES) / WASM_PAGE_BYTES;
    const packets = packetMemory(new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }));
    const outer = openUdpSocket({ address: plan.listen.address, port: plan.listen.port });
    const inner = openUdpSocket({ address: plan.source.address, port: plan.source.port });
    this.sockets = [outer, inner] as const;
    const ios = this.sockets.map((socket) => {
      forceSocketBuffers(socket.fd, SOCKET_BUFFER_BYTES, SOCKET_BUFFER_BYTES);
      return new FallbackDatagramIo(socket.fd, packets, { capacity: BATCH, gso: false });
    });
    const pool = new SlotPool();
    const lengths = new Uint16Array(SLOTS);
    const copies = new Uint8Array(SLOTS);
    // each direction its own stream of decisions, both from the one seed
    this.up = new Direction(plan.impairment, ios[0]!, ios[1]!, pool, lengths, copies);
    this.down = new Direction({ ...plan.impairment, seed: plan.impairment.seed ^ 0x5bd1e995 }, ios[1]!, ios[0]!, pool, lengths, copies);
    this.up.setDestination(plan.target);
    this.sockets.forEach((socket, i) => {
      this.polls.view.setInt32(i * Pollfd.SIZE + Pollfd.FD, socket.fd, true);
      this.polls.view.setInt16(i * Pollfd.SIZE + Pollfd.EVENTS, PollEvent.IN, true);
    });
  }

  counters(): RelayCounters {
    return { up: { ...this.up.counters }, down: { ...this.down.counters }, seconds: (performance.now() - this.started) / 1000 };
  }

  /** Relays until stop(), giving Node's event loop a turn every SLICE_MS. */
  async run(): Promise<void> {
    while (!this.stopped) {
      const sliceEnd = performance.now() + SLICE_MS;
      let now: number;
      do {
        now = performance.now();
        const deadline = Math.min(this.up.line.nextDeadline(), this.down.line.nextDeadline());
        const wait = Math.max(0, Math.min(MAX_WAIT_MS, Math.ceil(deadline - now), Math.ceil(sliceEnd - now)));
        poll(this.polls.address, 2, wait);
        now = performance.now();
        this.turn(now);
      } while (now < sliceEnd);
      await nextTurn();
    }
    for (const socket of this.sockets) closeSocket(socket);
    this.polls.release();
  }

  stop(): void {
    this.stopped = true;
  }

  private turn(now: number): void {
    let busy = true;
    while (busy) {
      const up = this.up.receive(now);
      if (up.count > 0) this.down.followSender(up, up.count - 1);
      const down = this.down.receive(now);
      this.up.flush(now);
      this.down.flush(now);
      busy = up.count === BATCH || down.count === BATCH;
    }
  }
}

async function main(argv: string[]): Promise<number> {
  const relay = new ImpairmentRelay(JSON.parse(argv[0] ?? '') as RelayPlan);
  const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  const input = createInterface({ input: process.stdin });
  input.on('line', () => print(relay.counters()));
  input.on('close', () => relay.stop());
  print({ ready: true });
  await relay.run();
  print(relay.counters());
  return 0;
}

runAsScript(import.meta.url, 'impairment relay', main);
