// The supernode bench's namespaces and daemons: one supernode namespace, one namespace of N
// Debian fastd routers (each its own process, key, port and TAP; router-fleet.ts) behind one
// address or an address each, and K probe routers in namespaces of their own. The supernode's own address
// is on the routers' veth; the probes reach it over veths of their own (the kernel accepts a
// local address on any interface, so one bind serves all).
//
//   supernode ns: sn0 (TAP) 10.200.0.1/16 ─ fastd.conf: bind 198.18.0.1:10000, peers from a directory
//     rt ── veth ── routers ns: up0 198.18.0.2/16 (+ aliases), router i: TAP r<i>, port 20000+i;
//                   r0 10.200.2.1/16 pings, 198.18.10.x send the spoofed handshakes
//     p<i> ── veth ── probe ns i: up0 198.19.<i>.2/24, TAP fts0 10.200.1.<i+1>/16, runs iperf3
//
// Addresses are from 198.18.0.0/15 (RFC 2544, benchmarks) and exist only in these namespaces.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { joinByVeth, makeNeighbourRoom, Namespace } from '../testbed/namespaces.js';
import { until } from './bench-tunnel.js';
import { BenchDaemon, type DaemonSpec, type KeyPair } from './daemon.js';
import { bulkKeyPairs, bulkPublicKeys, writePeerDir } from './peer-keys.js';
import type { DaemonKind } from './report.js';
import { RouterFleet } from './router-fleet.js';
import { progress } from './script.js';

export const SUPERNODE_ADDRESS = '198.18.0.1';
export const SUPERNODE_PORT = 10_000;
/** The supernode's address inside the tunnel: iperf3's servers and the pings' target. */
export const SUPERNODE_TAP_ADDRESS = '10.200.0.1';
export const SUPERNODE_TAP = 'sn0';
/**
 * The supernode's TAP gets the same MAC address every start: a TAP recreated after a restart
 * would otherwise have a new one, and the routers' neighbour entries would point at the old.
 */
const SUPERNODE_MAC = '02:00:5e:00:53:01';
const UNDERLAY = 'up0';
/** The supernode's end of the routers' veth. */
export const SUPERNODE_UNDERLAY = 'rt';
const UNDERLAY_PREFIX = 16;
const SHARED_ROUTER_ADDRESS = '198.18.0.2';
const ROUTER_BASE_PORT = 20_000;
const OVERLAY_PREFIX = 16;
const PINGER_TAP_ADDRESS = '10.200.2.1';
const PROBE_TAP = 'fts0';
/** Addresses the spoofed handshakes come from, and the keys they claim (peers that never connect). */
export const FLOOD_SOURCES = Array.from({ length: 40 }, (_, i) => `198.18.10.${i + 1}`);
const FLOOD_KEYS = 4;
const METHOD = 'salsa2012+umac';
/** fastd's recommended MTU for a 1500-byte underlay. */
export const MTU = 1406;
/** Neighbour entries beyond the routers', flood sources' and probes': the TAPs' and loopbacks' few. */
const NEIGHBOUR_SLACK = 64;
/** The extra keys' files, as writePeerDir names them. */
const EXTRA_KEY_FILE = /^peer\d+$/;

/** Router i's own address when routers do not share one: 198.18.1.1 onwards, 250 per /24. */
function ownAddress(index: number): string {
  return `198.18.${1 + Math.floor(index / 250)}.${1 + (index % 250)}`;
}

export class SupernodeLab {
  readonly supernodeKeys: KeyPair;
  readonly floodKeys: readonly KeyPair[];
  readonly routers: RouterFleet;
  readonly probes: readonly BenchDaemon[];
  /** The supernode's peer directory: a file per client's key. */
  readonly peerDir: string;

