// The worker's peer table: each peer's sessions (current and the one it replaced), where it
// is (socket and endpoint), our address it talks to, and, in tun/multitap mode, its own interface. Peers are numbered
// by the control plane's peerId (their slot in the statistics table). Finding the peer a
// datagram came from is a Map lookup on a numeric endpoint key plus a word compare
// (address-key.ts): nothing is allocated per packet.
import { SOCKADDR_SLOT } from '../../../io/linux-abi.js';
import { writeSockaddr } from '../../../io/sockaddr.js';
import type { MethodSession } from '../../../crypto/methods/provider.js';
import { copySlot, endpointKey, NO_KEY, sameEndpoint, sameSlot } from './address-key.js';
import type { Endpoint } from '../messages.js';
import { ABSENT, NumberMap } from './number-map.js';

/** No peer: the same value as a NumberMap's ABSENT, so a failed lookup is NO_PEER. */
export const NO_PEER = ABSENT;

export class DatapathPeer {
  /** The newest session: every packet is sealed with it, and opened with it first. */
  current: MethodSession | null = null;
  /** The session `current` replaced, kept for receiving until it expires or current is confirmed. */
  previous: MethodSession | null = null;
  /** A packet has opened on `current` (fastd's handshakes_cleaned). */
  confirmed = false;
  /** The current session's method has a key, so a packet it opens is proven to come from this peer. */
  authenticated = false;
  socketId = -1;
  /** Endpoint key of the peer's address (NO_KEY: none yet). */
  key = NO_KEY;
  /** Next peer with the same endpoint key (IPv6 hash collisions), or NO_PEER. */
  nextWithKey = NO_PEER;

  constructor(
    readonly id: number,
    /** tun/multitap: the peer's own interface (at its owner only); -1 in tap mode. */
    readonly interfaceId: number,
    /** The worker that has the peer's sessions; packets for it elsewhere are handed over to it. */
    readonly owner: number,
  ) {}

  /** Established in fastd's sense: it has a session to send with. */
  get established(): boolean {
    return this.current !== null;
  }
}

export class PeerTable {
  /** Endpoint of each peer, one sockaddr slot per peerId, in the kernel's layout. */
  addressWords: Uint32Array;
  addressBytes: Uint8Array;
  /**
   * Our address each peer last talked to, one sockaddr slot per peerId (family 0: none, a
   * socket bound to one address): what goes out to the peer leaves from it.
   */
  localWords: Uint32Array;
  localBytes: Uint8Array;
  private readonly byId: (DatapathPeer | undefined)[];
  private readonly byKey = new NumberMap();
  /** Ids of the existing peers, [0, count) used, for sending to all. */
  ids: Int32Array;
  count = 0;

  /** `capacity`: the peerIds it has room for at first; it grows to fit larger ones. */
  constructor(private capacity: number) {
    const addresses = sockaddrSlots(capacity);
    this.addressWords = addresses.words;
    this.addressBytes = addresses.bytes;
    const locals = sockaddrSlots(capacity);
    this.localWords = locals.words;
    this.localBytes = locals.bytes;
    this.byId = new Array<DatapathPeer | undefined>(capacity).fill(undefined);
    this.ids = new Int32Array(capacity);
  }

  get(peerId: number): DatapathPeer | undefined {
    return this.byId[peerId];
  }

  /** Adds a peer; throws for an id that is no row number or is already in use. */
  add(peerId: number, interfaceId: number, owner = 0): DatapathPeer {
    if (!Number.isInteger(peerId) || peerId < 0) throw new RangeError(`peerId ${peerId} is not a statistics row`);
    if (peerId >= this.capacity) this.grow(peerId);
    if (this.byId[peerId]) throw new Error(`peerId ${peerId} is already in use`);
    const peer = new DatapathPeer(peerId, interfaceId, owner);
    this.byId[peerId] = peer;
    this.ids[this.count++] = peerId;
    return peer;
  }

  /** Removes a peer, destroying its sessions. */
  remove(peerId: number): void {
    const peer = this.byId[peerId];
    if (!peer) return;
    this.unindex(peer);
    dropSessions(peer);
    this.byId[peerId] = undefined;
    for (let i = 0; i < this.count; i++) {
      if (this.ids[i] !== peerId) continue;
      this.ids[i] = this.ids[--this.count];
      break;
    }
  }

