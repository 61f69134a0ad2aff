// fastd's per-peer task (fastd_peer_handle_task): the handshake schedule going round the
// remotes and their addresses, keepalives, the stale-peer timeout and session refresh.
// Activity times come from the worker's statistics table, so nothing here sees a packet; each
// peer waits in a deadline queue for the earliest time its task may have work, as in fastd.
import { log, logAddress } from '../../log/logger.js';
import type { ControlPlane } from './control-plane.js';
import { PeerStat, type Endpoint } from '../datapath/messages.js';
import { endpointKey, formatEndpoint } from './endpoints.js';
import type { EnginePeer } from './peer-state.js';
import { DeadlineQueue } from './deadline-queue.js';
import { defaultHandshakeDelay, KEEPALIVE_TIMEOUT, MIN_HANDSHAKE_INTERVAL, PEER_STALE_TIME, RESTART_PROBE_INTERVAL } from '../../protocol/timing.js';

/**
 * The timer runs at least this often: a remote's name resolved meanwhile sets a handshake
 * deadline outside any message, and the daemon's timer hears of it no other way.
 */
const MAX_TICK_INTERVAL = 1_000;
/**
 * Keepalive deadlines are rounded up to a multiple of this, so that the keepalives that come
 * due within it go out in one tick, as one message per worker: 1,000 idle peers then wake
 * the control plane and each worker about once a second for them instead of 50 times.
 */
const KEEPALIVE_GRID = 1_000;

const onKeepaliveGrid = (time: number): number => Math.ceil(time / KEEPALIVE_GRID) * KEEPALIVE_GRID;

export class PeerTasks {
  /** Every peer with a deadline, at its earliest one (due()). */
  private readonly queue = new DeadlineQueue<EnginePeer>();
  /** The peers one tick takes out of the queue, reused. */
  private readonly running: EnginePeer[] = [];
  /** The keepalives one tick sends, posted together at its end. */
  private keepalives: number[] = [];

  constructor(private readonly control: ControlPlane) {}

  /**
   * fastd_peer_handle_task for every peer that is due; returns when the next one is. Each
   * peer is visited once per tick, so a task that is due again at once waits for the next.
   */
  tick(now: number): number {
    const running = this.running;
    for (let peer = this.queue.popDue(now); peer; peer = this.queue.popDue(now)) running.push(peer);
    for (const peer of running) {
      // a task deletes at most its own peer, whose teardown took it out of the queue
      this.peerTask(peer, now);
      this.schedule(peer);
    }
    running.length = 0;
    if (this.keepalives.length > 0) {
      this.control.deps.post({ type: 'keepalive', peerIds: this.keepalives });
      this.keepalives = [];
    }
    return Math.max(now, Math.min(this.queue.nextDue, now + MAX_TICK_INTERVAL));
  }

  /** Queues a peer at its earliest deadline (none: out of the queue); the control plane calls it whenever it sets one. */
  schedule(peer: EnginePeer): void {
    this.queue.set(peer, this.due(peer));
  }

  /**
   * The earliest time the peer's task may have something to do. Activity only moves the
   * worker's times later, so a peer visited at this time that has heard or sent meanwhile is
   * queued again further on; nothing is missed by not looking before.
   */
  private due(peer: EnginePeer): number {
    const due = Math.min(peer.nextHandshake, peer.resetAt, peer.refreshAt);
    return peer.established ? Math.min(due, this.keepaliveAt(peer)) : due;
  }

  private peerTask(peer: EnginePeer, now: number): void {
    if (peer.established) {
      const lastReceive = this.control.stat(peer, PeerStat.LastReceive);
      if (lastReceive > 0) peer.resetAt = Math.max(peer.resetAt, lastReceive + PEER_STALE_TIME);
    }
    if (peer.resetAt <= now) {
      if (peer.dynamic) this.control.delete(peer);
      else this.control.reset(peer, now);
      return;
    }
    if (peer.established) {
      if (this.keepaliveAt(peer) <= now) {
        // the name is built only when it is logged: 1,000 idle peers get ~50 keepalives a second
        if (log.isLevelEnabled('debug2')) log.debug2(`sending keepalive to ${peer}`);
        this.keepalives.push(peer.peerId);
        peer.lastKeepalive = now;
      }
      if (peer.refreshAt <= now) {
        log.verbose(`refreshing session with ${peer}`);
        peer.refreshAt = Infinity;
        peer.nextHandshake = now;
      }
    }
    if (peer.nextHandshake <= now) this.handshakeTask(peer, now);
  }

