// The interop harness: two daemons (Debian's fastd or fastd-ts, in any combination) in
// two private namespaces joined by veth, a tunnel between them with documentation-range
// addresses inside it, and the tools to measure it. Everything it creates is removed by
// `close()`, and by exit/signal handlers if a test never gets there.
//
//   side 0 (namespace a)                        side 1 (namespace b)
//   fts0: 192.0.2.1/24, 2001:db8::1/64  <tunnel>  fts0: 192.0.2.2/24, 2001:db8::2/64
//   underlay0: 198.51.100.1/24  <----- veth ----->  underlay0: 198.51.100.2/24
//              2001:db8:1::1/64                                2001:db8:1::2/64
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { cleanUpEverything } from '../../../src/testbed/cleanup.js';
import { fileURLToPath } from 'node:url';
import { type Capture, capturePacketsOfType } from './capture.js';
import { Daemon, haveFastdTsBuild, type DaemonKind, type DaemonSpec, generateKeyPair, type KeyPair, type TunnelMode } from './daemon.js';
import { type Namespace, NamespacePair, UNDERLAY_ADDRESSES, UNDERLAY_ADDRESSES_V6, UNDERLAY_DEVICE } from '../../../src/testbed/namespaces.js';
import { haveDebianFastd, haveNetns, isRoot, requireSystem } from '../../helpers/prereq.js';
import { fetchStatus } from '../../../src/status/status-client.js';
import { iperf3, type IperfRun } from '../../../src/bench/traffic.js';
import { IPV4_ICMP_OVERHEAD, ping, type PingOptions, type PingResult, timeToFirstReply } from './traffic.js';

export { haveFastdTsBuild, type DaemonKind, type TunnelMode } from './daemon.js';
export { IPV4_ICMP_OVERHEAD, IPV6_ICMP_OVERHEAD, type PingResult } from './traffic.js';
export { cleanUpEverything };

/**
 * requireSystem for a test of a Tunnel: root, namespaces, Debian's fastd and a fastd-ts
 * build, and whatever else the test names in `more`.
 */
export function requireTunnel(what: string, more: Record<string, boolean> = {}): boolean {
  return requireSystem(what, {
    root: isRoot,
    netns: haveNetns,
    fastd: haveDebianFastd,
    'fastd-ts build (npm run build)': haveFastdTsBuild,
    ...more,
  });
}

export const TUNNEL_INTERFACE = 'fts0';
export const TUNNEL_ADDRESSES = ['192.0.2.1', '192.0.2.2'] as const;
export const TUNNEL_ADDRESSES_V6 = ['2001:db8::1', '2001:db8::2'] as const;
const GARBAGE_SENDER = fileURLToPath(new URL('./garbage-sender.mjs', import.meta.url));
/** Locally administered unicast MACs for the TAP interfaces. */
const TUNNEL_MACS = ['02:00:00:00:00:01', '02:00:00:00:00:02'] as const;
const TUNNEL_PREFIX = 24;
const TUNNEL_PREFIX_V6 = 64;
export const TUNNEL_PORT = 10_000;
/** fastd's recommended MTU for an IPv4/IPv6 underlay of 1500 (fastd's documentation). */
export const DEFAULT_MTU = 1406;

export interface SideOptions {
  readonly kind: DaemonKind;
  /** Configure the other side as `remote` (this side initiates). */
  readonly initiates: boolean;
  readonly methods?: readonly string[];
  readonly extraStatements?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** The other side's key is left out of this side's configuration (an `on verify` among extraStatements admits it). */
  readonly unconfiguredPeer?: boolean;
  /** What to `bind` instead of the side's underlay address (e.g. `any:10000`). */
  readonly bind?: string;
  /** The remote to initiate to instead of the other side's underlay address (e.g. a second address of it). */
  readonly remote?: string;
}

export interface TunnelOptions {
  readonly mode: TunnelMode;
  /** Methods for both sides unless a side names its own. */
  readonly methods: readonly string[];
  readonly mtu?: number;
  /** The underlay the daemons bind to and reach each other over (default 4). */
  readonly underlay?: 4 | 6;
  readonly sides: readonly [SideOptions, SideOptions];
}

