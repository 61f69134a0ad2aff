// A peer's statistics while two datapath workers count it at once, as the old and the new
// owner do while the peer moves between them: each worker adds to its own table (and grows
// it meanwhile), the control plane reads the tables as one through Workers, and the sum it
// reads only ever goes up and ends at every packet counted. With one table written by both
// threads, concurrent additions to one number get lost.
import { EventEmitter } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { PeerStat, type ToWorker } from '../../../src/engine/datapath/messages.js';
import { Workers, type WorkerHandle } from '../../../src/engine/workers/workers.js';
import { startTsWorker } from '../../helpers/ts-worker.js';
import type { CountJob } from './peer-stats.worker.js';

const PACKETS = 2_000_000;
const BYTES = 100;
const PEER = 3;
const FAR_PEER = 5_000;

/** A counting thread as Workers sees a datapath worker: only its messages matter here. */
class CountingThread extends EventEmitter implements WorkerHandle {
  readonly wakeFd = -1;
  private thread: Worker | undefined;
  readonly done = new Promise<void>((resolve) => this.on('message', (message: { type: string }) => message.type === 'done' && resolve()));

  run(thread: Worker): void {
    this.thread = thread;
    thread.on('message', (message) => this.emit('message', message));
    thread.on('error', (error) => this.emit('error', error));
  }

  post(_message: ToWorker): void {}

  async stop(): Promise<number> {
    return (await this.thread?.terminate()) ?? 0;
  }
}

describe('peer statistics of two workers counting one peer at once', () => {
  it('add up to every packet, never going back, across each table growing', async () => {
    const threads = [new CountingThread(), new CountingThread()];
    const workers = new Workers(threads);
    const start = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    // each thread counts into the table Workers made for it, as the daemon's init hands it over
    threads.forEach((thread, index) => {
      const job: CountJob = { table: workers.peerStatBuffers[index]!, peerId: PEER, farPeerId: FAR_PEER, packets: PACKETS, bytes: BYTES, start };
      thread.run(startTsWorker(new URL('./peer-stats.worker.ts', import.meta.url), { workerData: job }));
    });
    let finished = false;
    const done = Promise.all(threads.map((thread) => thread.done)).then(() => {
      finished = true;
    });
    const seen: number[] = [];
    try {
      while (!finished) {
        seen.push(workers.peerStats.stat(PEER, PeerStat.TxPackets));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await done;
      // each thread's growth message came before its 'done'
      expect(workers.peerStats.stat(PEER, PeerStat.TxPackets)).toBe(2 * PACKETS);
      expect(workers.peerStats.stat(PEER, PeerStat.TxBytes)).toBe(2 * PACKETS * BYTES);
      expect(seen.filter((value, i) => i > 0 && value < seen[i - 1]!)).toEqual([]);
      expect(seen.length).toBeGreaterThan(1);
      expect(workers.peerStats.stat(FAR_PEER, PeerStat.TxPackets)).toBe(0);
    } finally {
      await Promise.all(threads.map((thread) => thread.stop()));
    }
  }, 60_000);
});
