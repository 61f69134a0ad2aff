// Worker side of the packet-memory window test: builds its own window over the memory it was
// sent, reserves from it, checks the main thread's bytes and writes its own for the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { PacketMemory } from '../../src/bufferpool/packet-memory.js';

interface Job {
  memory: WebAssembly.Memory;
  base: number;
  bytes: number;
  /** Where the main thread wrote `mainPattern`. */
  mainOffset: number;
  mainPattern: number;
}

const job = workerData as Job;
const window = PacketMemory.window(job.memory, job.base, job.bytes);
const offset = window.reserve(4096);
const bytes = new Uint8Array(job.memory.buffer);
let sawMain = true;
for (let i = 0; i < 4096; i++) if (bytes[job.mainOffset + i] !== ((job.mainPattern + i) & 0xff)) sawMain = false;
for (let i = 0; i < 4096; i++) bytes[offset + i] = (i * 3) & 0xff;
parentPort!.postMessage({ offset, sawMain });
