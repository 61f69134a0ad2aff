// After a start, a handshake to each peer the state file remembers, at the address it was
// authenticated at (peer-state-file.ts), so that routers whose supernode restarted need not
// wait for their own retries (~20 s) or for data that fast reconnect may answer only once
// per address and 15 s. Those addresses proved themselves with a completed handshake, so
// this answers nobody's spoofed packets; the rate is bounded all the same.
import type { ControlPlane } from './control-plane.js';
import type { RememberedPeer } from './peer-state-file.js';
import { PeerRegistry } from './peers.js';
import { MIN_HANDSHAKE_INTERVAL } from '../../protocol/timing.js';

/** Handshakes per tick, and the tick (ms): 200 a second. */
export const GREETINGS_PER_TICK = 20;
export const GREETING_TICK = 100;
/**
 * Passes over the remembered peers, PASS_INTERVAL apart, each greeting those not back yet: a
 * handshake or its answer may be lost (2 of 201 in the bench), and the routers' own next try
 * may be a minute away. A router that answered an init ignores the next one from the same
 * address for fastd's MIN_HANDSHAKE_INTERVAL ("not responding to repeated handshake"), so a
 * pass sooner than that reaches nobody whose answer was lost.
 */
export const PASSES = 3;
export const PASS_INTERVAL = MIN_HANDSHAKE_INTERVAL + 1_000;

export class RestartGreeting {
  private next = 0;
  private pass = 0;
  private passStarted = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly control: ControlPlane,
    private readonly peers: readonly RememberedPeer[],
  ) {}

  /** Greets the first peers now and the rest tick by tick. */
  start(): void {
    // the answers come from where the peers were: the workers count them as known peers', apart from any flood
    if (this.peers.length > 0) this.control.deps.post({ type: 'rememberedEndpoints', endpoints: this.peers.map((peer) => peer.endpoint), forMs: PASSES * PASS_INTERVAL });
    this.after(this.tick());
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Sends up to GREETINGS_PER_TICK handshakes; returns when (ms from now) to tick again:
   * GREETING_TICK within a pass, the next pass's start between passes (a tick each 100 ms
   * meanwhile woke the main thread ~160 times for nothing), Infinity once every remembered
   * peer had its turns.
   */
  tick(): number {
    const { control } = this;
    const now = control.deps.clock();
    if (this.passStarted === -Infinity) this.passStarted = now;
    if (this.next >= this.peers.length) {
      if (this.pass + 1 >= PASSES) return Infinity;
      if (now < this.passStarted + PASS_INTERVAL) return this.passStarted + PASS_INTERVAL - now;
      this.pass++;
      this.next = 0;
      this.passStarted = now;
    }
    let sent = 0;
    while (sent < GREETINGS_PER_TICK && this.next < this.peers.length) {
      const { key, endpoint } = this.peers[this.next++]!;
      const peer = control.table.find(key);
      // gone from the configuration, back already, not allowed there (a fixed remote elsewhere) or over a peer limit
      if (!peer || peer.established || !PeerRegistry.matchesAddress(peer, endpoint) || !control.table.mayConnect(peer)) continue;
      control.greet(peer, endpoint, now);
      sent++;
    }
    if (this.next < this.peers.length) return GREETING_TICK;
    return this.pass + 1 < PASSES ? this.passStarted + PASS_INTERVAL - now : Infinity;
  }

  private after(delay: number): void {
    this.timer = delay === Infinity ? undefined : setTimeout(() => this.after(this.tick()), delay).unref();
  }
}
