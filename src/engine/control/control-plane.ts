// The peer life cycle on the main thread (fastd's src/peer.c): setting peers up, the
// per-peer task (handshake schedule, keepalive, timeout, session refresh; peer-tasks.ts keeps
// each peer in a deadline queue, so every change of a deadline here queues it), establishing
// and resetting, and the hooks that go with each step. Packets and sessions live in the
// datapath worker; this side tells it what changed through the messages of datapath/messages.ts.
import type { Config, GroupHookName, PeerConfig, ShellCommand } from '../../config/types.js';
import { effectiveHook, effectiveMethods } from '../../config/lookup.js';
import { log, logAddress } from '../../log/logger.js';
import type { EstablishedSession, Handshake, HandshakeMethod, HandshakePeer } from '../../protocol/handshake.js';
import type { Endpoint, ToWorker } from '../datapath/messages.js';
import { addressKey, formatEndpoint } from './endpoints.js';
import { peerEnvironment, type HookEnvironment, type InterfaceInfo } from './hooks.js';
import { interfaceSpec, peerMtu, type OpenInterface } from '../net/interfaces.js';
import { describeConfiguredPeer, type EnginePeer, NONE, type PeerLocation } from './peer-state.js';
import { PeerRegistry } from './peers.js';
import type { PeerStatsReader } from './peer-stats.js';
import { resolveRemote } from './remotes.js';
import { SocketTable } from '../net/peer-sockets.js';
import { boundEndpoint, type BoundSocket } from '../net/sockets.js';
import {
  defaultHandshakeDelay,
  MIN_HANDSHAKE_INTERVAL,
  MIN_RESOLVE_INTERVAL,
  PEER_LIMIT_START_SPREAD,
  PEER_STALE_TIME,
  randomBetween,
  refreshTime,
} from '../../protocol/timing.js';
import { UnknownAddressBackoff, type WaitingSender } from './unknown-backoff.js';
import { HandshakeFlag } from '../../protocol/tlv.js';
import type { RememberedPeer } from './peer-state-file.js';
import { PeerTasks } from './peer-tasks.js';
import { RemoteEndpoints } from './remote-endpoints.js';

/** What the control plane needs from the daemon around it (injected, so tests can stand in). */
interface ControlPlaneDeps {
  readonly config: Config;
  readonly handshake: Handshake;
  /** The sockets of the binds with a port; port-less binds get per-peer sockets (peer-sockets.ts). */
  readonly sockets: readonly BoundSocket[];
  /** Delivers a message to the datapath worker (and wakes it). */
  readonly post: (message: ToWorker) => void;
  /** Sends a control packet (a handshake) on socket `fd` to the location's endpoint, from its local address (control-sender.ts). */
  readonly send: (fd: number, location: PeerLocation, packet: Uint8Array) => void;
  /** The workers' per-peer statistics (PeerStat fields). */
  readonly peerStats: PeerStatsReader;
  /** Our public key, hex. */
  readonly localKey: string;
  /** TAP mode's one interface for all peers; undefined when interfaces are per peer (TUN, multitap). */
  readonly singleInterface: OpenInterface | undefined;
  /** Opens a peer's own interface (TUN/multitap); throws when it cannot. */
  readonly openPeerInterface: (peer: PeerConfig) => OpenInterface;
  readonly closePeerInterface: (iface: OpenInterface) => void;
  readonly runHook: (command: ShellCommand, env: HookEnvironment, report?: boolean) => Promise<number | undefined>;
  readonly methods: ReadonlyMap<string, HandshakeMethod>;
  /** The clock the worker's activity times use: epoch milliseconds, performance.timeOrigin + performance.now(). */
  readonly clock: () => number;
  readonly random?: () => number;
  /** Peers were established, moved or lost (what the peer state file remembers changed). */
  readonly peersChanged?: () => void;
}

export class ControlPlane {
  readonly table: PeerRegistry;
  readonly unknownBackoff = new UnknownAddressBackoff();
  readonly sockets: SocketTable;
  /** Where the configured peers' remotes are, as the workers know it. */
  readonly remoteEndpoints: RemoteEndpoints;
  private readonly tasks = new PeerTasks(this);
  /** Peers the worker currently serves (added at establishment, removed at reset). */
  private readonly inWorker = new Set<EnginePeer>();
  /**
   * fastd's disabled peers, by key: configured, but left out because their key is ours or
   * is used by another definition too. They take no part; their key is not admitted as a dynamic peer.
   */
  readonly disabled = new Map<string, PeerConfig>();
  /**
   * The handshake's methods for a group's list of names (a reload brings new lists): built
   * for every handshake, they were ~380 bytes of garbage an answered init.
   */
  private readonly methodsNamed = new WeakMap<readonly string[], readonly HandshakeMethod[]>();

