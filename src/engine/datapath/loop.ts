// The worker's loop: block (in one io_uring_enter, or poll(2) on the fallback backend) until
// a socket, a TUN/TAP queue or the wake-up eventfd is readable (or a timer is due), then
// dispatch: control messages → sockets (the receive path) and queues (the send path), a batch
// from each in rounds → held handshakes and timers → the handoff rings. Everything runs to completion on this thread; nothing here waits on
// the main thread.
// node:perf_hooks' binding, not the global: the global is a lazy accessor, a getter call on every use
import { performance } from 'node:perf_hooks';
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { applyControl, Outcome } from './control.js';
import type { Datapath } from './context.js';
import type { ToWorker } from './messages.js';
import { expireSessions } from './tables/peer-table.js';
import { SharedMacTable } from './tables/shared-mac-table.js';
import { Poller, Source, Taken, type Waiter } from './poller.js';
import { BATCHES_PER_TURN } from './sizes.js';
import { Receiver } from './pipeline/receive.js';
import { RingWaiter } from './ring-waiter.js';
import { Sender } from './pipeline/send.js';

/** How often sessions and the pool are tidied and the statistics published, ms. */
export const TIMER_INTERVAL = 1000;
/**
 * The timer runs in any wake-up this close (ms) before it is due: with 1,000 idle routers a
 * worker wakes ~25 times a second for their keepalives, so the timer rides along with one of
 * them instead of costing a wake-up of its own. It stays on its grid, once a TIMER_INTERVAL.
 */
export const TIMER_SLACK = 250;
/**
 * How often stale MAC addresses and invalid sessions are removed (fastd's MAINTENANCE_INTERVAL):
 * lookups already ignore the ones, seal and open refuse the others, so this only frees them.
 * Neither is work for every second: the shared MAC table's whole scan (16,384 slots) took
 * ~5 ms cold, and visiting the sessions of 500 idle peers touches ~1,500 cold objects.
 */
const MAINTENANCE_INTERVAL = 10_000;
/** A pause between turns this long (ms) is an idle spell: a busy worker's turns follow each other at once. */
export const IDLE_WAKE_MS = 1;
/** Frames a turn writes to our TUN/TAP queues from which on the worker counts as busy, and its next wait gathers. */
const BUSY_TURN_FRAMES = 8;
/**
 * How long a busy worker's wait that finds nothing to do lets datagrams gather before it
 * wakes (io_uring's minimum wait, Linux 6.13), µs. Woken for each first datagram, a worker
 * took ~20 datagrams a wake-up under the supernode's flows, and each turn pays its own
 * io_uring_enter calls and TAP write; gathering took 6 % fewer system calls per packet.
 * Under load a lone datagram waits up to this much longer; after a quiet turn nothing does.
 */
const GATHER_US = 100;
/** Where a poller entry is in a turn: not taken yet, its last batch came full, or it ran dry. */
const Turn = { None: 0, More: 1, Taken: 2 } as const;

export class Loop {
  private readonly sender: Sender;
  private readonly receiver: Receiver;
  private readonly poller: Waiter;
  private nextTimer = 0;
  private nextMaintenance = 0;
  /**
   * When the last turn ended (performance.now() ms): a turn that starts IDLE_WAKE_MS later ended
   * an idle spell, and the next wait's timeout counts from it (the next turn follows at once).
   */
  private lastTurnEnd = 0;
  /** Per poller entry, in a turn: Turn.More while its last batch came full (it gets another in the next round), Turn.Taken once it ran dry. */
  private more = new Uint8Array(16);
  /** Entries of `more` at Turn.More. */
  private pending = 0;
  /** The turn is the first after an idle spell. */
  private afterIdle = false;
  /** By interfaceId: the poller entry of its queue, -1 for none. */
  private sourceOf = new Int32Array(16).fill(-1);
  /** µs the next wait lets arrivals gather: GATHER_US after a busy turn, else 0. */
  private gatherUs = 0;
  private readonly ownPeer = (peerId: number): boolean => this.dp.peers.table.get(peerId)?.owner === this.dp.self;

  constructor(
    private readonly dp: Datapath,
    private readonly wakeFd: number,
    private readonly port: MessagePort,
  ) {
    this.sender = new Sender(dp);
    this.receiver = new Receiver(dp, this.sender);
    const events = dp.sockets.backend.events;
    this.poller = events
      ? new RingWaiter(
          events,
          (id) => dp.sockets.list[id]?.io.waiting?.() ?? false,
          (id) => dp.queues.list[id]?.queue.armed,
        )
      : new Poller();
    this.watchFds();
  }

