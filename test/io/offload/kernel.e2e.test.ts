// The offloads against the real kernel, in a private network namespace: a TAP opened with
// IFF_VNET_HDR and TSO offloads, its far end played by the test (static neighbour entry for
// a made-up MAC). Reading: a TCP sender in the namespace makes the kernel hand over TSO
// super-frames, which must come out as valid frames of at most the MTU carrying the
// stream intact. Writing: segments of a crafted TCP connection to a listener in the
// namespace are coalesced into super-frames the kernel accepts and delivers intact.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFrameBatch } from '../../../src/io/batch.js';
import { FallbackFrameIo } from '../../../src/io/batch-fallback.js';
import { OffloadFrameIo } from '../../../src/io/offload/offload-frame-io.js';
import { openOffloadedQueue } from '../../../src/io/offload/open-queue.js';
import { closeTunTap, hardwareAddress, type TunTap } from '../../../src/io/tuntap.js';
import { haveNetns, isRoot, requireSystem } from '../../helpers/prereq.js';
import { testPacketMemory } from '../../helpers/packet-memory.js';
import { pause } from '../../helpers/pause.js';
import { Namespace } from '../../../src/testbed/namespaces.js';
import { macBytes } from '../packets.js';
import { ACK, FIN, parseTcp, pattern, PSH, SYN, tcpFrame, type ParsedTcp } from './frames.js';
import { writeBatch } from './fake-queue.js';
import { until } from '../../helpers/wait.js';

const ok = requireSystem('TUN/TAP offloads in a private network namespace', { root: isRoot, netns: haveNetns });
const MTU = 1500;
const ROOM = MTU + 14;
const LOCAL = [10, 77, 0, 1];
const PEER = [10, 77, 0, 2];
const PEER_MAC = [2, 0, 0, 0, 0, 2];
const MSS_1460 = Uint8Array.from([2, 4, 0x05, 0xb4]);
const SCRATCH = 1 << 20;
const SLOTS_AT = 2 << 20;
const WRITES_AT = 3 << 20;

function childOutput(child: ChildProcess): { text: () => string; exited: Promise<number> } {
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  return { text: () => text, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code ?? -1))) };
}

