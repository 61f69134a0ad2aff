// A READ kept armed on the event ring for a TUN queue: the wait that wakes the worker carries
// the first frame of a burst, so the burst costs one read(2) fewer (the plain reader takes the
// rest until EAGAIN); it is re-armed only once its frame was taken, and cancelled on close.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatagramBatch, createFrameBatch } from '../../../src/io/batch.js';
import { FallbackDatagramIo, FallbackFrameIo } from '../../../src/io/batch-fallback.js';
import { writeSockaddr } from '../../../src/io/sockaddr.js';
import { closeTunTap, openTunTap } from '../../../src/io/tuntap.js';
import { closeSocket, openUdpSocket } from '../../../src/io/udp.js';
import { ArmedFrameReader } from '../../../src/io/uring/armed-read.js';
import { probeUring } from '../../../src/io/uring/availability.js';
import { EventRing } from '../../../src/io/uring/event-ring.js';
import { haveNetns, isRoot, requireSystem } from '../../helpers/prereq.js';
import { testPacketMemory } from '../../helpers/packet-memory.js';
import { Namespace } from '../../../src/testbed/namespaces.js';
import { parseIpv4Udp } from '../packets.js';

const ok = requireSystem('an armed io_uring READ on a TUN queue in a private namespace', { root: isRoot, netns: haveNetns, ioUring: probeUring().available });
const SLOT = 2048;
const AREA = 100 * SLOT;
const PORT = 7777;
const PACKETS = 3;

describe.runIf(ok)('ArmedFrameReader', () => {
  let ns: Namespace;
  beforeAll(() => {
    ns = Namespace.create(`fastdts-armed-${process.pid}`);
  });
  afterAll(() => ns?.delete());

  it('the wait brings the first frame; the plain reader takes the rest; one read(2) fewer than frames + EAGAIN', () => {
    withBurstWaiting('ura%d', '10.98.0', ({ mem, events, plain, reader }) => {
      const callsBefore = plain.counters.syscalls;
      const frames = drain(reader, mem.bytes);
      const ours = frames.filter((f) => f?.dstPort === PORT);
      expect(ours.map((f) => f!.payload.length)).toEqual([10, 11, 12]);
      expect(ours.map((f) => f!.payload[0])).toEqual([1, 2, 3]);
      // PACKETS frames: the first came with the wait, the others took a read(2) each, then one EAGAIN
      expect(plain.counters.syscalls - callsBefore).toBe(frames.length);
      expect(reader.counters.packetsIn).toBeGreaterThanOrEqual(PACKETS);

      // idle again: re-armed, nothing to take
      reader.arm();
      events.wait(0);
      expect(reader.ready()).toBe(false);
      reader.close();
      events.wait(0);
      expect(reader.ready()).toBe(false);
    });
  });

  it('armedOnly: a wake after an idle spell takes the armed frame without any read(2); the rest waits for the next wake', () => {
    withBurstWaiting('urb%d', '10.97.0', ({ mem, events, plain, reader }) => {
      reader.armedOnly = true;
      const callsBefore = plain.counters.syscalls;
      const first = drain(reader, mem.bytes);
      expect(first.length).toBe(1);
      // a second read in the same wake (as an offload reader loops) is answered without a system call
      expect(drain(reader, mem.bytes)).toEqual([]);
      expect(plain.counters.syscalls).toBe(callsBefore);

      // the frames left queued complete the re-armed READ at once and are read as a burst
      reader.armedOnly = false;
      reader.arm();
      events.wait(5000);
      expect(reader.ready()).toBe(true);
      const rest = drain(reader, mem.bytes);
      const ours = [...first, ...rest].filter((f) => f?.dstPort === PORT);
      expect(ours.map((f) => f!.payload[0])).toEqual([1, 2, 3]);
      reader.close();
    });
  });

  interface Burst {
    readonly mem: ReturnType<typeof testPacketMemory>;
    readonly events: EventRing;
    readonly plain: FallbackFrameIo;
    readonly reader: ArmedFrameReader;
  }

  /**
   * A TUN queue `<subnet>.1/24` in the namespace with an armed reader that has read away what
   * the kernel sent on its own (IPv6 autoconfiguration); then PACKETS datagrams are routed out
   * through it and the wait that brings the first one has returned. Closes everything after `body`.
   */
  function withBurstWaiting(name: string, subnet: string, body: (burst: Burst) => void): void {
    const mem = testPacketMemory();
    ns.inside(() => {
      const tun = openTunTap({ kind: 'tun', name, mtu: 1400, up: true });
      ns.ip('addr', 'add', `${subnet}.1/24`, 'dev', tun.name);
      const sock = openUdpSocket({ address: `${subnet}.1`, port: 0 });
      const events = new EventRing(8);
      try {
        const plain = new FallbackFrameIo(tun.fd, mem);
        const reader = new ArmedFrameReader(events, tun.fd, mem, AREA, SLOT, plain);
        reader.arm();
        events.wait(0);
        while (reader.ready()) {
          drain(reader, mem.bytes);
          reader.arm();
          events.wait(0);
        }
        sendDatagrams(sock.fd, mem, `${subnet}.2`);
        events.wait(5000);
        expect(reader.ready()).toBe(true);
        body({ mem, events, plain, reader });
      } finally {
        events.close();
        closeSocket(sock);
        closeTunTap(tun);
      }
    });
  }
});

/** Sends PACKETS datagrams (payload i: 10 + i bytes of value i + 1) to `address`:PORT. */
function sendDatagrams(fd: number, mem: ReturnType<typeof testPacketMemory>, address: string): void {
  const out = new FallbackDatagramIo(fd, mem, { capacity: PACKETS, gso: false });
  const datagrams = createDatagramBatch(PACKETS);
  for (let i = 0; i < PACKETS; i++) {
    datagrams.offsets[i] = (50 + i) * SLOT;
    datagrams.lengths[i] = 10 + i;
    mem.bytes.fill(i + 1, datagrams.offsets[i], datagrams.offsets[i] + 10 + i);
    writeSockaddr(datagrams.addresses, i, { address, port: PORT });
  }
  datagrams.count = PACKETS;
  expect(out.send(datagrams)).toBe(PACKETS);
  out.close();
}

function drain(reader: ArmedFrameReader, bytes: Uint8Array): ReturnType<typeof parseIpv4Udp>[] {
  const batch = createFrameBatch(8);
  for (let i = 0; i < batch.capacity; i++) {
    batch.offsets[i] = i * SLOT;
    batch.lengths[i] = SLOT;
  }
  const n = reader.read(batch);
  return Array.from({ length: n }, (_, i) => parseIpv4Udp(bytes.slice(batch.offsets[i], batch.offsets[i] + batch.lengths[i])));
}
