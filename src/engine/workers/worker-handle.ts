// The main thread's side of a datapath worker: starts it with its wake-up eventfd, and
// pairs every message with the eventfd write that gets the worker out of poll(2).
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { check, close, eventfd, fcntl, write } from '../../io/libc.js';
import { EVENTFD_VALUE_BYTES, EventFdFlag, Fcntl } from '../../io/linux-abi.js';
import { NativeArea } from '../../io/native-memory.js';
import type { DatapathWorkerData, FromWorker, PipelineWarmUp, ToWorker } from '../datapath/messages.js';

/** The compiled worker beside this file (dist/engine/datapath/worker.js). */
const WORKER_URL = new URL('../datapath/worker.js', import.meta.url);
/**
 * A worker's young generation (V8's new space, in MiB): its packet path allocates nothing, and
 * V8's default let start-up and load grow it to ~6 MiB a worker, resident for good; with 2 it
 * stays at 2 MiB.
 */
const YOUNG_GENERATION_MB = 2;

function duplicate(fd: number): number {
  return check(fcntl(fd, Fcntl.DUPFD_CLOEXEC, 0), `duplicating fd ${fd} for the datapath worker`);
}

function handOver(message: ToWorker): ToWorker {
  switch (message.type) {
    case 'init':
      return {
        ...message,
        sockets: message.sockets.map((socket) => ({ ...socket, fd: duplicate(socket.fd) })),
        interfaces: message.interfaces.map((spec) => ({ ...spec, fd: duplicate(spec.fd) })),
      };
    case 'addSocket':
      return { ...message, socket: { ...message.socket, fd: duplicate(message.socket.fd) } };
    case 'addPeer':
      return message.interface ? { ...message, interface: { ...message.interface, fd: duplicate(message.interface.fd) } } : message;
    default:
      return message;
  }
}

export class DatapathWorker extends EventEmitter<{ message: [FromWorker]; exit: [number] }> {
  private readonly worker: Worker;
  /** The eventfd the worker polls: the control plane and the other workers' handoff rings write it. */
  readonly wakeFd: number;
  private readonly wakeValue = new NativeArea(EVENTFD_VALUE_BYTES, 'eventfd value');
  private exited = false;

  /**
   * Starts a worker thread, which loads its modules and then waits for `init` (send it with
   * `post`); starting it early hides that load time. `url` points at the compiled worker.js
   * (tests run from src).
   */
  constructor(url: URL = WORKER_URL, warmUp?: PipelineWarmUp) {
    super();
    this.wakeFd = check(eventfd(0, EventFdFlag.NONBLOCK | EventFdFlag.CLOEXEC), 'eventfd for the datapath worker');
    this.wakeValue.view.setBigUint64(0, 1n, true);
    const workerData: DatapathWorkerData = { wakeFd: this.wakeFd, ...(warmUp ? { warmUp } : {}) };
    this.worker = new Worker(url, { workerData, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    this.worker.on('message', (message: FromWorker) => this.emit('message', message));
    this.worker.on('error', (error) => this.emit('message', { type: 'fatal', message: error.message }));
    this.worker.on('exit', (code) => {
      this.exited = true;
      close(this.wakeFd);
      this.wakeValue.release();
      this.emit('exit', code);
    });
  }

  /**
   * Sends a message and, unless `wake` is false, wakes the worker. Without a wake-up the
   * worker takes the message with its timer (loop.ts TIMER_INTERVAL: at most a second later)
   * or a message that wakes it: for what can wait that long, it saves a wake-up of its own.
   * The fds in `init`, `addSocket` and `addPeer` are handed over as duplicates the worker closes itself, so
   * the caller keeps its own and may close them whenever it likes, even before the worker
   * has read the message.
   */
  post(message: ToWorker, wake = true): void {
    if (this.exited) return;
    this.worker.postMessage(handOver(message));
    if (wake) write(this.wakeFd, this.wakeValue.address, EVENTFD_VALUE_BYTES);
  }

  /** Asks the worker to shut down and resolves with its exit code. */
  stop(): Promise<number> {
    if (this.exited) return Promise.resolve(0);
    const exit = new Promise<number>((resolve) => this.once('exit', resolve));
    this.post({ type: 'shutdown' });
    return exit;
  }
}