  constructor(readonly deps: ControlPlaneDeps) {
    this.table = new PeerRegistry();
    this.sockets = new SocketTable(deps.config, deps.sockets, deps.post);
    this.remoteEndpoints = new RemoteEndpoints(this.table, deps.post);
  }

  get config(): Config {
    return this.deps.config;
  }

  /** The peer as the handshake state machine sees it. */
  handshakePeer(peer: EnginePeer): HandshakePeer {
    const names = effectiveMethods(peer.config.group);
    let methods = this.methodsNamed.get(names);
    if (!methods) {
      methods = names.map((name) => this.deps.methods.get(name)).filter((method): method is HandshakeMethod => method !== undefined);
      this.methodsNamed.set(names, methods);
    }
    return { key: peer.key, mtu: peerMtu(this.config, peer.config), methods, state: peer.handshake };
  }

  /** Adds and sets up a peer; returns undefined (logged) when it cannot be added. */
  addPeer(config: PeerConfig, dynamic: boolean, now: number): EnginePeer | undefined {
    let peer: EnginePeer;
    try {
      peer = this.table.add(config, dynamic);
    } catch (error) {
      log.warn(`can't add peer ${config.name ?? config.key}: ${(error as Error).message}`);
      return undefined;
    }
    // formatted only when logged: a start-up adds the 50,000 peers of a big directory
    if ((dynamic || config.sourceDir !== undefined) && log.isLevelEnabled('verbose')) log.verbose(`adding peer ${peer}`);
    if (config.remotes.length > 0) this.remoteEndpoints.changed();
    this.setup(peer, now);
    return peer;
  }

  /** fastd_peer_reset: drop the connection and start over. */
  reset(peer: EnginePeer, now: number): void {
    if (peer.phase !== 'inactive') log.debug(`resetting peer ${peer}`);
    this.teardown(peer, false);
    this.setup(peer, now);
  }

  /** fastd_peer_delete. */
  delete(peer: EnginePeer): void {
    this.teardown(peer, true);
    this.table.remove(peer);
    if (peer.config.remotes.length > 0) this.remoteEndpoints.changed();
    if (peer.dynamic || peer.config.sourceDir !== undefined) log.verbose(`deleting peer ${peer}`);
  }

  /** A peer whose definition is now disabled (see `disabled`): fastd resets it and keeps it out. */
  disable(peer: EnginePeer): void {
    if (peer.phase !== 'inactive') log.debug(`resetting peer ${peer}`);
    this.teardown(peer, true);
    this.table.remove(peer);
    if (peer.config.remotes.length > 0) this.remoteEndpoints.changed();
  }

  /** At exit (fastd's cleanup): every peer goes, the disabled ones from peer directories too. */
  deleteAll(): void {
    for (const peer of [...this.table.all()]) this.delete(peer);
    for (const peer of this.disabled.values()) if (peer.sourceDir !== undefined) log.verbose(`deleting peer ${describeConfiguredPeer(peer)}`);
    this.disabled.clear();
  }

  /** SIGUSR2 (fastd_peer_reset_all): dynamic peers go, the others start over. */
  resetAll(now: number): void {
    for (const peer of [...this.table.all()]) {
      if (peer.dynamic) this.delete(peer);
      else this.reset(peer, now);
    }
  }

  /**
   * Runs a peer's group hook with fastd's peer environment; resolves with its exit status.
   * `wait` makes it sync whatever its declaration, where fastd forces that (fastd_peer_exec_shell_command).
   */
  peerHook(peer: EnginePeer | undefined, name: GroupHookName, local?: Endpoint, remote?: Endpoint, wait = false): Promise<number | undefined> {
    const command = effectiveHook(peer?.config.group ?? this.config.peerGroup, name);
    if (!command) return Promise.resolve(0);
    return this.deps.runHook(wait ? { ...command, sync: true } : command, this.peerEnvironment(peer, local, remote));
  }

