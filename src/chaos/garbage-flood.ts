// A garbage flood at a fastd port, for the chaos suite and the flood bench:
// `GarbageFlood.start(namespace, target, rate, mix)` runs flood-sender.ts inside the namespace
// (a process of its own, so the flood neither waits for nor slows the caller's event loop), and
// `stop()` (or `finished`, with a count) gives the figures: datagrams sent, by kind, and the
// rate achieved. `captureSessionPackets` takes the real packets the copies are made of from a
// live session with tcpdump.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Capture } from '../bench/rtt-capture.js';
import { Ethernet, EtherType, IpProtocol, Ipv4, Udp } from '../io/offload/headers.js';
import type { Namespace } from '../testbed/namespaces.js';
import { DEFAULT_MIX, type GarbageMix } from './garbage-mix.js';
import { SenderProcess } from './sender-process.js';
import type { Endpoint, SenderFigures, SenderOrder } from './flood-sender.js';

export type { Endpoint, SenderFigures as FloodFigures } from './flood-sender.js';

/** The built sender (node runs it as is), whether this module runs from dist/ or, in a test, from src/. */
const SENDER = fileURLToPath(new URL('../../dist/chaos/flood-sender.js', import.meta.url));
/** Source ports of our own garbage: many, so per-address state on the daemon sees many strangers. */
const SOURCE_PORTS: readonly [number, number] = [20_000, 1024];
const CAPTURE_DRAIN_MS = 1_500;

export interface FloodOptions {
  /** Our own address in the namespace (the source of random and truncated garbage). */
  readonly source: string;
  /** The live peer's endpoint, which copies of its packets claim to come from; without it they come from `source` too. */
  readonly spoof?: Endpoint;
  /** Real packets of the session (UDP payloads) to copy: captureSessionPackets. */
  readonly seeds?: readonly Uint8Array[];
  /** Stop by itself after this many datagrams. */
  readonly count?: number;
}

export class GarbageFlood {
  /** Resolves with the figures once the sender has stopped (by itself, or after stop()). */
  readonly finished: Promise<SenderFigures>;

  private constructor(private readonly sender: SenderProcess<SenderFigures>) {
    this.finished = sender.finished;
  }

  /** Starts sending `rate` datagrams a second of `mix` at `target` from inside `namespace`. */
  static start(namespace: Namespace, target: Endpoint, rate: number, mix: GarbageMix = DEFAULT_MIX, options: FloodOptions): GarbageFlood {
    const order: SenderOrder = {
      target,
      source: options.source,
      sourcePorts: SOURCE_PORTS,
      spoof: options.spoof ?? null,
      mix,
      seeds: (options.seeds ?? []).map((seed) => Buffer.from(seed).toString('hex')),
      rate,
      count: options.count ?? null,
    };
    return new GarbageFlood(SenderProcess.start<SenderFigures>(namespace, SENDER, order, 'the garbage flood'));
  }

  /** Stops the sender (if it still runs) and returns its figures. */
  stop(): Promise<SenderFigures> {
    return this.sender.stop();
  }
}

/**
 * The UDP payloads sent from `from` to port `port` that tcpdump saw on `device` in
 * `netns` while `during` ran: real packets of the live session.
 */
export async function captureSessionPackets(netns: Namespace, device: string, from: Endpoint, port: number, dir: string, during: () => Promise<unknown>): Promise<Uint8Array[]> {
  const capture = await Capture.start(netns, device, `udp and src host ${from.address} and src port ${from.port} and dst port ${port}`, dir, 'seeds', 0);
  try {
    await during();
    // tcpdump's buffer timeout is 1 s: the last packets may still be in the kernel's ring
    await sleep(CAPTURE_DRAIN_MS);
  } finally {
    await capture.kill();
  }
  return udpPayloads(readFileSync(capture.file));
}

/** pcap(5) with nanosecond stamps (tcpdump's --time-stamp-precision=nano), Ethernet link type. */
const Pcap = { HEADER: 24, RECORD: 16, INCLUDED_LENGTH: 8, MAGIC_NANO: 0xa1b23c4d } as const;

/** The UDP payloads of the IPv4 packets in a pcap file of Ethernet frames. */
export function udpPayloads(file: Uint8Array): Uint8Array[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < Pcap.HEADER || view.getUint32(0, true) !== Pcap.MAGIC_NANO) throw new Error('not a little-endian nanosecond pcap file');
  const payloads: Uint8Array[] = [];
  for (let at = Pcap.HEADER; at + Pcap.RECORD <= file.length; ) {
    const length = view.getUint32(at + Pcap.INCLUDED_LENGTH, true);
    const frame = file.subarray(at + Pcap.RECORD, at + Pcap.RECORD + length);
    at += Pcap.RECORD + length;
    if (frame.length < Ethernet.SIZE + Ipv4.MIN_SIZE + Udp.SIZE || ((frame[Ethernet.ETHERTYPE]! << 8) | frame[Ethernet.ETHERTYPE + 1]!) !== EtherType.IPV4) continue;
    const ip = frame.subarray(Ethernet.SIZE);
    if (ip[Ipv4.PROTOCOL] !== IpProtocol.UDP) continue;
    const udp = ip.subarray((ip[Ipv4.VERSION_IHL]! & 0x0f) * 4);
    payloads.push(Uint8Array.from(udp.subarray(Udp.SIZE, (udp[Udp.LENGTH]! << 8) | udp[Udp.LENGTH + 1]!)));
  }
  return payloads;
}
