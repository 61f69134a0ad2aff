// TAP mode's MAC learning table (fastd's ctx.eth_addrs): which peer a unicast Ethernet
// address was last seen behind, or that it is local (seen on our own TAP interface).
// Entries go stale after ETH_ADDR_STALE_TIME. A 48-bit MAC is its own numeric key, and each
// entry's owner and timeout live in typed arrays, so learning and looking up an address
// that is already known allocates nothing.
import { ABSENT, NumberMap } from './number-map.js';

/** fastd's ETH_ADDR_STALE_TIME (build.h), ms. */
export const ETH_ADDR_STALE_TIME = 300_000;

/** lookup(): the address was seen on our own interface. */
export const LOCAL = -1;
/** lookup(): the address is not (or no longer) known. */
export const UNKNOWN = -2;

const INITIAL_CAPACITY = 64;

/** The MAC at bytes[at, at + 6) as a number below 2^48. */
export function macKey(bytes: Uint8Array, at: number): number {
  return macHigh(bytes, at) * 2 ** 32 + (macLow(bytes, at) >>> 0);
}

/** The MAC's first two bytes, as a 16-bit integer. */
export function macHigh(bytes: Uint8Array, at: number): number {
  return (bytes[at] << 8) | bytes[at + 1];
}

/** The MAC's last four bytes, as an int32. */
export function macLow(bytes: Uint8Array, at: number): number {
  return (bytes[at + 2] << 24) | (bytes[at + 3] << 16) | (bytes[at + 4] << 8) | bytes[at + 5];
}

/** Unicast: the I/G bit (lowest bit of the first byte) is clear. */
export function isUnicast(bytes: Uint8Array, at: number): boolean {
  return (bytes[at] & 1) === 0;
}

export class MacTable {
  private readonly index = new NumberMap();
  private owner = new Int32Array(INITIAL_CAPACITY);
  private staleAt = new Float64Array(INITIAL_CAPACITY);
  private free: number[] = [];
  private used = 0;
  /** Something other than a timeout changed since the last snapshot(). */
  private changed = false;

  get size(): number {
    return this.index.size;
  }

  /** Records that `mac` is behind peer `owner` (or LOCAL), for ETH_ADDR_STALE_TIME from now. */
  learn(mac: number, owner: number, now: number): void {
    let entry = this.index.get(mac);
    if (entry === ABSENT) {
      entry = this.newEntry();
      this.index.set(mac, entry);
      this.changed = true;
    } else if (this.owner[entry] !== owner || this.staleAt[entry] <= now) {
      this.changed = true;
    }
    this.owner[entry] = owner;
    this.staleAt[entry] = now + ETH_ADDR_STALE_TIME;
  }

  /** The peer `mac` was learned on, LOCAL, or UNKNOWN (also once it went stale). */
  lookup(mac: number, now: number): number {
    const entry = this.index.get(mac);
    if (entry === ABSENT || this.staleAt[entry] <= now) return UNKNOWN;
    return this.owner[entry];
  }

  /** learn() for the MAC at bytes[at, at + 6): the packet paths' call, as on SharedMacTable (which reads it as two int32s). */
  learnAt(bytes: Uint8Array, at: number, owner: number, now: number): void {
    this.learn(macKey(bytes, at), owner, now);
  }

  /** lookup() for the MAC at bytes[at, at + 6) (see learnAt). */
  lookupAt(bytes: Uint8Array, at: number, now: number): number {
    return this.lookup(macKey(bytes, at), now);
  }

  /** Forgets every address learned on a peer (it was removed or reset). */
  forgetPeer(peerId: number): void {
    this.index.forEach((entry) => {
      if (this.owner[entry] !== peerId) return;
      this.staleAt[entry] = 0;
      this.changed = true;
    });
  }

  /** Drops stale entries (timer work). */
  expire(now: number): void {
    this.index.forEach((entry, mac) => {
      if (this.staleAt[entry] > now) return;
      this.index.delete(mac);
      this.free.push(entry);
      this.changed = true;
    });
  }

  /** The live addresses of every peer that has any, or null when nothing changed since the last call. */
  snapshot(now: number): Map<number, string[]> | null {
    if (!this.changed) return null;
    this.changed = false;
    const byPeer = new Map<number, string[]>();
    this.index.forEach((entry, mac) => {
      const owner = this.owner[entry];
      if (owner < 0 || this.staleAt[entry] <= now) return;
      let list = byPeer.get(owner);
      if (!list) byPeer.set(owner, (list = []));
      list.push(formatMac(mac));
    });
    return byPeer;
  }

  private newEntry(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.used === this.owner.length) {
      const grown = this.owner.length * 2;
      this.owner = grow(this.owner, new Int32Array(grown));
      this.staleAt = grow(this.staleAt, new Float64Array(grown));
    }
    return this.used++;
  }
}

/** aa:bb:cc:dd:ee:ff, as fastd prints MAC addresses. */
export function formatMac(mac: number): string {
  return mac.toString(16).padStart(12, '0').replace(/(..)(?!$)/g, '$1:');
}

function grow<T extends Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