  peerEnvironment(peer: EnginePeer | undefined, local?: Endpoint, remote?: Endpoint): HookEnvironment {
    return peerEnvironment({
      localKey: this.deps.localKey,
      peer: peer && { name: peer.config.name, key: peer.config.key },
      iface: peer && this.interfaceOf(peer),
      local,
      remote,
    });
  }

  interfaceOf(peer: EnginePeer): InterfaceInfo | undefined {
    const iface = this.deps.singleInterface ?? peer.iface;
    return iface && { name: iface.device.name, mtu: iface.mtu };
  }

  /** Our address at a location, for hooks: the one the peer talks to on a wildcard socket, else the socket's. */
  localEndpoint(location: PeerLocation): Endpoint | undefined {
    const bound = this.sockets.get(location.socketId);
    if (!bound) return undefined;
    return location.local ? { ...location.local, port: bound.socket.local.port } : boundEndpoint(bound);
  }

  /** Handshake packets, out of the socket at `location` (gone: dropped). */
  sendPacket(location: PeerLocation, packets: readonly Uint8Array[]): void {
    const bound = this.sockets.get(location.socketId);
    if (!bound) return;
    for (const packet of packets) this.deps.send(bound.socket.fd, location, packet);
  }

  /** Where the established peers are now, for the peer state file. */
  /**
   * Established peers where they are, and those of `notBackYet` (what a restart found in the
   * state file) that are configured but not back: a second restart soon after the first must
   * not forget them.
   */
  rememberedPeers(notBackYet: readonly RememberedPeer[] = []): RememberedPeer[] {
    const peers: RememberedPeer[] = [];
    for (const peer of this.table.all()) if (peer.established && peer.location) peers.push({ key: peer.config.key, endpoint: peer.location.endpoint });
    for (const entry of notBackYet) {
      const peer = this.table.find(entry.key);
      if (peer && !peer.established) peers.push(entry);
    }
    return peers;
  }

  /** After a restart: a handshake to where the peer was authenticated before (restart-greeting.ts). */
  greet(peer: EnginePeer, endpoint: Endpoint, now: number): void {
    // the greeting's passes are spaced and bounded themselves; the 15 s rule would stop the next one
    peer.lastHandshakeUntil = 0;
    this.tasks.handshakeTo(peer, endpoint, now);
  }

  /** fastd's setup_peer. */
  private setup(peer: EnginePeer, now: number): void {
    peer.remoteIndex = peer.config.remotes.length > 0 ? 0 : -1;
    peer.addressIndex = 0;
    peer.nextHandshake = Infinity;
    peer.refreshAt = Infinity;
    // A fresh start may handshake at once, whatever the last attempt's rate limit (setup_peer).
    peer.lastHandshakeUntil = 0;
    peer.lastHandshakeTo = undefined;
    // A dynamic peer exists for its handshake; unless it establishes, it goes again.
    peer.resetAt = peer.dynamic ? now + MIN_HANDSHAKE_INTERVAL : Infinity;
    // fastd waits for `on up` of a persistent interface (setup_peer).
    if (!this.deps.singleInterface && this.config.persistInterface && !peer.iface && !peer.dynamic) {
      this.openInterfaceFor(peer, true);
    }
    const remote = peer.config.remotes[0];
    if (!remote) {
      peer.phase = 'passive';
    } else if (remote.kind === 'hostname') {
      peer.phase = 'resolving';
      peer.nextHandshake = now + defaultHandshakeDelay(this.deps.random);
      this.resolve(peer, 0);
    } else {
      this.initHandshake(peer, now);
    }
    this.deadlinesChanged(peer);
  }

  /** fastd's init_handshake: at once, or within 3 s when a peer limit makes the order matter. */
  private initHandshake(peer: EnginePeer, now: number): void {
    const spread = PeerRegistry.hasLimits(peer.config.group) ? randomBetween(0, PEER_LIMIT_START_SPREAD, this.deps.random) : 0;
    peer.phase = 'handshake';
    peer.nextHandshake = now + spread;
    this.deadlinesChanged(peer);
  }

