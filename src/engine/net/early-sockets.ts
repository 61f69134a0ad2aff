// The daemon's UDP sockets, bound before the rest of fastd-ts is loaded (its modules take
// a few hundred milliseconds on a busy machine). A handshake that arrives meanwhile waits in
// the socket's receive buffer and is answered once the datapath runs; on a closed port the
// peer would have got an ICMP error and tried again only 20 s later.
import { availableParallelism } from 'node:os';
import type { Config } from '../../config/types.js';
import { isDaemonChild } from '../daemon/daemonize.js';
import { openSockets, type BoundSocket } from './sockets.js';

export interface EarlySockets {
  /** Datapath workers to start (one per core unless configured); each gets a copy of every bind. */
  readonly workers: number;
  /** The sockets (see openSockets), or why they could not be bound: the daemon reports it in its place. */
  readonly result: { readonly sockets: BoundSocket[] } | { readonly error: unknown };
}

/** Binds the daemon's sockets; undefined in the first process of `--daemon`, which only starts the daemon. */
export function bindEarly(config: Config): EarlySockets | undefined {
  if (config.daemon && !isDaemonChild()) return undefined;
  const workers = config.workers ?? availableParallelism();
  try {
    return { workers, result: { sockets: openSockets(config, workers) } };
  } catch (error) {
    return { workers, result: { error } };
  }
}
