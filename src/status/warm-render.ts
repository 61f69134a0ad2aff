// When the metrics are rendered unsent, so that the first scrape after peers connect is not the
// writer's first run with them. That run, with 1,000 peers connected, cost the control plane's
// thread 22-40 ms of CPU (each peer's info labels encoded, V8 running the per-peer paths before
// it has compiled them for the shapes they see) and V8's helper threads about as much again; the
// next one 3-17 ms (in-process, loaded machine); a scrape that found it cold took 101 ms until
// its last byte on the quiet machine, the later ones 14 ms.
//
// A render waits until the peers have been quiet (no session up or down) for QUIET_MS, and runs
// only when more than twice as many peers are connected as in the last render (a scrape's or
// its own): a connect storm of 1,000 costs one render after it, a storm with pauses one per
// doubling at most (together less than twice the last's cost), and a peer that reconnects none.
import type { StatusSource } from './status-json.js';

/** How long the peers must have stayed as they are. */
export const QUIET_MS = 1000;

export class WarmRender {
  private timer: NodeJS.Timeout | undefined;
  /** Whether peers changed since the timer was set. */
  private changed = false;

  /**
   * `render` renders `source` unsent; `rendered` is the number of connected peers the last
   * render (any) listed.
   */
  constructor(
    private readonly source: () => StatusSource,
    private readonly render: (source: StatusSource) => void,
    private readonly rendered: () => number,
  ) {}

  /** A peer's session came up or went down. */
  peersChanged(): void {
    this.changed = true;
    if (this.timer === undefined) this.arm();
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.changed = false;
    this.timer = setTimeout(() => this.quiet(), QUIET_MS).unref();
  }

  private quiet(): void {
    if (this.changed) {
      this.arm();
      return;
    }
    this.timer = undefined;
    const source = this.source();
    let connected = 0;
    for (const peer of source.peers) if (peer.establishedAt !== undefined) connected++;
    if (connected > 2 * this.rendered()) this.render(source);
  }
}
