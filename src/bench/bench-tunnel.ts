// One bench setup brought up for real: a namespace pair, a daemon on each side (side a
// initiates and sends the iperf3 traffic, side b responds and receives), TAP interfaces
// addressed inside the tunnel, and the measurements the report needs.
//
//   side a: fts0 192.0.2.1/24  <tunnel>  side b: fts0 192.0.2.2/24
//           underlay0 198.51.100.1 <-- veth --> underlay0 198.51.100.2
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchDaemon, generateKeyPair } from './daemon.js';
import { type Namespace, NamespacePair, UNDERLAY_ADDRESSES } from '../testbed/namespaces.js';
import { type MechanismCounters, readMechanisms } from './mechanisms.js';
import type { Setup } from './report.js';
import { answers, iperf3, pingsDuringLoad, pingTimes } from './traffic.js';

export const TUNNEL_INTERFACE = 'fts0';
export const TUNNEL_ADDRESSES = ['192.0.2.1', '192.0.2.2'] as const;
const TUNNEL_PREFIX = 24;
export const TUNNEL_PORT = 10_000;
/** fastd's recommended MTU for a 1500-byte IPv4/IPv6 underlay. */
export const TUNNEL_MTU = 1406;
const START_DEADLINE_MS = 30_000;
const POLL_MS = 100;