  /**
   * Resolves one remote of the peer again, unless it was resolved less than
   * MIN_RESOLVE_INTERVAL ago (fastd_resolve_peer); handshakes start when a resolving peer
   * gets addresses, or at once with the ones it has.
   */
  resolve(peer: EnginePeer, index: number): void {
    const remote = peer.config.remotes[index];
    if (!remote) return;
    const now = this.deps.clock();
    if (now < (peer.resolveUntil[index] ?? 0)) {
      if (peer.phase === 'resolving') this.initHandshake(peer, now);
      return;
    }
    peer.resolveUntil[index] = now + MIN_RESOLVE_INTERVAL;
    void resolveRemote(remote, `${peer}`).then((addresses) => {
      if (this.table.find(peer.config.key) !== peer) return;
      peer.resolved[index] = addresses;
      this.remoteEndpoints.changed();
      if (peer.remoteIndex === index) peer.addressIndex = 0;
      if (peer.phase === 'resolving') this.initHandshake(peer, this.deps.clock());
    });
  }

  private openInterfaceFor(peer: EnginePeer, wait = false): boolean {
    try {
      peer.iface = this.deps.openPeerInterface(peer.config);
    } catch (error) {
      log.error(`can't open interface for ${peer}: ${(error as Error).message}`);
      return false;
    }
    void this.peerHook(peer, 'onUp', undefined, undefined, wait);
    return true;
  }

  /** fastd's reset_peer: disestablish, forget the address and sessions, close a per-peer interface. */
  private teardown(peer: EnginePeer, deleting: boolean): void {
    const wasEstablished = peer.established;
    if (wasEstablished) {
      void this.peerHook(peer, 'onDisestablish', peer.location && this.localEndpoint(peer.location), peer.location?.endpoint);
      log.info(`connection with ${peer} disestablished.`);
    }
    if (this.inWorker.delete(peer)) this.deps.post({ type: 'removePeer', peerId: peer.peerId });
    this.sockets.release(peer);
    peer.handshake.cache = undefined;
    this.table.relocate(peer, undefined);
    peer.phase = 'inactive';
    if (wasEstablished) this.deps.peersChanged?.();
    peer.establishedAt = 0;
    peer.method = undefined;
    peer.macAddresses = NONE;
    peer.sessionConfirmed = true;
    peer.nextHandshake = Infinity;
    peer.resetAt = Infinity;
    peer.refreshAt = Infinity;
    this.deadlinesChanged(peer);
    if (peer.iface && (!this.config.persistInterface || deleting || peer.dynamic)) {
      // fastd's delete_peer waits for `on down` of an interface that outlived the reset.
      const persisted = this.config.persistInterface && !peer.dynamic;
      void this.peerHook(peer, 'onDown', undefined, undefined, deleting && persisted);
      this.deps.closePeerInterface(peer.iface);
      peer.iface = undefined;
    }
  }

  /**
   * fastd's establish + fastd_peer_set_established: a handshake completed with `peer` at
   * `location`. Returns false when the peer was reset instead.
   */
  establish(peer: EnginePeer, session: EstablishedSession, location: PeerLocation, now: number): boolean {
    log.verbose(`${logAddress(formatEndpoint(location.endpoint))} authenticated as ${peer}`);
    const holder = this.table.atAddress(location.endpoint);
    if (holder && holder !== peer) {
      if (PeerRegistry.ownsAddress(holder, location.endpoint)) {
        log.warn(`can't establish session with ${peer}[${logAddress(formatEndpoint(location.endpoint))}] as the address is used by another peer`);
        this.reset(peer, now);
        return false;
      }
      this.reset(holder, now);
    }
    if (!this.deps.singleInterface && !peer.iface && !this.openInterfaceFor(peer)) {
      this.reset(peer, now);
      return false;
    }
    if (!this.inWorker.has(peer)) {
      const iface = this.deps.singleInterface ? undefined : peer.iface;
      this.deps.post({ type: 'addPeer', peerId: peer.peerId, ...(iface ? { interface: interfaceSpec(iface) } : {}) });
      this.inWorker.add(peer);
    }
    this.sockets.claim(peer, location.socketId);
    this.table.relocate(peer, location);
    this.deps.post({ type: 'setPeerAddress', peerId: peer.peerId, socketId: location.socketId, endpoint: location.endpoint, local: location.local });
    this.deps.post({
      type: 'installSession',
      peerId: peer.peerId,
      method: session.method.name,
      key: session.key,
      initiator: session.initiator,
      compat: session.compat,
      // fastd's responder confirms the new session with an empty packet at once.
      sendEmpty: !session.initiator,
    });
    peer.method = session.method.name;
    peer.sessionInitiator = session.initiator;
    peer.sessionConfirmed = false;
    peer.resetAt = now + PEER_STALE_TIME;
    peer.lastKeepalive = now;
    // Both sides keep handshaking until the first packet on the new session arrives.
    peer.nextHandshake = now + defaultHandshakeDelay(this.deps.random);
    peer.refreshAt = session.initiator ? refreshTime(now, this.deps.random) : Infinity;
    this.deadlinesChanged(peer);
    if (!peer.established) {
      peer.phase = 'established';
      peer.establishedAt = now;
      this.answerWaiting(addressKey(location.endpoint), now);
      void this.peerHook(peer, 'onEstablish', this.localEndpoint(location), location.endpoint);
      log.info(`connection with ${peer} established.`);
    }
    this.deps.peersChanged?.();
    log.verbose(`new session with ${peer} established using method \`${session.method.name}'${session.compat ? ' (compat mode)' : ''}.`);
    return true;
  }

