// One side of the handoff-ring stress test in a real worker thread: the producer pushes
// `total` numbered entries in batches of varying size, the consumer checks that each one
// arrives once and in order, sleeping in poll(2) on a real eventfd whenever the ring is empty.
import { parentPort, workerData } from 'node:worker_threads';
import { HandoffBatch, HandoffRing } from '../../../../src/engine/datapath/handoff/handoff-ring.js';
import { NativeArea } from '../../../../src/io/native-memory.js';
import { poll, read, write } from '../../../../src/io/libc.js';
import { EVENTFD_VALUE_BYTES, PollEvent, Pollfd, SOCKADDR_SLOT } from '../../../../src/io/linux-abi.js';
import { expectedEntry, pushEntry, takenEntry } from './handoff-ring.entries.js';

export interface StressJob {
  role: 'producer' | 'consumer';
  ring: SharedArrayBuffer;
  eventFd: number;
  total: number;
  /** Consumer: how long one poll may block before it counts as a lost wake-up. */
  pollTimeoutMs: number;
}

const job = workerData as StressJob;
const ring = new HandoffRing(job.ring);
const ADDRESS_WORDS = SOCKADDR_SLOT / 4;
const counter = new NativeArea(EVENTFD_VALUE_BYTES, 'eventfd counter');
const pause = new Int32Array(new SharedArrayBuffer(4));

function produce(): void {
  counter.view.setBigUint64(0, 1n, true);
  const address = new Uint32Array(ADDRESS_WORDS);
  let wakes = 0;
  let full = 0;
  let seed = 12345;
  const wake = () => {
    if (ring.publish()) {
      wakes++;
      write(job.eventFd, counter.address, EVENTFD_VALUE_BYTES);
    }
  };
  for (let i = 0; i < job.total; ) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const batch = 1 + (seed >>> 26); // 1..64 entries
    for (let n = 0; n < batch && i < job.total; ) {
      const e = expectedEntry(i);
      if (e.withAddress) for (let w = 0; w < ADDRESS_WORDS; w++) address[w] = (e.address + w) >>> 0;
      if (pushEntry(ring, e, address)) {
        i++;
        n++;
        continue;
      }
      // Full: let the consumer see what is there, then give it a moment.
      full++;
      wake();
      Atomics.wait(pause, 0, 0, 0.05);
    }
    wake();
    // Now and then stop for a while, so that the consumer runs dry and goes to sleep.
    if ((seed & 0xff) === 0) Atomics.wait(pause, 0, 0, 0.2);
  }
  parentPort!.postMessage({ wakes, full });
}

function consume(): void {
  const pollfd = new NativeArea(Pollfd.SIZE, 'pollfd');
  pollfd.view.setInt32(Pollfd.FD, job.eventFd, true);
  pollfd.view.setInt16(Pollfd.EVENTS, PollEvent.IN, true);
  const batch = new HandoffBatch(32);
  let received = 0;
  let wrong = 0;
  let firstWrong = -1;
  let sleeps = 0;
  let timeouts = 0;
  while (received < job.total) {
    const count = ring.take(batch);
    for (let k = 0; k < count; k++) {
      const e = expectedEntry(received);
      const [kind, subject, offset, length] = takenEntry(batch, k);
      let ok = kind === e.kind && subject === e.subject && offset === e.offset && length === e.length;
      if (e.withAddress) for (let w = 0; w < ADDRESS_WORDS; w++) ok &&= batch.addressWords[k * ADDRESS_WORDS + w] === ((e.address + w) >>> 0);
      if (!ok) {
        wrong++;
        if (firstWrong < 0) firstWrong = received;
      }
      received++;
    }
    if (count > 0 || !ring.prepareToSleep()) continue;
    sleeps++;
    if (poll(pollfd.address, 1, job.pollTimeoutMs) === 0) timeouts++;
    read(job.eventFd, counter.address, EVENTFD_VALUE_BYTES); // drains the eventfd (non-blocking: EAGAIN when already drained)
    ring.awake();
  }
  parentPort!.postMessage({ received, wrong, firstWrong, sleeps, timeouts });
}

if (job.role === 'producer') produce();
else consume();
