// What a TUN/TAP queue object decides when it is assembled and closed: its frame limit, the
// reader and writer for each backend (read(2)/write(2), an armed READ on the event ring, the
// ring's batch writes, OffloadFrameIo with a vnet header), which counters it has, that it
// closes its fd, and that a closed queue's areas serve the next one. A socketpair stands in
// for the queue (one datagram per frame, as a TUN/TAP fd hands them over).
import { afterEach, describe, expect, it } from 'vitest';
import { PacketMemory as PoolMemory } from '../../src/bufferpool/packet-memory.js';
import { createBackend, type IoBackend } from '../../src/io/backend.js';
import { createFrameBatch } from '../../src/io/batch.js';
import { check, close, Errno, errno, read, socketpair, write } from '../../src/io/libc.js';
import { AddressFamily, SocketType } from '../../src/io/linux-abi.js';
import { packetMemory } from '../../src/io/native-memory.js';
import { Ethernet } from '../../src/io/offload/headers.js';
import { OffloadFrameIo, READ_ROOM } from '../../src/io/offload/offload-frame-io.js';
import { TunTapQueues, type TunTapQueueSpec } from '../../src/io/tuntap-queue.js';

const FRAME_ROOM = 1600;
const CAPACITY = 8;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A queue's fd and the far end of it. */
function queuePair(): { fd: number; far: number } {
  const pair = new Int32Array(2);
  check(socketpair(AddressFamily.UNIX, SocketType.DGRAM | SocketType.NONBLOCK | SocketType.CLOEXEC, 0, pair), 'socketpair');
  cleanups.push(() => close(pair[1]));
  return { fd: pair[0], far: pair[1] };
}

/** Queues on `backend` over a fresh packet memory, counting the areas reserved. */
function setup(prefer: 'io_uring' | 'fallback', ceiling = 8 << 20) {
  const memory = new PoolMemory(ceiling, ceiling);
  const packets = packetMemory(memory.memory);
  const backend: IoBackend = createBackend(packets, { prefer, ringEntries: 32 });
  cleanups.push(() => backend.close());
  const reserved: number[] = [];
  const areas = {
    reserve: (bytes: number) => {
      const at = memory.reserve(bytes);
      if (at >= 0) reserved.push(bytes);
      return at;
    },
  };
  const queues = new TunTapQueues({ backend, packets, areas, fixed: null, frameRoom: FRAME_ROOM, capacity: CAPACITY });
  const slots = memory.reserve(CAPACITY * 2048);
  const batch = createFrameBatch(CAPACITY);
  for (let i = 0; i < CAPACITY; i++) batch.offsets[i] = slots + i * 2048;
  return { backend, packets, queues, reserved, batch };
}

function spec(fd: number, overrides: Partial<TunTapQueueSpec> = {}): TunTapQueueSpec {
  return { fd, kind: 'tap', mtu: 1500, ...overrides };
}

describe('TunTapQueue', () => {
  it('limits frames to the MTU plus the link header, and to the frame room', () => {
    const { queues } = setup('fallback');
    const opened = [
      queues.open(spec(queuePair().fd, { kind: 'tap', mtu: 1500 })),
      queues.open(spec(queuePair().fd, { kind: 'tun', mtu: 1500 })),
      queues.open(spec(queuePair().fd, { kind: 'tap', mtu: 9000 })),
    ];
    expect(opened.map((q) => q.frameLimit)).toEqual([1500 + Ethernet.SIZE, 1500, FRAME_ROOM]);
    for (const queue of opened) queue.close();
  });

  it('on the fallback backend reads and writes with read(2)/write(2), one counters object, nothing armed', () => {
    const { packets, queues, batch } = setup('fallback');
    const { fd, far } = queuePair();
    const queue = queues.open(spec(fd));
    expect(queue.armed).toBeUndefined();
    expect(queue.offload).toBeNull();
    expect(queue.counters).toHaveLength(1);
    const frame = new Uint8Array(100).fill(7);
    packets.bytes.set(frame, batch.offsets[CAPACITY - 1]);
    write(far, packets.base + batch.offsets[CAPACITY - 1], frame.length);
    batch.lengths.fill(queue.frameLimit + 1);
    expect(queue.read(batch)).toBe(1);
    expect(batch.lengths[0]).toBe(100);
    batch.count = 1;
    batch.lengths[0] = 60;
    expect(queue.write(batch)).toBe(1);
    expect(read(far, packets.base + batch.offsets[CAPACITY - 1], 2048)).toBe(60);
    expect(queue.counters[0]).toMatchObject({ packetsIn: 1, packetsOut: 1 });
    expect(queue.holdsSegments()).toBe(false);
    expect(queue.readHeld(batch)).toBe(0);
    queue.close();
  });

  it('on io_uring keeps a READ armed (room: the frame limit and one byte) and writes through the ring', () => {
    const { backend, packets, queues, reserved, batch } = setup('io_uring');
    if (!backend.events) return; // no io_uring with multishot receives here
    const { fd, far } = queuePair();
    const queue = queues.open(spec(fd));
    expect(queue.armed).toBeDefined();
    expect(reserved).toEqual([READ_ROOM]);
    expect(queue.counters).toHaveLength(2);
    batch.count = 1;
    batch.lengths[0] = 80;
    expect(queue.write(batch)).toBe(1);
    expect(read(far, packets.base + batch.offsets[CAPACITY - 1], 2048)).toBe(80);
    expect(queue.counters[1]).toMatchObject({ packetsOut: 1 });
    queue.close();
  });

  it('takes the armed frame alone after an idle spell, and reads on during a burst', () => {
    const { backend, queues } = setup('io_uring');
    if (!backend.events) return;
    const queue = queues.open(spec(queuePair().fd));
    queue.woke(1000);
    expect(queue.armed!.armedOnly).toBe(true);
    queue.woke(1000.5);
    expect(queue.armed!.armedOnly).toBe(false);
    queue.woke(1010);
    expect(queue.armed!.armedOnly).toBe(true);
    queue.close();
  });

  it('with a vnet header goes through OffloadFrameIo, with offload counters and scratch of its own', () => {
    const { queues, reserved } = setup('fallback');
    const queue = queues.open(spec(queuePair().fd, { vnetHeader: true }));
    expect(queue.offload).toMatchObject({ segmented: 0, coalesced: 0 });
    expect(reserved).toEqual([OffloadFrameIo.scratchBytes(CAPACITY, FRAME_ROOM)]);
    queue.close();
  });

  it("closes its fd, and a closed queue's areas serve the next queue", () => {
    const { backend, queues, reserved } = setup('io_uring');
    const first = queuePair().fd;
    const a = queues.open(spec(first, { vnetHeader: true }));
    const areas = reserved.length;
    const area = a.armed?.area;
    a.close();
    expect(read(first, 0, 0)).toBe(-1);
    expect(errno()).toBe(Errno.EBADF);
    const b = queues.open(spec(queuePair().fd, { vnetHeader: true }));
    expect(reserved).toHaveLength(areas);
    if (backend.events) expect(b.armed!.area).toBe(area);
    // a second queue open at the same time needs areas of its own
    const c = queues.open(spec(queuePair().fd, { vnetHeader: true }));
    expect(reserved).toHaveLength(2 * areas);
    b.close();
    c.close();
  });

  it('says so when the packet memory cannot hold its areas', () => {
    const { queues } = setup('fallback', 1 << 16);
    const { fd } = queuePair();
    cleanups.push(() => close(fd));
    expect(() => queues.open(spec(fd, { vnetHeader: true }))).toThrow(/packet memory ceiling too low for the TUN\/TAP offload buffers/);
  });
});