  private constructor(
    readonly supernodeNs: Namespace,
    readonly routersNs: Namespace,
    readonly probeNs: readonly Namespace[],
    /** Where the keys, configurations, logs (and captures) go. */
    readonly dir: string,
    routerCount: number,
    ownAddresses: boolean,
  ) {
    const keys = bulkKeyPairs(1 + routerCount + probeNs.length + FLOOD_KEYS);
    this.supernodeKeys = keys[0]!;
    const routerKeys = keys.slice(1, 1 + routerCount);
    const probeKeys = keys.slice(1 + routerCount, 1 + routerCount + probeNs.length);
    this.floodKeys = keys.slice(1 + routerCount + probeNs.length);
    this.peerDir = join(dir, 'peers');
    mkdirSync(this.peerDir);
    const write = (name: string, key: KeyPair) => writeFileSync(join(this.peerDir, name), `key "${key.public}";\n`);
    routerKeys.forEach((key, i) => write(`router${i}`, key));
    probeKeys.forEach((key, i) => write(`probe${i}`, key));
    this.floodKeys.forEach((key, i) => write(`flood${i}`, key));
    const routerDir = join(dir, 'routers');
    mkdirSync(routerDir);
    const spec = (key: KeyPair, interfaceName: string, bind: string): DaemonSpec => ({
      kind: 'fastd',
      method: METHOD,
      mtu: MTU,
      interfaceName,
      bind,
      keys: key,
      peerKey: this.supernodeKeys.public,
      remote: `${SUPERNODE_ADDRESS}:${SUPERNODE_PORT}`,
    });
    const bind = (i: number) => `${ownAddresses ? ownAddress(i) : SHARED_ROUTER_ADDRESS}:${ROUTER_BASE_PORT + i}`;
    this.routers = new RouterFleet(routersNs, routerKeys.map((key, i) => spec(key, `r${i}`, bind(i))), routerDir);
    this.probes = probeKeys.map((key, i) => new BenchDaemon(probeNs[i]!, spec(key, PROBE_TAP, `${probeAddress(i)}:${SUPERNODE_PORT}`), routerDir, `probe${i}`));
  }

  /**
   * The namespaces and veths, addressed; the keys and the supernode's peer directory. No daemon
   * runs yet. Two labs at once need a `name` each: it goes into their namespaces' names.
   */
  static create(dir: string, options: { routers: number; probes: number; ownAddresses: boolean; name?: string }): SupernodeLab {
    const prefix = `ftssn-${process.pid}${options.name === undefined ? '' : `-${options.name}`}`;
    const supernodeNs = Namespace.create(`${prefix}-sn`);
    const routersNs = Namespace.create(`${prefix}-rt`);
    const probeNs = Array.from({ length: options.probes }, (_, i) => Namespace.create(`${prefix}-p${i}`));
    for (const netns of [supernodeNs, routersNs, ...probeNs]) {
      netns.ip('link', 'set', 'lo', 'up');
      // No IPv6 chatter (router solicitations, MLD) from hundreds of TAPs; answer ARP only on the
      // interface that holds the address, or every router's TAP would answer for r0's.
      netns.exec('sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1', 'net.ipv4.conf.all.arp_ignore=1');
    }
    joinByVeth(supernodeNs, SUPERNODE_UNDERLAY, routersNs, UNDERLAY);
    const routerAddresses = options.ownAddresses ? Array.from({ length: options.routers }, (_, i) => ownAddress(i)) : [SHARED_ROUTER_ADDRESS];
    // the supernode's neighbours on the routers' veth, each probe's and its gateway's, both ways
    const hardLimitBefore = makeNeighbourRoom(routerAddresses.length + FLOOD_SOURCES.length + 4 * options.probes + NEIGHBOUR_SLACK);
    if (hardLimitBefore !== undefined) progress(`raised the host's neighbour table limit from ${hardLimitBefore} (it stays raised)`);
    supernodeNs.ipBatch([`address add ${SUPERNODE_ADDRESS}/${UNDERLAY_PREFIX} dev ${SUPERNODE_UNDERLAY}`, `link set ${SUPERNODE_UNDERLAY} up`]);
    routersNs.ipBatch([
      ...[...routerAddresses, ...FLOOD_SOURCES].map((address) => `address add ${address}/${UNDERLAY_PREFIX} dev ${UNDERLAY}`),
      `link set ${UNDERLAY} up`,
      ...Array.from({ length: options.routers }, (_, i) => clientTap(`r${i}`)).flat(),
      `address add ${PINGER_TAP_ADDRESS}/${OVERLAY_PREFIX} dev r0`,
    ]);
    probeNs.forEach((netns, i) => {
      joinByVeth(supernodeNs, `p${i}`, netns, UNDERLAY);
      supernodeNs.ipBatch([`address add ${probeGateway(i)}/24 dev p${i}`, `link set p${i} up`]);
      netns.ipBatch([
        `address add ${probeAddress(i)}/24 dev ${UNDERLAY}`,
        `link set ${UNDERLAY} up`,
        `route add ${SUPERNODE_ADDRESS}/32 via ${probeGateway(i)}`,
        ...clientTap(PROBE_TAP),
        `address add ${probeTapAddress(i)}/${OVERLAY_PREFIX} dev ${PROBE_TAP}`,
      ]);
    });
    return new SupernodeLab(supernodeNs, routersNs, probeNs, dir, options.routers, options.ownAddresses);
  }

