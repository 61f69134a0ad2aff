// The set of peers the daemon knows: configured ones, peers from peer directories and
// dynamic peers accepted by `on verify`. Peers are found by public key (handshakes) and by
// address; each holds a peerId, its row in the workers' statistics tables, for as long as it exists.
import type { PeerConfig, PeerGroup } from '../../config/types.js';
import { isKeyHex } from '../../crypto/ec25519/keys.js';
import type { Endpoint } from '../datapath/messages.js';
import { endpointKey } from './endpoints.js';
import { EnginePeer, type PeerLocation } from './peer-state.js';

function isGroupIn(group: PeerGroup | undefined, ancestor: PeerGroup): boolean {
  for (let current = group; current; current = current.parent) if (current === ancestor) return true;
  return false;
}

export class PeerRegistry {
  private readonly byKey = new Map<string, EnginePeer>();
  private readonly byId = new Map<number, EnginePeer>();
  /** endpointKey → the peers at (or trying) that address; usually one. */
  private readonly byAddress = new Map<string, Set<EnginePeer>>();
  private readonly freeIds: number[] = [];
  private nextId = 0;
  /** Peers that may be anywhere (a reload that keeps a peer keeps its remotes and `float`). */
  private floatingPeers = 0;

  get size(): number {
    return this.byKey.size;
  }

  /** fastd's has_floating: some peer may be at any address, so unknown addresses deserve a look. */
  get hasFloating(): boolean {
    return this.floatingPeers > 0;
  }

  all(): IterableIterator<EnginePeer> {
    return this.byKey.values();
  }

  find(keyHex: string): EnginePeer | undefined {
    return this.byKey.get(keyHex);
  }

  /** The peer behind a statistics row the worker names. */
  withId(peerId: number): EnginePeer | undefined {
    return this.byId.get(peerId);
  }

  /** Adds a peer under a free peerId (freed ones first, so the statistics tables grow with the peers there are at once). Throws RangeError for a bad key. */
  add(config: PeerConfig, dynamic: boolean): EnginePeer {
    if (!isKeyHex(config.key)) throw new RangeError(`invalid key for peer ${config.name ?? config.key}`);
    if (this.byKey.has(config.key)) throw new RangeError(`duplicate key ${config.key}`);
    const peerId = this.freeIds.pop() ?? this.nextId++;
    const peer = new EnginePeer(config, peerId, dynamic);
    this.byKey.set(config.key, peer);
    this.byId.set(peerId, peer);
    if (peer.floating) this.floatingPeers++;
    return peer;
  }

  remove(peer: EnginePeer): void {
    if (this.byKey.get(peer.config.key) !== peer) return;
    this.relocate(peer, undefined);
    this.byKey.delete(peer.config.key);
    this.byId.delete(peer.peerId);
    this.freeIds.push(peer.peerId);
    if (peer.floating) this.floatingPeers--;
  }

  /** The peer currently using this address, if any. */
  atAddress(endpoint: Endpoint): EnginePeer | undefined {
    return this.atKey(endpointKey(endpoint));
  }

  /** atAddress by the address's endpointKey, for a caller that has it already. */
  atKey(key: string): EnginePeer | undefined {
    return this.byAddress.get(key)?.values().next().value;
  }

  /** Moves a peer to a new location (or none), keeping the address index current. */
  relocate(peer: EnginePeer, location: PeerLocation | undefined): void {
    if (peer.location) {
      const key = endpointKey(peer.location.endpoint);
      const peers = this.byAddress.get(key);
      peers?.delete(peer);
      if (peers?.size === 0) this.byAddress.delete(key);
    }
    peer.location = location;
    if (location) {
      const key = endpointKey(location.endpoint);
      let peers = this.byAddress.get(key);
      if (!peers) this.byAddress.set(key, (peers = new Set()));
      peers.add(peer);
    }
  }

  /** fastd_peer_owns_address: one of the peer's remotes resolved to this address (a floating peer owns none). */
  static ownsAddress(peer: EnginePeer, endpoint: Endpoint): boolean {
    if (peer.floating) return false;
    const wanted = endpointKey(endpoint);
    return peer.resolved.some((addresses) => addresses.some((address) => endpointKey(address) === wanted));
  }

  /** Whether one of some peer's remotes resolved to this address. */
  isRemote(endpoint: Endpoint): boolean {
    for (const peer of this.byKey.values()) if (PeerRegistry.ownsAddress(peer, endpoint)) return true;
    return false;
  }

  /** fastd_peer_matches_address: a floating peer may be anywhere, others only at their remotes. */
  static matchesAddress(peer: EnginePeer, endpoint: Endpoint): boolean {
    return peer.floating || PeerRegistry.ownsAddress(peer, endpoint);
  }

  /** Established peers in `group` or below it. */
  establishedIn(group: PeerGroup): number {
    let count = 0;
    for (const peer of this.byKey.values()) if (peer.established && isGroupIn(peer.config.group, group)) count++;
    return count;
  }

  /** fastd_peer_may_connect: an established peer stays; another must fit every `peer limit` above it. */
  mayConnect(peer: EnginePeer): boolean {
    if (peer.established) return true;
    return this.fitsLimits(peer.config.group);
  }

  /** Whether one more established peer of `group` would stay within every limit on the way to the root. */
  fitsLimits(group: PeerGroup): boolean {
    for (let current: PeerGroup | undefined = group; current; current = current.parent) {
      if (current.peerLimit !== undefined && this.establishedIn(current) >= current.peerLimit) return false;
    }
    return true;
  }

  /** Whether any group above `group` sets a peer limit (fastd then spreads first handshakes out). */
  static hasLimits(group: PeerGroup): boolean {
    for (let current: PeerGroup | undefined = group; current; current = current.parent)
      if (current.peerLimit !== undefined) return true;
    return false;
  }
}
