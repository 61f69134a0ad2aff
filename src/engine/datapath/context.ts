// A datapath worker, built from the control plane's `init` message: the hub of its parts,
// each a class of its own that says who writes it and how it is shared —
//   memory    the packet memory, its views and the packet pool (memory.ts)
//   sockets   the UDP sockets, the I/O backend, UDP GSO/GRO, the receive ring (udp-sockets.ts)
//   queues    the TUN/TAP interfaces and their queues (queues.ts)
//   peers     the peer table, the MAC table, unknown sources, handshake credit (peers.ts)
//   stats     the statistics tables and the io counters' totals (tables/stats.ts)
//   handoff   the rings to and from the other workers, if there are several (handoff/handoff.ts)
//   wallClock CLOCK_REALTIME to sub-ms, for the sojourn times of received datagrams (wall-clock.ts)
// and the method providers. receive.ts, send.ts and control.ts act on them; loop.ts drives
// them. The fds in the messages are the worker's own (workers/worker-handle.ts duplicates
// them before sending), so it closes them when done.
import { createMethodProvider } from '../../crypto/methods/registry.js';
import type { MethodProvider } from '../../crypto/methods/provider.js';
import { Handoff } from './handoff/handoff.js';
import { DatapathMemory } from './memory.js';
import type { FromWorker, InitMessage } from './messages.js';
import { DatapathPeers } from './peers.js';
import { DatapathQueues } from './queues.js';
import { NO_PEER } from './tables/peer-table.js';
import { DatapathStats } from './tables/stats.js';
import { UdpSockets } from './udp-sockets.js';
import { WallClock } from './wall-clock.js';

export class Datapath {
  readonly mode: InitMessage['mode'];
  readonly forward: boolean;
  /** This worker's index among the datapath workers (0 when it is the only one). */
  readonly self: number;
  /** Data packets shorter than this from unknown addresses are ignored (fastd's min_overhead). */
  readonly minDataLength: number;
  /** InitMessage.gather. */
  readonly gather: boolean;
  readonly memory: DatapathMemory;
  readonly stats: DatapathStats;
  readonly peers: DatapathPeers;
  readonly sockets: UdpSockets;
  readonly queues: DatapathQueues;
  /** With several workers: the rings to and from the others; null when this is the only worker. */
  readonly handoff: Handoff | null;
  readonly wallClock = new WallClock();
  private readonly providers = new Map<string, MethodProvider>();

  constructor(
    init: InitMessage,
    readonly post: (message: FromWorker, transfer?: ArrayBuffer[]) => void,
  ) {
    this.mode = init.mode;
    this.forward = init.forward;
    this.minDataLength = init.minDataLength ?? 1;
    this.gather = init.gather !== false;
    this.self = init.place?.index ?? 0;
    this.memory = new DatapathMemory(init);
    this.stats = new DatapathStats(init.peerStats, init.globalStats);
    this.peers = new DatapathPeers(init, this.stats.peerCapacity);
    this.sockets = new UdpSockets(init, this.memory, this.stats);
    this.memory.registerFixed(this.sockets.backend);
    this.handoff = init.place ? new Handoff(this.memory, this.stats, init.place) : null;
    this.queues = new DatapathQueues(this.memory, this.sockets.backend, this.stats);
    for (const spec of init.sockets) this.sockets.add(spec.socketId, spec.fd);
    for (const spec of init.interfaces) this.queues.add(spec, NO_PEER);
  }

  /** The provider of a method name; throws for a name fastd would not know. */
  provider(method: string): MethodProvider {
    let provider = this.providers.get(method);
    if (!provider) {
      provider = createMethodProvider(method);
      if (!provider) throw new Error(`unknown method "${method}"`);
      this.providers.set(method, provider);
    }
    return provider;
  }

  /** Called from the timer: pools give back what an idle spell left unused. */
  maintainPools(now: number): void {
    this.memory.pool.maintain(now);
    this.sockets.maintain(now);
  }

  // The queues close before the sockets, which close the backend their armed reads are on.
  close(): void {
    this.queues.close();
    this.sockets.close();
    this.handoff?.close();
    this.peers.close();
  }
}
