// When the metrics server rehearses a scrape (metrics-server.ts), so that the first scrape after
// peers connect is not the writer's first run with them. That run, with 1,000 peers connected,
// cost the control plane's thread 22-40 ms of CPU (each peer's info labels encoded, V8 running the per-peer paths before
// it has compiled them for the shapes they see) and V8's helper threads about as much again; the
// next one 3-17 ms (in-process, loaded machine); a scrape that found it cold took 101 ms until
// its last byte on the quiet machine, the later ones 14 ms.
//
// Sessions that came up or went down since the last render (a scrape's or its own) are counted;
// once they outnumber the connected peers that render listed, a render is due, and runs at the
// first tick of a second that saw at most a tenth of them: a connect storm has passed its peak.
// It runs twice, a tick apart: V8 compiles what a run found hot while the program goes on, and
// with 1,000 routers connected the second render with the peers still took its writer 17.6 ms of
// CPU, the third 0-2 (in the daemon, loaded machine); a first scrape after one unsent render was
// that second. So a storm of 1,000 costs two renders after it, peers trickling in two per
// doubling, a reconnecting peer none; and nothing is read until a render is due (a peer table
// of 50,000 is not walked each second).

/** How often a due render looks whether the sessions have settled. */
export const TICK_MS = 1000;
/** Sessions in the last tick, as a share of those since the last render, that count as settled. */
const SETTLED_SHARE = 0.1;
/** Renders once the sessions have settled, a tick apart. */
export const WARM_RENDERS = 2;

/** What the last render (any) was: how many renders so far, and the connected peers it listed. */
export interface LastRender {
  readonly renders: number;
  readonly connectedPeers: number;
}

export class WarmRender {
  private timer: NodeJS.Timeout | undefined;
  /** Sessions up or down since the render numbered `renders`, and since the last tick. */
  private sessions = 0;
  private sessionsThisTick = 0;
  private renders = 0;

  /** `render` rehearses a scrape of now; `last` says what the last render was. */
  constructor(
    private readonly render: () => void,
    private readonly last: LastRender,
  ) {}

  /** A peer's session came up or went down. */
  peersChanged(): void {
    if (this.last.renders !== this.renders) {
      this.renders = this.last.renders;
      this.sessions = 0;
    }
    this.sessions++;
    this.sessionsThisTick++;
    if (this.timer === undefined && this.sessions > this.last.connectedPeers) {
      this.sessionsThisTick = 0;
      this.timer = setInterval(() => this.tick(), TICK_MS).unref();
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    // a scrape rendered meanwhile: the next session counts anew
    if (this.last.renders !== this.renders) {
      this.close();
      return;
    }
    const settled = this.sessionsThisTick <= SETTLED_SHARE * this.sessions;
    this.sessionsThisTick = 0;
    if (!settled) return;
    this.close();
    this.renderAgain(WARM_RENDERS);
  }

  /** Renders now, and `times - 1` times more a tick apart (a due render waits until they are done). */
  private renderAgain(times: number): void {
    this.render();
    if (times > 1) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.renderAgain(times - 1);
      }, TICK_MS).unref();
    }
  }
}