describe.runIf(ok)('TUN/TAP offloads with the real kernel', () => {
  let ns: Namespace;
  let tap: TunTap;
  let tapMac: number[];
  const memory = testPacketMemory();
  let io: OffloadFrameIo;
  const slots = createFrameBatch(64);
  for (let i = 0; i < 64; i++) slots.offsets[i] = SLOTS_AT + i * (ROOM + 64);

  beforeAll(() => {
    ns = Namespace.create(`ftsoff-${process.pid}`);
    ns.inside(() => {
      const queue = openOffloadedQueue({ kind: 'tap', name: 'ftsoff0', mtu: MTU, up: true }, true, (reason) => {
        throw new Error(`offloads refused: ${reason}`);
      });
      expect(queue.vnetHeader).toBe(true);
      tap = queue.device;
      ns.ip('addr', 'add', '10.77.0.1/24', 'dev', tap.name);
      ns.ip('neigh', 'add', '10.77.0.2', 'lladdr', '02:00:00:00:00:02', 'dev', tap.name, 'nud', 'permanent');
      tapMac = macBytes(hardwareAddress(tap.name));
    });
    io = new OffloadFrameIo(new FallbackFrameIo(tap.fd, memory), new FallbackFrameIo(tap.fd, memory), memory, { kind: 'tap', scratch: SCRATCH, capacity: 64, frameRoom: ROOM, mtu: MTU });
  });
  afterAll(() => {
    if (tap) closeTunTap(tap);
    ns?.delete();
  });

  // Frames the kernel sends out of the TAP, through the wrapper; each checked against the MTU and its checksums.
  function readFrames(): ParsedTcp[] {
    slots.lengths.fill(ROOM);
    const n = io.read(slots);
    const out: ParsedTcp[] = [];
    for (let i = 0; i < n; i++) {
      const frame = memory.bytes.subarray(slots.offsets[i], slots.offsets[i] + slots.lengths[i]);
      expect(frame.length).toBeLessThanOrEqual(ROOM);
      const tcp = parseTcp(frame, true);
      if (!tcp) continue;
      expect(tcp.ipChecksumOk).toBe(true);
      expect(tcp.tcpChecksumOk).toBe(true);
      out.push(tcp);
    }
    return out;
  }

  function send(frames: Uint8Array[]): void {
    const batch = writeBatch(memory.bytes, frames, WRITES_AT);
    expect(io.write(batch)).toBe(frames.length);
    expect(Array.from(batch.errors.subarray(0, frames.length)).every((e) => e === 0)).toBe(true);
  }

  const fromPeer = (spec: { srcPort: number; dstPort: number; seq: number; ack: number; flags: number; payload?: Uint8Array; id?: number; options?: Uint8Array }) =>
    tcpFrame({ version: 4, tap: true, srcIp: PEER, dstIp: LOCAL, srcMac: PEER_MAC, dstMac: tapMac, window: 65535, payload: new Uint8Array(0), ...spec });

  it('offloads off: the queue opens plainly, frames come without a header', () => {
    ns.inside(() => {
      const plain = openOffloadedQueue({ kind: 'tun', name: 'ftsoffp0', up: true }, false, () => undefined);
      try {
        expect(plain.vnetHeader).toBe(false);
        ns.ip('addr', 'add', '10.78.0.1/24', 'dev', plain.device.name);
        const reader = new FallbackFrameIo(plain.device.fd, memory);
        const batch = createFrameBatch(1);
        let first: number | undefined;
        spawn('ip', ['netns', 'exec', ns.name, 'ping', '-c', '3', '-i', '0.2', '10.78.0.2'], { stdio: 'ignore' });
        for (let attempt = 0; attempt < 2000 && first === undefined; attempt++) {
          batch.offsets[0] = SLOTS_AT;
          batch.lengths[0] = ROOM;
          if (reader.read(batch) === 1) first = memory.bytes[SLOTS_AT];
          else pause(2);
        }
        // an IPv4 or IPv6 packet right at the start: no virtio_net_hdr in front
        expect([0x4, 0x6]).toContain(first! >> 4);
      } finally {
        closeTunTap(plain.device);
      }
    });
  });

  it('reading: the kernel hands over TSO super-frames; they come out as valid MTU-sized frames carrying the stream intact', async () => {
    const total = 400_000;
    const child = spawn('ip', ['netns', 'exec', ns.name, 'python3', '-c', [
      'import socket, time',
      "s = socket.create_connection(('10.77.0.2', 5001), timeout=30)",
      `s.sendall(bytes(i % 251 for i in range(${total})))`,
      'time.sleep(30)',
    ].join('\n')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = childOutput(child);
    try {
      const received = new Uint8Array(total);
      let syn: ParsedTcp | undefined;
      let next = 0;
      const deadline = Date.now() + 30_000;
      while (next < total && Date.now() < deadline) {
        const frames = readFrames();
        for (const tcp of frames) {
          if (tcp.dstPort !== 5001) continue;
          if (tcp.flags & SYN) {
            syn = tcp;
            send([fromPeer({ srcPort: 5001, dstPort: tcp.srcPort, seq: 5000, ack: tcp.seq + 1, flags: SYN | ACK, options: MSS_1460 })]);
            continue;
          }
          if (!syn || tcp.payload.length === 0) continue;
          const at = (tcp.seq - syn.seq - 1) >>> 0;
          if (at === next) {
            received.set(tcp.payload.subarray(0, total - at), at);
            next = Math.min(total, at + tcp.payload.length);
          }
        }
        if (syn && frames.length > 0) send([fromPeer({ srcPort: 5001, dstPort: syn.srcPort, seq: 5001, ack: (syn.seq + 1 + next) >>> 0, flags: ACK })]);
        if (frames.length === 0) pause(2);
      }
      expect(next, output.text()).toBe(total);
      expect(received).toEqual(Uint8Array.from({ length: total }, (_, i) => i % 251));
      expect(io.offload.segmented).toBeGreaterThan(0);
      expect(io.offload.segments).toBeGreaterThan(io.offload.segmented);
      expect(io.offload.dropped).toBe(0);
    } finally {
      child.kill();
      await output.exited;
    }
  });

  it('writing: coalesced segments of a TCP stream reach a listening socket intact', async () => {
    const child = spawn('ip', ['netns', 'exec', ns.name, 'python3', '-c', [
      'import socket, hashlib, sys',
      'l = socket.socket()',
      "l.bind(('10.77.0.1', 5002))",
      'l.listen(1)',
      "print('ready', flush=True)",
      'c, _ = l.accept()',
      "data = b''",
      'while True:',
      '    d = c.recv(65536)',
      '    if not d: break',
      '    data += d',
      "print(len(data), hashlib.sha256(data).hexdigest(), flush=True)",
    ].join('\n')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = childOutput(child);
    try {
      await until('the listener', 20_000, () => output.text().includes('ready') || undefined);
      const port = 40002;
      const isn = 1_000_000;
      send([fromPeer({ srcPort: port, dstPort: 5002, seq: isn, ack: 0, flags: SYN, options: MSS_1460 })]);
      let synAck: ParsedTcp | undefined;
      for (let attempt = 0; attempt < 2000 && !synAck; attempt++) {
        synAck = readFrames().find((t) => t.dstPort === port && (t.flags & (SYN | ACK)) === (SYN | ACK));
        if (!synAck) pause(5);
      }
      expect(synAck, output.text()).toBeDefined();
      const ack = (synAck!.seq + 1) >>> 0;
      const segments = 40;
      const size = 1400;
      const data = pattern(segments * size, 11);
      const frames = [fromPeer({ srcPort: port, dstPort: 5002, seq: isn + 1, ack, flags: ACK, id: 1 })];
      for (let k = 0; k < segments; k++) {
        const flags = k === segments - 1 ? ACK | PSH : ACK;
        frames.push(fromPeer({ srcPort: port, dstPort: 5002, seq: isn + 1 + k * size, ack, flags, id: 2 + k, payload: data.subarray(k * size, (k + 1) * size) }));
      }
      frames.push(fromPeer({ srcPort: port, dstPort: 5002, seq: isn + 1 + segments * size, ack, flags: FIN | ACK, id: 2 + segments }));
      send(frames);
      expect(io.offload.coalesced).toBeGreaterThan(0);
      expect(io.offload.coalescedFrames).toBe(segments);
      await until('the listener to report', 20_000, () => /\d+ [0-9a-f]{64}/.test(output.text()) || undefined);
      expect(output.text()).toContain(`${data.length} ${createHash('sha256').update(data).digest('hex')}`);
    } finally {
      child.kill();
      await output.exited;
    }
  });
});
