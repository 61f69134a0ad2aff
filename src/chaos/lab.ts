// The chaos suite's lab: two namespaces (src/testbed/namespaces.ts), Debian fastd on side a
// as the router (it has the remote), the daemon under test on side b (Debian fastd or
// fastd-ts, the same keys and configuration) with its one peer in a peer directory, TAP
// interfaces addressed inside the tunnel, and optionally the impairment relay between them:
//
//   side a: Debian fastd  fts0 192.0.2.1  underlay0 198.51.100.1:10000 ──┐
//   side b: under test    fts0 192.0.2.2  underlay0 198.51.100.2:10000 <─┤ direct, or through
//           relay (impairment-relay.ts) on 198.51.100.2:10001 → from :10002 ┘ the relay
//
// Each TAP gets a fixed MAC address, so a daemon restarted on a new TAP is reached at once
// (a new random MAC would leave the other side's neighbour entry stale for up to a minute,
// which would measure ARP, not the daemon).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { BenchDaemon, type KeyPair } from '../bench/daemon.js';
import { TUNNEL_ADDRESSES, TUNNEL_INTERFACE, until } from '../bench/bench-tunnel.js';
import type { DaemonKind } from '../bench/report.js';
import { trackPid, untrackPid } from '../testbed/cleanup.js';
import { type Namespace, NamespacePair, UNDERLAY_ADDRESSES } from '../testbed/namespaces.js';
import type { ImpairmentSettings } from './impairment.js';
import type { RelayCounters, RelayPlan } from './impairment-relay.js';

const TUNNEL_PREFIX = 24;
const TUNNEL_PORT = 10_000;
const RELAY_PORT = 10_001;
const RELAY_SOURCE_PORT = 10_002;
const TUNNEL_MTU = 1406;
const METHOD = 'salsa2012+umac';
const MACS = ['02:fd:00:00:00:01', '02:fd:00:00:00:02'] as const;
const START_DEADLINE_MS = 30_000;
/** The built relay, whether this module runs from dist/ or, in the e2e test, from src/. */
const RELAY_SCRIPT = fileURLToPath(new URL('../../dist/chaos/impairment-relay.js', import.meta.url));
/** The name of side a's peer file in side b's peer directory. */
export const PEER_FILE = 'router';

export interface LabKeys {
  readonly a: KeyPair;
  readonly b: KeyPair;
}

export interface LabOptions {
  /** The daemon under test, on side b. */
  readonly kind: DaemonKind;
  readonly keys: LabKeys;
  /** Put the impairment relay between the sides. */
  readonly impairment?: ImpairmentSettings;
}

/** fastd's status JSON, the part the suite reads. */
interface StatusPeers {
  peers?: Record<string, { name?: string; connection?: { established?: number; statistics?: { rx?: { packets?: number } } } | null }>;
  'fastd-ts'?: { dropped?: Record<string, number> };
}

export class ChaosLab {
  readonly daemons: readonly [BenchDaemon, BenchDaemon];
  /** Side b's peer directory (its peer file for side a is PEER_FILE). */
  readonly peerDir: string;
  private relay: { child: ChildProcess; lines: Interface } | undefined;

  private constructor(
    readonly options: LabOptions,
    private readonly pair: NamespacePair,
    private readonly dir: string,
  ) {
    this.peerDir = join(dir, 'peers');
    mkdirSync(this.peerDir);
    writeFileSync(join(this.peerDir, PEER_FILE), `key "${options.keys.a.public}";\n`);
    const bAddress = `${UNDERLAY_ADDRESSES[1]}:${options.impairment ? RELAY_PORT : TUNNEL_PORT}`;
    const common = { method: METHOD, mtu: TUNNEL_MTU, interfaceName: TUNNEL_INTERFACE };
    this.daemons = [
      new BenchDaemon(pair.sides[0], { ...common, kind: 'fastd', bind: `${UNDERLAY_ADDRESSES[0]}:${TUNNEL_PORT}`, keys: options.keys.a, peerKey: options.keys.b.public, remote: bAddress }, dir, 'a'),
      new BenchDaemon(pair.sides[1], { ...common, kind: options.kind, bind: `${UNDERLAY_ADDRESSES[1]}:${TUNNEL_PORT}`, keys: options.keys.b, peerDir: this.peerDir }, dir, 'b'),
    ];
  }

  static create(options: LabOptions): ChaosLab {
    const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-chaos-'));
    return new ChaosLab(options, NamespacePair.create('ftschaos'), dir);
  }

  get sides(): readonly [Namespace, Namespace] {
    return this.pair.sides;
  }

  /** The daemon under test. */
  get underTest(): BenchDaemon {
    return this.daemons[1];
  }

