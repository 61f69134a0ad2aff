// What the control plane knows about one peer while the daemon runs (fastd's fastd_peer_t
// minus the datapath half, which lives in the worker under the same peerId).
import type { PeerConfig } from '../../config/types.js';
import { parseKeyHex } from '../../crypto/ec25519/keys.js';
import { PeerHandshakeState } from '../../protocol/handshake.js';
import type { Endpoint } from '../datapath/messages.js';
import type { OpenInterface } from '../net/interfaces.js';

/** fastd's peer states. */
type PeerPhase = 'inactive' | 'resolving' | 'handshake' | 'passive' | 'established';

/** Where a peer is reached: which of our sockets and which remote endpoint. */
export interface PeerLocation {
  readonly socketId: number;
  readonly endpoint: Endpoint;
  /** On a wildcard socket: our address the peer talks to (port 0), which answers leave from (fastd's local_address). */
  readonly local?: Endpoint;
}

/** fastd's "%P": `<name>`, or `{first 16 hex digits of the key}` for a nameless peer. */
export function describeConfiguredPeer(config: PeerConfig): string {
  return config.name !== undefined ? `<${config.name}>` : `{${config.key.slice(0, 16)}}`;
}

/**
 * Shared by the peers without remotes or learned addresses, the bulk of a supernode's: with
 * 50,000 configured keys, empty arrays of their own cost ~5 MiB; one array also lets the status
 * source see that a peer's addresses did not change (status-source.ts). Frozen, so a write is a
 * bug that throws.
 */
export const NONE: readonly never[] = Object.freeze([]);

export class EnginePeer {
  /** Made at the first handshake: most configured peers of a supernode never connect. */
  private handshakeState: PeerHandshakeState | undefined;
  /** The public key as bytes (config.key is its hex form), made when a handshake first needs it. */
  private keyBytes: Uint8Array | undefined;
  phase: PeerPhase = 'inactive';
  /** Where the peer is, or is being tried; changed only through PeerTable.relocate, which indexes it. */
  location: PeerLocation | undefined;
  /** The addresses each configured remote resolved to, in configuration order. */
  resolved: Endpoint[][];
  /** Per remote: no new lookup of its name before then (fastd's last_resolve_timeout). */
  readonly resolveUntil: number[];
  /** fastd's next_remote: the remote being tried, -1 while handshakes are disabled. */
  remoteIndex = -1;
  /** The address of that remote being tried. */
  addressIndex = 0;

  establishedAt = 0;
  method: string | undefined;
  sessionInitiator = false;
  /** Until the first packet on the newest session arrives, handshakes keep going out. */
  sessionConfirmed = true;

  nextHandshake = Infinity;
  resetAt = Infinity;
  refreshAt = Infinity;
  /** The per-peer task's place in the deadline queue (peer-tasks.ts). */
  queuedAt = Infinity;
  heapSlot = -1;
  /** When we last asked the worker for a keepalive (its LastSend catches up a moment later). */
  lastKeepalive = 0;
  /** No second initial handshake to the same address before this. */
  lastHandshakeUntil = 0;
  lastHandshakeTo: string | undefined;

  /** When we last answered a reconnecting peer's init inside the quiet period after establishing. */
  lastReconnectAnswer = -Infinity;

  /** `on verify` of a dynamic peer: not rerun before verifyUntil; its yes holds until verifiedUntil. */
  verifyUntil = 0;
  verifiedUntil = 0;

  /** TAP: the MAC addresses the worker last reported behind this peer. */
  macAddresses: readonly string[] = NONE;

  /** TUN/multitap: the peer's own interface. */
  iface: OpenInterface | undefined;

  constructor(
    /** Replaced only by a SIGHUP reload that renames the peer and changes nothing else. */
    public config: PeerConfig,
    readonly peerId: number,
    /** Accepted by `on verify` rather than configured. */
    readonly dynamic: boolean,
  ) {
    const { remotes } = config;
    this.resolved = remotes.length === 0 ? (NONE as never[]) : remotes.map((remote) =>
      remote.kind === 'address'
        ? [{ family: remote.family === 'ipv6' ? 6 : 4, address: remote.address, port: remote.port, scopeId: 0 }]
        : [],
    );
    this.resolveUntil = remotes.length === 0 ? (NONE as never[]) : [];
  }

  get handshake(): PeerHandshakeState {
    return (this.handshakeState ??= new PeerHandshakeState());
  }

  /** PeerTable.add checked the hex. */
  get key(): Uint8Array {
    return (this.keyBytes ??= parseKeyHex(this.config.key)!);
  }

  get established(): boolean {
    return this.phase === 'established';
  }

  /** fastd treats peers without remotes as floating. */
  get floating(): boolean {
    return this.config.floating || this.config.remotes.length === 0;
  }

  toString(): string {
    return describeConfiguredPeer(this.config);
  }
}