  /** Moves a peer to an endpoint, talking to our `local` address (throws on an address that is not an IP address). */
  setAddress(peer: DatapathPeer, socketId: number, endpoint: Endpoint, local: Endpoint | undefined): void {
    this.unindex(peer);
    writeSockaddr(this.addressBytes, peer.id, endpoint);
    if (local) writeSockaddr(this.localBytes, peer.id, local);
    else this.localBytes.fill(0, peer.id * SOCKADDR_SLOT, (peer.id + 1) * SOCKADDR_SLOT);
    peer.socketId = socketId;
    peer.key = endpointKey(this.addressWords, peer.id);
    peer.nextWithKey = this.byKey.get(peer.key);
    this.byKey.set(peer.key, peer.id);
  }

  /** Whether the peer talks to the local address in slot `slot` of a batch's local words. */
  talksTo(peerId: number, words: Uint32Array, slot: number): boolean {
    return sameSlot(this.localWords, peerId, words, slot);
  }

  /** The peer now talks to the local address in slot `slot` of a batch's local words. */
  setLocal(peerId: number, words: Uint32Array, slot: number): void {
    copySlot(words, slot, this.localWords, peerId);
  }

  /** The peer whose endpoint is in slot `slot` of a batch's address words, or NO_PEER. */
  find(words: Uint32Array, slot: number): number {
    const key = endpointKey(words, slot);
    if (key === NO_KEY) return NO_PEER;
    let id = this.byKey.get(key);
    while (id !== NO_PEER && !sameEndpoint(this.addressWords, id, words, slot)) id = this.byId[id]!.nextWithKey;
    return id;
  }

  // Control-plane work (a peer comes): doubling keeps it rare; the packet paths read the fields anew each time.
  private grow(peerId: number): void {
    const capacity = Math.max(2 * this.capacity, peerId + 1);
    const addresses = sockaddrSlots(capacity, this.addressBytes);
    this.addressWords = addresses.words;
    this.addressBytes = addresses.bytes;
    const locals = sockaddrSlots(capacity, this.localBytes);
    this.localWords = locals.words;
    this.localBytes = locals.bytes;
    while (this.byId.length < capacity) this.byId.push(undefined);
    const ids = new Int32Array(capacity);
    ids.set(this.ids);
    this.ids = ids;
    this.capacity = capacity;
  }

  private unindex(peer: DatapathPeer): void {
    if (peer.key === NO_KEY) return;
    const first = this.byKey.get(peer.key);
    if (first === peer.id) {
      if (peer.nextWithKey === NO_PEER) this.byKey.delete(peer.key);
      else this.byKey.set(peer.key, peer.nextWithKey);
    } else {
      let at = this.byId[first]!;
      while (at.nextWithKey !== peer.id) at = this.byId[at.nextWithKey]!;
      at.nextWithKey = peer.nextWithKey;
    }
    peer.key = NO_KEY;
    peer.nextWithKey = NO_PEER;
    peer.socketId = -1;
  }
}

/**
 * Installs a session from a completed handshake: the current one is superseded and kept
 * for receiving (the one before it is destroyed), as fastd's protocol state does.
 */
export function installSession(peer: DatapathPeer, session: MethodSession, authenticated: boolean, now: number): void {
  peer.previous?.destroy();
  peer.previous = peer.current;
  peer.previous?.supersede(now);
  peer.current = session;
  peer.confirmed = false;
  peer.authenticated = authenticated;
}

/** Destroys the previous session once a packet opened on the current one (fastd does the same). */
export function confirmCurrent(peer: DatapathPeer): void {
  peer.confirmed = true;
  peer.previous?.destroy();
  peer.previous = null;
}

export function dropSessions(peer: DatapathPeer): void {
  peer.current?.destroy();
  peer.previous?.destroy();
  peer.current = null;
  peer.previous = null;
  peer.confirmed = false;
}

/** Destroys sessions that are no longer valid (timer work, not per packet). */
export function expireSessions(peer: DatapathPeer, now: number): void {
  if (peer.previous && !peer.previous.isValid(now)) {
    peer.previous.destroy();
    peer.previous = null;
  }
  if (peer.current && !peer.current.isValid(now)) {
    peer.current.destroy();
    peer.current = null;
    peer.confirmed = false;
  }
}

/** One sockaddr slot per peerId, seen as words (compared, copied) and bytes (read, written); `from` is copied in. */
function sockaddrSlots(capacity: number, from?: Uint8Array): { words: Uint32Array; bytes: Uint8Array } {
  const memory = new ArrayBuffer(capacity * SOCKADDR_SLOT);
  const bytes = new Uint8Array(memory);
  if (from) bytes.set(from);
  return { words: new Uint32Array(memory), bytes };
}
