// fastd's per-peer task (fastd_peer_handle_task): the handshake schedule going round the
// remotes and their addresses, keepalives, the stale-peer timeout and session refresh.
// Activity times come from the worker's statistics table, so nothing here sees a packet.
import { log, logAddress } from '../../log/logger.js';
import type { ControlPlane } from './control-plane.js';
import { PeerStat, type Endpoint } from '../datapath/messages.js';
import { endpointKey, formatEndpoint } from './endpoints.js';
import type { EnginePeer } from './peer-state.js';
import { defaultHandshakeDelay, KEEPALIVE_TIMEOUT, MIN_HANDSHAKE_INTERVAL, PEER_STALE_TIME, RESTART_PROBE_INTERVAL } from '../../protocol/timing.js';

/** How often the per-peer task looks at the worker's activity times at the latest. */
const MAX_TICK_INTERVAL = 1_000;

export class PeerTasks {
  constructor(private readonly control: ControlPlane) {}

  /** fastd_peer_handle_task for every peer; returns when the next one is due. */
  tick(now: number): number {
    let due = now + MAX_TICK_INTERVAL;
    // A task deletes at most its own peer, which a Map's iteration allows, and whose deadlines
    // its teardown set to Infinity: no copy of the table, no lookup per peer (50,000 a second).
    for (const peer of this.control.table.all()) {
      this.peerTask(peer, now);
      due = Math.min(due, peer.nextHandshake, peer.resetAt, peer.refreshAt);
    }
    return Math.max(due, now);
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
      const lastSend = Math.max(this.control.stat(peer, PeerStat.LastSend), peer.lastKeepalive);
      if (now - lastSend >= KEEPALIVE_TIMEOUT || this.probeDue(peer, now, lastSend)) {
        log.debug2(`sending keepalive to ${peer}`);
        this.control.deps.post({ type: 'keepalive', peerId: peer.peerId });
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
   * Whether a peer we reach through a `remote` and that has been quiet for a moment should
   * get a keepalive before KEEPALIVE_TIMEOUT: a restarted peer without `remote` cannot find
   * us, but our packet makes it answer with a handshake (fast reconnect) within seconds.
   */
  private probeDue(peer: EnginePeer, now: number, lastSend: number): boolean {
    if (peer.config.remotes.length === 0) return false;
    const lastReceive = Math.max(this.control.stat(peer, PeerStat.LastReceive), peer.establishedAt);
    return now - lastReceive >= RESTART_PROBE_INTERVAL && now - lastSend >= RESTART_PROBE_INTERVAL;
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
    this.control.sendPacket(location, this.control.deps.handshake.initiate(this.control.handshakePeer(peer), now));
  }
}