  /** Runs until a shutdown message; throws what it cannot deal with. */
  run(): void {
    this.lastTurnEnd = performance.now();
    this.nextTimer = this.lastTurnEnd + TIMER_INTERVAL;
    while (this.turn()) {
      // each turn is a call of its own: V8 optimises a function it calls often, while a
      // loop that never returns would wait for on-stack replacement and run in baseline code
    }
  }

  /** One wake-up: waits, then serves whatever is ready; false on shutdown. The warm-up drives it too. */
  turn(): boolean {
    const handoff = this.dp.handoff;
    // entries that came in since the rings were last read mean: look, don't sleep
    const sleep = handoff === null || handoff.prepareToSleep();
    const wakeAt = Math.min(this.nextTimer, this.receiver.handshakesDue);
    this.poller.wait(sleep ? Math.max(0, Math.ceil(wakeAt - this.lastTurnEnd)) : 0, this.gatherUs);
    handoff?.awake();
    const now = performance.now();
    // the first turn after an idle spell: what it writes to a TAP is likely alone, and may be answered at once
    const afterIdle = (this.afterIdle = now - this.lastTurnEnd >= IDLE_WAKE_MS);
    const written = this.receiver.framesWritten;
    let harvested = false;
    let fdsChanged = false;
    const count = this.poller.count;
    if (this.more.length < count) this.more = new Uint8Array(this.poller.kinds.length);
    const more = this.more;
    // a loop: fill() is a call into V8's runtime, dear for a few entries on every wake-up
    for (let i = 0; i < count; i++) more[i] = Turn.None;
    this.pending = 0;
    for (let i = 0; i < count; i++) {
      // an interface read right after a socket's batch wrote a short frame to it
      if (more[i] !== Turn.None) continue;
      if (!harvested && this.poller.kinds[i] === Source.Interface) {
        harvested = true;
        // the kernel answers a frame (an echo request to our own TAP address, ARP) while it
        // is written: collecting that reply now sends it in this turn instead of the next
        if (afterIdle && this.receiver.framesWritten !== written) this.poller.harvest();
      }
      if (this.poller.invalid(i)) this.poller.disable(i);
      if (!this.poller.readable(i)) continue;
      if (this.poller.kinds[i] === Source.Wake) {
        this.poller.resetWake();
        const outcome = this.drainMessages(now);
        if (outcome === Outcome.Shutdown) return false;
        fdsChanged ||= outcome === Outcome.FdsChanged;
      } else this.took(i, this.take(i, now));
    }
    // Busy sources take turns a batch at a time, up to BATCHES_PER_TURN each: a frame or
    // datagram of one (a ping's reply the kernel queued on the TAP while the request was
    // written) waits behind one batch of another, not behind all of its turn's batches.
    for (let round = 1; round < BATCHES_PER_TURN && this.pending > 0; round++) {
      for (let i = 0; i < count; i++) {
        if (more[i] !== Turn.More || this.take(i, now) === Taken.More) continue;
        more[i] = Turn.Taken;
        this.pending--;
      }
    }
    if (now >= this.receiver.handshakesDue) this.receiver.postHandshakes();
    if (now >= this.nextTimer - TIMER_SLACK) {
      // messages posted without a wake-up (keepalives), or whose wake-up write went missing
      const outcome = this.drainMessages(now);
      if (outcome === Outcome.Shutdown) return false;
      fdsChanged ||= outcome === Outcome.FdsChanged;
      this.timers(now);
    }
    if (handoff) {
      handoff.drain(this.receiver, this.sender, now);
      handoff.publish();
    }
    if (fdsChanged) this.watchFds();
    this.gatherUs = this.dp.gather && this.receiver.framesWritten - written >= BUSY_TURN_FRAMES ? GATHER_US : 0;
    this.lastTurnEnd = performance.now();
    return true;
  }

  close(): void {
    this.poller.close();
  }

  /** Notes what the first batch taken from source i in this turn left. */
  private took(i: number, taken: Taken): void {
    if (taken !== Taken.More) this.more[i] = Turn.Taken;
    else {
      this.more[i] = Turn.More;
      this.pending++;
    }
  }