  /** Routers and probes: the peers the supernode should list as connected. */
  get clientCount(): number {
    return this.routers.specs.length + this.probes.length;
  }

  /** A supernode of `kind`: TAP mode, one bind, every key from the peer directory, `args` on its command line (`nodeArgs` on node's). Not started. */
  supernode(kind: DaemonKind, label: string, args: readonly string[] = [], nodeArgs: readonly string[] = []): BenchDaemon {
    return new BenchDaemon(
      this.supernodeNs,
      { kind, method: METHOD, mtu: MTU, interfaceName: SUPERNODE_TAP, bind: `${SUPERNODE_ADDRESS}:${SUPERNODE_PORT}`, keys: this.supernodeKeys, peerDir: this.peerDir, args, nodeArgs },
      this.dir,
      label,
    );
  }

  /** Starts (again, after a crash too) `supernode`; its TAP is set up once it appears. */
  async startSupernode(supernode: BenchDaemon, deadlineMs: number): Promise<void> {
    rmSync(supernode.statusPath, { force: true });
    // after a kill -9 the kernel may still be tearing the old TAP down: it must not pass for the new one
    await until(`the previous ${SUPERNODE_TAP} gone`, deadlineMs, () => !this.supernodeNs.hasLink(SUPERNODE_TAP));
    supernode.start();
    await until(`${supernode.label}'s TAP`, deadlineMs, () => alive(supernode) && this.supernodeNs.hasLink(SUPERNODE_TAP));
    this.supernodeNs.ipBatch([
      `link set ${SUPERNODE_TAP} address ${SUPERNODE_MAC}`,
      `address add ${SUPERNODE_TAP_ADDRESS}/${OVERLAY_PREFIX} dev ${SUPERNODE_TAP}`,
      `link set ${SUPERNODE_TAP} up`,
    ]);
  }

  /** Peers the supernode's status socket lists as connected (0 while it does not answer). */
  async connected(supernode: BenchDaemon): Promise<number> {
    try {
      const { peers } = (await supernode.status()) as { peers: Record<string, { connection: unknown }> };
      return Object.values(peers).filter((peer) => peer.connection !== null && peer.connection !== undefined).length;
    } catch {
      return 0;
    }
  }

  /** Waits until the status socket answers. */
  async statusAnswers(supernode: BenchDaemon, deadlineMs: number): Promise<void> {
    await until(`${supernode.label}'s status socket`, deadlineMs, async () => {
      alive(supernode);
      try {
        await supernode.status();
        return true;
      } catch {
        return false;
      }
    });
  }

  /** The probes, then every router at once. */
  async startClients(): Promise<void> {
    for (const probe of this.probes) probe.start();
    await this.routers.start();
  }

  async stopClients(): Promise<void> {
    await Promise.all([this.routers.stop(), ...this.probes.map((probe) => probe.stop())]);
  }

  /** Adds `count` keys of peers that never connect to the peer directory. */
  addExtraKeys(count: number): void {
    writePeerDir(this.peerDir, bulkPublicKeys(count));
  }

  removeExtraKeys(): void {
    for (const name of readdirSync(this.peerDir)) if (EXTRA_KEY_FILE.test(name)) rmSync(join(this.peerDir, name));
  }

  /** The ends of some daemons' logs, for a failure's report. */
  logsOf(daemons: readonly BenchDaemon[]): string {
    return daemons.map((daemon) => `===== ${daemon.label} (${daemon.spec.kind})\n${daemon.log().slice(-3000)}`).join('\n');
  }

  delete(): void {
    for (const netns of [this.supernodeNs, this.routersNs, ...this.probeNs]) netns.delete();
  }
}

/**
 * A client's TAP, made persistent and up once with the lab: its fastd attaches to it at each
 * start, so a turn sets up no TAP and r0 and the probes keep their addresses.
 */
const clientTap = (name: string): string[] => [`tuntap add dev ${name} mode tap`, `link set ${name} up`];
const probeGateway = (i: number) => `198.19.${i}.1`;
const probeAddress = (i: number) => `198.19.${i}.2`;
const probeTapAddress = (i: number): string => `10.200.1.${i + 1}`;

function alive(daemon: BenchDaemon): boolean {
  if (!daemon.running) throw new Error(`${daemon.label} (${daemon.spec.kind}) exited; log:\n${daemon.log().slice(-3000)}`);
  return true;
}