/** "address:port" on the underlay, in fastd's syntax (IPv6 in brackets). */
export function underlayEndpoint(index: number, family: 4 | 6): string {
  return family === 4 ? `${UNDERLAY_ADDRESSES[index]}:${TUNNEL_PORT}` : `[${UNDERLAY_ADDRESSES_V6[index]}]:${TUNNEL_PORT}`;
}

export class Tunnel {
  readonly daemons: readonly [Daemon, Daemon];

  private constructor(
    readonly namespaces: NamespacePair,
    readonly dir: string,
    readonly options: TunnelOptions,
    daemons: [Daemon, Daemon],
  ) {
    this.daemons = daemons;
  }

  /** Creates namespaces, keys and configurations; starts nothing yet. */
  static create(options: TunnelOptions): Tunnel {
    // Keys first: if a program cannot even make a key, nothing is left to clean up.
    const keys = options.sides.map((side) => generateKeyPair(side.kind)) as [KeyPair, KeyPair];
    const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-interop-'));
    const namespaces = NamespacePair.create();
    const labels = ['a', 'b'] as const;
    const daemons = options.sides.map((side, index) => {
      const other = 1 - index;
      const spec: DaemonSpec = {
        kind: side.kind,
        mode: options.mode,
        methods: side.methods ?? options.methods,
        mtu: options.mtu ?? DEFAULT_MTU,
        interfaceName: TUNNEL_INTERFACE,
        bind: side.bind ?? underlayEndpoint(index, options.underlay ?? 4),
        keys: keys[index]!,
        peer: side.unconfiguredPeer
          ? undefined
          : {
              name: labels[other]!,
              key: keys[other]!.public,
              remote: side.initiates ? (side.remote ?? underlayEndpoint(other, options.underlay ?? 4)) : undefined,
            },
        statusSocket: join(dir, `${labels[index]}.sock`),
        extraStatements: side.extraStatements,
        env: side.env,
      };
      return new Daemon(namespaces.sides[index]!, spec, dir, labels[index]!);
    }) as [Daemon, Daemon];
    return new Tunnel(namespaces, dir, options, daemons);
  }

  /** Starts one side and waits until its tunnel interface exists, then addresses it. */
  async startSide(index: 0 | 1): Promise<void> {
    const daemon = this.daemons[index];
    daemon.start();
    await daemon.waitForInterface();
    this.addressInterface(index);
  }

  /**
   * Starts the side(s) that only respond first: fastd sends its first handshake at once
   * and retries only after 20 s, so an initiator started first would wait that long.
   * When both initiate (simultaneous open), both start together.
   */
  async start(): Promise<void> {
    const responders = ([0, 1] as const).filter((index) => !this.options.sides[index].initiates);
    const initiators = ([0, 1] as const).filter((index) => this.options.sides[index].initiates);
    await Promise.all(responders.map((index) => this.startSide(index)));
    await Promise.all(initiators.map((index) => this.startSide(index)));
  }

  /** Starts both sides and waits for a ping from side 0 to be answered; throws with both logs when none is. */
  async startAndReach(deadlineSeconds = 20): Promise<void> {
    await this.start();
    if ((await this.timeToFirstReply(0, deadlineSeconds)) === undefined) throw new Error(`no reply through the tunnel\n${this.logs()}`);
  }

  /** `kill -9` one side and start it again (its interface is new, so it is addressed again). */
  async restartSide(index: 0 | 1): Promise<void> {
    await this.daemons[index].kill();
    await this.startSide(index);
  }

