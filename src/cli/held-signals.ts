// Signal handlers from the process's first moment (bin/fastd-ts loads this before anything
// else). Without them a SIGHUP during start-up would kill the daemon (Node's default) and a
// SIGUSR1 would start Node's inspector. fastd blocks its signals during start-up and acts on
// them in its main loop; the daemon likewise gets the held ones once it runs. Commands that
// are not the daemon release them: a held signal is then raised again with Node's default.

/** The signals the daemon acts on, in the order they arrive. */
const DAEMON_SIGNALS = ['SIGHUP', 'SIGUSR2', 'SIGTERM', 'SIGINT', 'SIGQUIT'] as const;
export type DaemonSignal = (typeof DAEMON_SIGNALS)[number];
/** fastd ignores these (and Node would start its inspector on SIGUSR1). */
const IGNORED_SIGNALS = ['SIGUSR1', 'SIGPIPE'] as const;

export class HeldSignals {
  private readonly held: DaemonSignal[] = [];
  private handler: ((signal: DaemonSignal) => void) | undefined;
  private readonly listeners = new Map<DaemonSignal, () => void>();

  constructor() {
    for (const signal of IGNORED_SIGNALS) process.on(signal, () => undefined);
    for (const signal of DAEMON_SIGNALS) {
      const listener = (): void => {
        if (this.handler) this.handler(signal);
        else this.held.push(signal);
      };
      this.listeners.set(signal, listener);
      process.on(signal, listener);
    }
  }

  /** From now on `handler` takes every signal, first those that arrived before. */
  handle(handler: (signal: DaemonSignal) => void): void {
    this.handler = handler;
    for (const signal of this.held.splice(0)) handler(signal);
  }

  /** Not a daemon after all: signals do what they do by default again, held ones included. */
  release(): void {
    for (const [signal, listener] of this.listeners) process.off(signal, listener);
    for (const signal of this.held.splice(0)) process.kill(process.pid, signal);
  }
}
