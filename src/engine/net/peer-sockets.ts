// fastd's dynamic sockets (src/peer.c fastd_peer_reset_socket, src/socket.c fastd_socket_open):
// when the bind that outgoing connections to a family go from has no port, every handshake
// to a peer not yet connected goes out from a socket opened for that peer alone, with a
// random port; the previous one closes. The socket stays the peer's until the peer resets or
// a handshake reaches it on one of the daemon's configured sockets (fastd_peer_claim_address).
// The worker serves these sockets like the configured ones, under ids that follow theirs.
import type { Config } from '../../config/types.js';
import { closeSocket } from '../../io/udp.js';
import { log } from '../../log/logger.js';
import type { ToWorker } from '../datapath/messages.js';
import type { EnginePeer } from '../control/peer-state.js';
import { openBind, outgoingBind, socketOf, socketSpec, type BoundSocket } from './sockets.js';

export class SocketTable {
  /** Per-peer sockets by socketId; ids are reused, the longest free first. */
  private readonly dynamic = new Map<number, BoundSocket>();
  private readonly ofPeer = new Map<EnginePeer, BoundSocket>();
  private readonly freeIds: number[] = [];
  private nextId: number;

  constructor(
    private readonly config: Config,
    /** The sockets of the binds with a port, ids 0..n-1. */
    private readonly configured: readonly BoundSocket[],
    private readonly post: (message: ToWorker) => void,
    private readonly open: typeof openBind = openBind,
  ) {
    this.nextId = configured.length;
  }

  get(socketId: number): BoundSocket | undefined {
    return this.configured[socketId] ?? this.dynamic.get(socketId);
  }

  /**
   * The socket a handshake to a peer not connected yet goes out from: the configured one of
   * the outgoing bind, or a fresh one of the peer's own when that bind has no port (the
   * peer's previous one closes either way). undefined when nothing can reach `family`.
   */
  forHandshake(peer: EnginePeer, family: 4 | 6): BoundSocket | undefined {
    this.release(peer);
    const bind = outgoingBind(this.config, family);
    if (!bind) {
      log.debug(`not opening an ${family === 6 ? 'IPv6' : 'IPv4'} socket for peer ${peer} (no bind address with matching address family)`);
      return undefined;
    }
    if (bind.port !== undefined) return socketOf(this.configured, bind);
    const socketId = this.freeIds.shift() ?? this.nextId++;
    let bound: BoundSocket;
    try {
      bound = this.open(this.config, bind, socketId);
    } catch (error) {
      this.freeIds.push(socketId);
      log.error(`unable to open a socket for ${peer}: ${(error as Error).message}`);
      return undefined;
    }
    this.dynamic.set(socketId, bound);
    this.ofPeer.set(peer, bound);
    this.post({ type: 'addSocket', socket: socketSpec(bound) });
    return bound;
  }

  /** The peer is reached through `socketId` now: a socket of its own that is not that one closes. */
  claim(peer: EnginePeer, socketId: number): void {
    const own = this.ofPeer.get(peer);
    if (own && own.socketId !== socketId) this.release(peer);
  }

  /** Closes the peer's own socket, if it has one (fastd's free_socket). */
  release(peer: EnginePeer): void {
    const own = this.ofPeer.get(peer);
    if (!own) return;
    this.ofPeer.delete(peer);
    this.dynamic.delete(own.socketId);
    this.freeIds.push(own.socketId);
    // The worker closes its duplicate; ours can go at once.
    this.post({ type: 'removeSocket', socketId: own.socketId });
    closeSocket(own.socket);
  }
}