/** Polls `probe` until it holds; throws after `deadlineMs`. */
export async function until(what: string, deadlineMs: number, probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`gave up after ${deadlineMs} ms waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

/** fastd-ts's command-line switches for a setup's variant. */
function switches(setup: Setup): string[] {
  return [...(setup.fallback ? ['--io-backend', 'fallback'] : []), ...(setup.oneWorker ? ['--workers', '1'] : [])];
}

export interface ThroughputRun {
  readonly mbit: number;
  readonly cpuPerGb: readonly [number, number];
  readonly retransmits: number;
  /** Tunnel datagrams both sides' kernels dropped for a full socket receive buffer. */
  readonly udpDrops: number;
  /** Pings a → b during the run: how many went out, and every reply's RTT in ms. */
  readonly pings: { readonly sent: number; readonly times: readonly number[] };
}

export class BenchTunnel {
  private constructor(
    readonly setup: Setup,
    private readonly pair: NamespacePair,
    readonly daemons: readonly [BenchDaemon, BenchDaemon],
    private readonly dir: string,
  ) {}

  get sides(): readonly [Namespace, Namespace] {
    return this.pair.sides;
  }

  /** `responderPeers`: public keys side b knows besides side a's (a peer directory), e.g. peers a flood claims to be. */
  static create(setup: Setup, responderPeers: readonly string[] = []): BenchTunnel {
    const keys = [generateKeyPair(), generateKeyPair()] as const;
    const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-bench-'));
    const peerDir = join(dir, 'peers');
    mkdirSync(peerDir);
    responderPeers.forEach((key, i) => writeFileSync(join(peerDir, `peer${i}`), `key "${key}";\n`));
    const pair = NamespacePair.create('ftsbench');
    const sides = pair.sides;
    const daemons = ([0, 1] as const).map((index) => {
      const kind = setup.kinds[index];
      const ours = kind === 'fastd-ts';
      return new BenchDaemon(
        sides[index],
        {
          kind,
          method: setup.method,
          mtu: TUNNEL_MTU,
          interfaceName: TUNNEL_INTERFACE,
          bind: `${UNDERLAY_ADDRESSES[index]}:${TUNNEL_PORT}`,
          keys: keys[index],
          peerKey: keys[1 - index]!.public,
          remote: index === 0 ? `${UNDERLAY_ADDRESSES[1]}:${TUNNEL_PORT}` : undefined,
          peerDir: index === 1 && responderPeers.length > 0 ? peerDir : undefined,
          args: ours ? switches(setup) : [],
          env: ours ? { ...(setup.noGso ? { FASTD_TS_GSO: '0' } : {}), ...(setup.noOffload ? { FASTD_TS_OFFLOAD: '0' } : {}) } : {},
        },
        dir,
        index === 0 ? 'a' : 'b',
      );
    }) as [BenchDaemon, BenchDaemon];
    return new BenchTunnel(setup, pair, daemons, dir);
  }

  /** The responder first (fastd retries a first handshake only after 20 s), then the initiator; waits for a ping through. */
  async start(): Promise<void> {
    for (const index of [1, 0] as const) {
      const daemon = this.daemons[index];
      daemon.start();
      await until(`${daemon.label}'s interface`, START_DEADLINE_MS, () => this.alive(daemon) && this.sides[index].hasLink(TUNNEL_INTERFACE));
      const side = this.sides[index];
      side.ip('link', 'set', 'dev', TUNNEL_INTERFACE, 'up');
      side.ip('address', 'add', `${TUNNEL_ADDRESSES[index]}/${TUNNEL_PREFIX}`, 'dev', TUNNEL_INTERFACE);
    }
    await until('a ping through the tunnel', START_DEADLINE_MS, async () => this.daemons.every((d) => this.alive(d)) && (await answers(this.sides[0], TUNNEL_ADDRESSES[1])));
  }

  private alive(daemon: BenchDaemon): boolean {
    if (!daemon.running) throw new Error(`${daemon.label} (${daemon.spec.kind}) exited; log:\n${daemon.log()}`);
    return true;
  }

  /** The I/O backend each side's status socket reports ("-" for Debian's fastd, "?" if it reports none). */
  async backends(): Promise<[string, string]> {
    const reported = await Promise.all(
      this.daemons.map(async (daemon) => {
        if (daemon.spec.kind === 'fastd') return '-';
        const status = (await daemon.status()) as { 'fastd-ts'?: { io_backend?: unknown } };
        return typeof status['fastd-ts']?.io_backend === 'string' ? status['fastd-ts'].io_backend : '?';
      }),
    );
    return reported as [string, string];
  }

  /** Each side's mechanism counters from its status socket (undefined for Debian's fastd). */
  async mechanisms(): Promise<[MechanismCounters | undefined, MechanismCounters | undefined]> {
    const read = async (daemon: BenchDaemon) => (daemon.spec.kind === 'fastd' ? undefined : readMechanisms(await daemon.status()));
    return [await read(this.daemons[0]), await read(this.daemons[1])];
  }

  idleRtt(count: number, intervalSeconds: number): Promise<number[]> {
    return pingTimes(this.sides[0], TUNNEL_ADDRESSES[1], count, intervalSeconds);
  }

  /** One iperf3 run a → b with both daemons' CPU time around it, and pings a → b beside it, `pingIntervalSeconds` apart. */
  async throughput(seconds: number, pingIntervalSeconds: number): Promise<ThroughputRun> {
    const dropsBefore = await this.udpDrops();
    const before = this.daemons.map((daemon) => daemon.cpuSeconds());
    const [run, pings] = await Promise.all([
      iperf3(this.sides[0], this.sides[1], TUNNEL_ADDRESSES[1], seconds),
      pingsDuringLoad(this.sides[0], TUNNEL_ADDRESSES[1], seconds, pingIntervalSeconds),
    ]);
    const after = this.daemons.map((daemon) => daemon.cpuSeconds());
    const dropsAfter = await this.udpDrops();
    const gigabytes = run.bytes / 1e9;
    return {
      mbit: run.mbitPerSecond,
      cpuPerGb: [(after[0]! - before[0]!) / gigabytes, (after[1]! - before[1]!) / gigabytes],
      retransmits: run.retransmits,
      udpDrops: dropsAfter - dropsBefore,
      pings,
    };
  }

  private async udpDrops(): Promise<number> {
    const counts = await Promise.all(this.sides.map((side) => side.udpReceiveBufferErrors()));
    return counts[0]! + counts[1]!;
  }

  rssMiB(): [number, number] {
    return [this.daemons[0].rssMiB(), this.daemons[1].rssMiB()];
  }

  logs(): string {
    return this.daemons.map((daemon) => `===== ${daemon.label} (${daemon.spec.kind})\n${daemon.log()}`).join('\n');
  }

  async close(): Promise<void> {
    await Promise.all(this.daemons.map((daemon) => daemon.stop()));
    this.pair.delete();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
