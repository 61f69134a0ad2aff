// A datapath worker's TUN/TAP interfaces by interfaceId, each with its queue (the io layer's
// TunTapQueue: reads, writes, counters, close) and the frames the receive path opened for it.
// In tap mode that is the worker's one queue of the TAP interface; in tun and multitap mode
// one interface per peer of this worker, which comes and goes with its peer.
//
// Written by this worker's thread alone; the fds are the worker's own duplicates (closed with
// their queues).
import type { IoBackend } from '../../io/backend.js';
import { createFrameBatch, type FrameBatch } from '../../io/batch.js';
import { TunTapQueues, type TunTapQueue } from '../../io/tuntap-queue.js';
import type { DatapathMemory } from './memory.js';
import type { InterfaceSpec } from './messages.js';
import { BATCH } from './sizes.js';
import type { DatapathStats } from './tables/stats.js';

export interface Interface {
  readonly spec: InterfaceSpec;
  /** tun/multitap: the peer the interface belongs to; NO_PEER for the tap interface. */
  readonly peerId: number;
  /** Frames opened for this interface, written at the end of each receive batch. */
  readonly pending: FrameBatch;
  readonly queue: TunTapQueue;
}

export class DatapathQueues {
  /** By interfaceId; undefined where none is open. */
  readonly list: (Interface | undefined)[] = [];
  private readonly queues: TunTapQueues;

  constructor(
    memory: DatapathMemory,
    backend: IoBackend,
    private readonly stats: DatapathStats,
  ) {
    this.queues = new TunTapQueues({
      backend,
      packets: memory.io,
      areas: memory.allocator,
      fixed: memory.fixed,
      frameRoom: memory.frameRoom,
      capacity: BATCH,
    });
  }

  /** The first interface: tap mode's only one. */
  first(): Interface | undefined {
    return this.list.find((i) => i !== undefined);
  }

  add(spec: InterfaceSpec, peerId: number): Interface {
    const queue = this.queues.open(spec);
    for (const counters of queue.counters) this.stats.ioCounters.add(counters);
    if (queue.offload) this.stats.offloadCounters.add(queue.offload);
    const iface: Interface = { spec, peerId, pending: createFrameBatch(BATCH), queue };
    this.list[spec.interfaceId] = iface;
    return iface;
  }

  remove(interfaceId: number): void {
    const iface = this.list[interfaceId];
    if (!iface) return;
    const queue = iface.queue;
    // a supernode's multitap peers come and go: their counters must not pile up
    for (const counters of queue.counters) this.stats.ioCounters.remove(counters);
    if (queue.offload) this.stats.offloadCounters.remove(queue.offload);
    queue.close();
    this.list[interfaceId] = undefined;
  }

  close(): void {
    for (let id = 0; id < this.list.length; id++) this.remove(id);
  }
}