  /**
   * When an established peer is sent a keepalive, on the grid: KEEPALIVE_TIMEOUT after we
   * last sent, or sooner for a peer we reach through a `remote` that has been quiet both ways
   * for RESTART_PROBE_INTERVAL: a restarted peer without `remote` cannot find us, but our
   * packet makes it answer with a handshake (fast reconnect) within seconds.
   */
  private keepaliveAt(peer: EnginePeer): number {
    const lastSend = Math.max(this.control.stat(peer, PeerStat.LastSend), peer.lastKeepalive);
    let at = lastSend + KEEPALIVE_TIMEOUT;
    if (peer.config.remotes.length > 0) {
      const lastReceive = Math.max(this.control.stat(peer, PeerStat.LastReceive), peer.establishedAt);
      at = Math.min(at, Math.max(lastReceive, lastSend) + RESTART_PROBE_INTERVAL);
    }
    return onKeepaliveGrid(at);
  }

  /** fastd's handle_task_handshake: one handshake, then on to the next address or remote. */
  private handshakeTask(peer: EnginePeer, now: number): void {
    peer.nextHandshake = now + defaultHandshakeDelay(this.control.deps.random);
    if (!this.control.table.mayConnect(peer)) {
      if (peer.remoteIndex !== -1) {
        log.debug(`temporarily disabling handshakes with ${peer}`);
        peer.remoteIndex = -1;
      }
      return;
    }
    const remotes = peer.config.remotes.length;
    const hasRemote = peer.remoteIndex >= 0 && peer.remoteIndex < remotes;
    if (hasRemote || peer.established) {
      this.sendHandshake(peer, now);
      if (peer.established) return;
      peer.phase = 'handshake';
      if (++peer.addressIndex < (peer.resolved[peer.remoteIndex]?.length ?? 0)) return;
      peer.remoteIndex++;
    }
    if (remotes === 0) return;
    if (peer.remoteIndex < 0 || peer.remoteIndex >= remotes) peer.remoteIndex = 0;
    peer.addressIndex = 0;
    if (peer.config.remotes[peer.remoteIndex]!.kind === 'hostname') this.control.resolve(peer, peer.remoteIndex);
  }

  /** fastd's send_handshake: to the remote being tried, or to where an established peer is. */
  private sendHandshake(peer: EnginePeer, now: number): void {
    const endpoint = peer.established ? peer.location?.endpoint : peer.resolved[peer.remoteIndex]?.[peer.addressIndex];
    if (!endpoint) {
      log.debug(`not sending a handshake to ${peer} (no valid address resolved)`);
      return;
    }
    this.handshakeTo(peer, endpoint, now);
  }

  /** One handshake to `endpoint`: where an established peer is, a remote being tried, or where it was before a restart. */
  handshakeTo(peer: EnginePeer, endpoint: Endpoint, now: number): void {
    const target = endpointKey(endpoint);
    if (now < peer.lastHandshakeUntil && peer.lastHandshakeTo === target) {
      log.debug(`not sending a handshake to ${peer} as we sent one a short time ago`);
      return;
    }
    if (!peer.established) {
      // fastd_peer_reset_socket: a port-less bind gives each new attempt a socket of its own
      const socket = this.control.sockets.forHandshake(peer, endpoint.family);
      if (!socket) return;
      this.control.table.relocate(peer, { socketId: socket.socketId, endpoint });
    }
    const location = peer.location;
    if (!location) return;
    peer.lastHandshakeUntil = now + MIN_HANDSHAKE_INTERVAL;
    peer.lastHandshakeTo = target;
    log.verbose(`sending handshake to ${peer}[${logAddress(formatEndpoint(location.endpoint))}]...`);
    if (!peer.established) void this.control.peerHook(peer, 'onConnect', this.control.localEndpoint(location), location.endpoint);
    // the answer must find its address known to the workers
    this.control.remoteEndpoints.flush();
    this.control.sendPacket(location, this.control.deps.handshake.initiate(this.control.handshakePeer(peer), now));
  }
}