  /** Side b first (fastd retries a first handshake only after 20 s), the relay, then side a; waits for a ping through. */
  async start(): Promise<void> {
    await this.startSide(1);
    if (this.options.impairment) await this.startRelay(this.options.impairment);
    await this.startSide(0);
    await until('a ping through the tunnel', START_DEADLINE_MS, () => this.pingOnce());
  }

  /** Starts side `index`'s daemon and sets up its TAP once it is there. */
  async startSide(index: 0 | 1): Promise<void> {
    const daemon = this.daemons[index];
    const side = this.sides[index];
    // after a kill -9 the kernel may still be tearing the old interface down: it must not pass for the new one
    await until(`the previous ${TUNNEL_INTERFACE} gone`, START_DEADLINE_MS, () => !side.hasLink(TUNNEL_INTERFACE));
    daemon.start();
    await until(`${daemon.label}'s interface`, START_DEADLINE_MS, () => {
      if (!daemon.running) throw new Error(`${daemon.label} (${daemon.spec.kind}) exited; log:\n${daemon.log()}`);
      return side.hasLink(TUNNEL_INTERFACE);
    });
    side.ipBatch([
      `link set dev ${TUNNEL_INTERFACE} address ${MACS[index]}`,
      `link set dev ${TUNNEL_INTERFACE} up`,
      `address add ${TUNNEL_ADDRESSES[index]}/${TUNNEL_PREFIX} dev ${TUNNEL_INTERFACE}`,
    ]);
  }

  /** Whether one ping a → b comes back within a second. */
  async pingOnce(): Promise<boolean> {
    return (await this.sides[0].run('ping', ['-n', '-c', '1', '-w', '1', TUNNEL_ADDRESSES[1]], 10_000)).code === 0;
  }

  /** Side b's status: whether side a's key has a session that began less than `youngerThanMs` ago (any age when omitted). */
  async underTestConnected(youngerThanMs = Infinity): Promise<boolean> {
    const peer = (await this.statusOfUnderTest()).peers?.[this.options.keys.a.public];
    const established = peer?.connection?.established;
    return typeof established === 'number' && established < youngerThanMs;
  }

  /** The data packets side b took from side a on its current session (0 without one). */
  async underTestRxPackets(): Promise<number> {
    return (await this.statusOfUnderTest()).peers?.[this.options.keys.a.public]?.connection?.statistics?.rx?.packets ?? 0;
  }

  /** The names side b's status lists for `key` (undefined: not listed). */
  async underTestPeerName(key: string): Promise<string | undefined> {
    return (await this.statusOfUnderTest()).peers?.[key]?.name;
  }

  /** fastd-ts's drop counter `reason` on side b; undefined for Debian fastd, which has none. */
  async underTestDrops(reason: string): Promise<number | undefined> {
    return (await this.statusOfUnderTest())['fastd-ts']?.dropped?.[reason];
  }

  private async statusOfUnderTest(): Promise<StatusPeers> {
    return (await this.underTest.status()) as StatusPeers;
  }

  private async startRelay(impairment: ImpairmentSettings): Promise<void> {
    const plan: RelayPlan = {
      listen: { address: UNDERLAY_ADDRESSES[1], port: RELAY_PORT },
      source: { address: UNDERLAY_ADDRESSES[1], port: RELAY_SOURCE_PORT },
      target: { address: UNDERLAY_ADDRESSES[1], port: TUNNEL_PORT },
      impairment,
    };
    const child = spawn('ip', ['netns', 'exec', this.sides[1].name, process.execPath, RELAY_SCRIPT, JSON.stringify(plan)], { stdio: ['pipe', 'pipe', 'inherit'] });
    if (child.pid !== undefined) trackPid(child.pid);
    const lines = createInterface({ input: child.stdout! });
    this.relay = { child, lines };
    const [first] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => ['exited'])])) as string[];
    if (!first?.includes('ready')) throw new Error(`the impairment relay did not start: ${first}`);
  }

  /** The relay's counters so far. */
  async relayCounters(): Promise<RelayCounters> {
    if (!this.relay) throw new Error('no relay in this lab');
    const answer = once(this.relay.lines, 'line');
    this.relay.child.stdin!.write('\n');
    return JSON.parse(((await answer) as string[])[0]!) as RelayCounters;
  }

  async close(): Promise<void> {
    await Promise.all(this.daemons.map((daemon) => daemon.stop()));
    const relay = this.relay;
    if (relay) {
      const exited = relay.child.exitCode === null ? once(relay.child, 'exit') : Promise.resolve();
      relay.child.stdin!.end();
      const timer = setTimeout(() => relay.child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      if (relay.child.pid !== undefined) untrackPid(relay.child.pid);
    }
    this.pair.delete();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
