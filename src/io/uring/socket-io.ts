// A UDP socket on the io_uring backend: datagrams come in through its multishot RECVMSG on
// the worker's EventRing (armed once, harvested by the worker's one wait), and go out
// through linked SENDMSG batches on the backend's other ring, whose results are needed at
// once to free the sent buffers.
import type { DatagramBatch, DatagramIo, IoCounters } from '../batch.js';
import type { UringDatagramIo } from './batch-uring.js';
import type { MultishotReceiver } from './multishot.js';

export class UringSocketIo implements DatagramIo {
  readonly counters: IoCounters;

  constructor(
    readonly receiver: MultishotReceiver,
    private readonly sender: UringDatagramIo,
  ) {
    // one set of figures per socket: the receiver counts into the sender's
    this.counters = sender.counters;
  }

  receive(batch: DatagramBatch): number {
    return this.receiver.receive(batch);
  }

  waiting(): boolean {
    return this.receiver.waiting();
  }

  release(): void {
    this.receiver.release();
  }

  send(batch: DatagramBatch, start?: number): number {
    return this.sender.send(batch, start);
  }

  close(): void {
    this.receiver.close();
    this.sender.close();
  }
}