  /** One batch from source i, a socket or an interface (a message served earlier in this turn may have closed it). */
  private take(i: number, now: number, written = false): Taken {
    const id = this.poller.ids[i];
    if (this.poller.kinds[i] === Source.Socket) {
      const socket = this.dp.sockets.list[id];
      if (!socket) return Taken.Drained;
      this.receiver.answeredCount = 0;
      const taken = this.receiver.drain(socket, now, 1);
      // after an idle spell the harvest before the first interface finds the kernel's answer
      if (!this.afterIdle) this.readAnswers(now);
      return taken;
    }
    const iface = this.dp.queues.list[id];
    if (!iface) return Taken.Drained;
    const taken = this.sender.read(iface, now, 1, written);
    if (taken === Taken.Failed) this.poller.disable(i);
    return taken;
  }

  /**
   * Busy turns, after a socket's batch: a batch from each interface it wrote a short frame to
   * (Receiver.answered), unless that gets its round anyway. The kernel's answer (a ping's
   * reply) goes out now, not behind the socket's other batches (under 4 TCP flows through a
   * supernode up to ~4 ms of work), the wait and the next turn's first batch.
   */
  private readAnswers(now: number): void {
    const receiver = this.receiver;
    for (let k = 0; k < receiver.answeredCount; k++) {
      const id = receiver.answered[k];
      const i = id < this.sourceOf.length ? this.sourceOf[id] : -1;
      if (i < 0 || this.more[i] === Turn.More) continue;
      this.took(i, this.take(i, now, true));
    }
    receiver.answeredCount = 0;
  }

  private drainMessages(now: number): Outcome {
    let result: Outcome = Outcome.Continue;
    for (let received = receiveMessageOnPort(this.port); received; received = receiveMessageOnPort(this.port)) {
      const message = received.message as ToWorker;
      try {
        const outcome = applyControl(this.dp, this.sender, message, now);
        if (outcome === Outcome.Shutdown) return outcome;
        if (outcome === Outcome.FdsChanged) result = outcome;
      } catch (error) {
        this.dp.post({ type: 'fatal', message: `${message.type}: ${(error as Error).message}` });
      }
    }
    return result;
  }

  private timers(now: number): void {
    const dp = this.dp;
    if (now >= this.nextMaintenance) {
      const peers = dp.peers.table;
      for (let i = 0; i < peers.count; i++) expireSessions(peers.get(peers.ids[i])!, now);
      // one worker's scan serves the table all workers share
      if (!(dp.peers.macs instanceof SharedMacTable) || dp.self === 0) dp.peers.macs.expire(now);
      this.nextMaintenance = now + MAINTENANCE_INTERVAL;
    }
    // each worker reports the addresses behind its own peers; the daemon merges the reports
    const macs = dp.peers.macs.snapshot(now, this.ownPeer);
    if (macs) dp.post({ type: 'macAddresses', peers: Array.from(macs, ([peerId, addresses]) => ({ peerId, addresses })) });
    dp.maintainPools(now);
    dp.sockets.countDrops();
    dp.wallClock.check();
    dp.stats.publishTotals();
    dp.stats.waits(dp.sockets.backend.events?.ring.enterCalls ?? 0);
    dp.stats.pool(dp.memory.pool.stats());
    if (dp.sockets.receivePool) dp.stats.receivePool(dp.sockets.receivePool.stats());
    if (dp.memory.fixed) dp.stats.fixedBuffers(dp.memory.fixed.registered, dp.memory.fixed.fixedWrites);
    // on the grid, unless that leaves it due at once (the loop was held up, or this is its first run)
    const next = this.nextTimer + TIMER_INTERVAL;
    this.nextTimer = next - TIMER_SLACK > now ? next : now + TIMER_INTERVAL;
  }

  private watchFds(): void {
    const poller = this.poller;
    poller.clear();
    poller.add(this.wakeFd, Source.Wake, 0);
    for (const socket of this.dp.sockets.list) if (socket) poller.add(socket.fd, Source.Socket, socket.id);
    const queues = this.dp.queues.list;
    if (this.sourceOf.length < queues.length) this.sourceOf = new Int32Array(queues.length * 2);
    this.sourceOf.fill(-1);
    for (const iface of queues) {
      if (!iface) continue;
      this.sourceOf[iface.spec.interfaceId] = poller.count;
      poller.add(iface.spec.fd, Source.Interface, iface.spec.interfaceId);
    }
  }
}