  /** One handshake to the sender of data nobody could open (fastd v23's fast reconnect), in that data's framing. */
  handshakeUnknown(sender: WaitingSender, now: number): void {
    const location: PeerLocation = { socketId: sender.socketId, endpoint: sender.endpoint, local: sender.local };
    log.verbose(`sending handshake to unknown peer ${logAddress(formatEndpoint(sender.endpoint))}`);
    void this.peerHook(undefined, 'onConnect', this.localEndpoint(location), sender.endpoint);
    const format = sender.compat ? 0 : HandshakeFlag.L2tpSupport;
    this.sendPacket(location, this.deps.handshake.initiate(undefined, now, format));
  }

  /** A handshake with `address` completed: the next sender refused there meanwhile gets its handshake now. */
  private answerWaiting(address: string, now: number): void {
    for (let next = this.unknownBackoff.purge(address, now); next; next = this.unknownBackoff.purge(address, now)) {
      // back already by a handshake of its own
      if (this.table.atAddress(next.endpoint)?.established) continue;
      this.handshakeUnknown(next, now);
      return;
    }
  }

  /**
   * The first packet on the newest session arrived: stop handshaking (fastd's "cleaning left
   * handshakes"); the worker itself sends the initiator's empty packet.
   */
  sessionConfirmed(peer: EnginePeer, now: number): void {
    peer.resetAt = Math.max(peer.resetAt, now + PEER_STALE_TIME);
    if (peer.sessionConfirmed) return;
    peer.sessionConfirmed = true;
    log.debug(`cleaning left handshakes with ${peer}`);
    peer.nextHandshake = Infinity;
    if (peer.sessionInitiator) peer.lastKeepalive = now;
    this.deadlinesChanged(peer);
  }

  /** Authentic data from a new address: a floating peer follows it, others stay where they are. */
  peerMoved(peer: EnginePeer, location: PeerLocation, now: number): void {
    if (!peer.established) return;
    if (!peer.floating && !PeerRegistry.ownsAddress(peer, location.endpoint)) {
      log.debug(`ignoring data for ${peer} from ${logAddress(formatEndpoint(location.endpoint))} (not floating)`);
      return;
    }
    const holder = this.table.atAddress(location.endpoint);
    if (holder && holder !== peer) this.reset(holder, now);
    this.sockets.claim(peer, location.socketId);
    this.table.relocate(peer, location);
    this.deps.post({ type: 'setPeerAddress', peerId: peer.peerId, socketId: location.socketId, endpoint: location.endpoint, local: location.local });
    this.deps.peersChanged?.();
  }

  /** The worker's latest MAC learning table, per peer; peers not listed have no addresses. */
  setMacAddresses(entries: readonly { readonly peerId: number; readonly addresses: readonly string[] }[]): void {
    for (const peer of this.table.all()) peer.macAddresses = NONE;
    for (const { peerId, addresses } of entries) {
      const peer = this.table.withId(peerId);
      if (peer && this.inWorker.has(peer)) peer.macAddresses = addresses;
    }
  }

  /** One of the workers' statistics of the peer (the workers zero its rows when it leaves them). */
  stat(peer: EnginePeer, field: number): number {
    return this.deps.peerStats.stat(peer.peerId, field);
  }

  /** Queues the peer's task for its earliest deadline again: called whenever one of them is set. */
  deadlinesChanged(peer: EnginePeer): void {
    this.tasks.schedule(peer);
  }

  /** Runs the due peers' tasks; returns when the next one is due. */
  tick(now: number): number {
    return this.tasks.tick(now);
  }
}