  private addressInterface(index: 0 | 1): void {
    const side = this.namespaces.sides[index];
    // A restarted daemon's new TAP device would get a new random MAC, and the other side
    // would keep sending to the old one until its neighbour entry expires: keep it fixed.
    if (this.options.mode !== 'tun') side.ip('link', 'set', 'dev', TUNNEL_INTERFACE, 'address', TUNNEL_MACS[index]);
    side.ip('link', 'set', 'dev', TUNNEL_INTERFACE, 'up');
    side.ip('address', 'replace', `${TUNNEL_ADDRESSES[index]}/${TUNNEL_PREFIX}`, 'dev', TUNNEL_INTERFACE);
    side.ip('-6', 'address', 'replace', `${TUNNEL_ADDRESSES_V6[index]}/${TUNNEL_PREFIX_V6}`, 'dev', TUNNEL_INTERFACE, 'nodad');
  }

  side(index: 0 | 1): Namespace {
    return this.namespaces.sides[index];
  }

  /** Pings the other side's tunnel address from side `from`. */
  ping(from: 0 | 1, options: PingOptions, ipv6 = false): Promise<PingResult> {
    const target = (ipv6 ? TUNNEL_ADDRESSES_V6 : TUNNEL_ADDRESSES)[1 - from]!;
    return ping(this.side(from), target, options);
  }

  /** A ping payload that fills the tunnel MTU exactly (IPv4). */
  get fullSizePing(): number {
    return (this.options.mtu ?? DEFAULT_MTU) - IPV4_ICMP_OVERHEAD;
  }

  /** Milliseconds until the first echo reply from the other side, or undefined. */
  timeToFirstReply(from: 0 | 1, deadlineSeconds: number): Promise<number | undefined> {
    return timeToFirstReply(this.side(from), TUNNEL_ADDRESSES[1 - from]!, deadlineSeconds);
  }

  /** TCP throughput from side `from` to the other side. */
  iperf3(from: 0 | 1, seconds: number): Promise<IperfRun> {
    return iperf3(this.side(from), this.side(1 - from as 0 | 1), TUNNEL_ADDRESSES[1 - from]!, seconds);
  }

  /** Sends `count` junk datagrams from side `from` (another port) at the other side's fastd port. */
  async sendGarbage(from: 0 | 1, count: number): Promise<number> {
    const target = UNDERLAY_ADDRESSES[1 - from]!;
    const result = await this.side(from).run(process.execPath, [GARBAGE_SENDER, target, String(TUNNEL_PORT), String(count)]);
    if (result.code !== 0) throw new Error(`garbage sender failed: ${result.stderr}`);
    return (JSON.parse(result.stdout) as { sent: number }).sent;
  }

  /** The tunnel packets of one fastd packet type seen on side `on`'s underlay while `traffic` runs. */
  capturePacketsOfType(on: 0 | 1, packetType: number, traffic: () => Promise<unknown>): Promise<Capture> {
    return capturePacketsOfType(this.side(on), UNDERLAY_DEVICE, TUNNEL_PORT, packetType, traffic);
  }

  status(index: 0 | 1): Promise<unknown> {
    return fetchStatus(this.daemons[index].spec.statusSocket);
  }

  /** Both daemons' logs, for a failure report. */
  logs(): string {
    return this.daemons.map((daemon) => `===== ${daemon.label} (${daemon.spec.kind}) ${daemon.logPath}\n${daemon.log()}`).join('\n');
  }

  async close(): Promise<void> {
    await Promise.all(this.daemons.map((daemon) => daemon.stop()));
    this.namespaces.delete();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** How long a shared tunnel may take to come up: fastd's retry if the first handshake is lost. */
const SHARED_TUNNEL_START_MS = 90_000;

/**
 * A tunnel the tests of the enclosing describe share: created and reached (startAndReach)
 * before them, closed after them. Returns the getter they use.
 */
export function sharedTunnel(options: TunnelOptions): () => Tunnel {
  let tunnel: Tunnel | undefined;
  beforeAll(async () => {
    tunnel = Tunnel.create(options);
    await tunnel.startAndReach();
  }, SHARED_TUNNEL_START_MS);
  afterAll(async () => {
    await tunnel?.close();
    cleanUpEverything();
  });
  return () => {
    if (!tunnel) throw new Error('the shared tunnel did not come up');
    return tunnel;
  };
}
