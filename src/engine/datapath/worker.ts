// Entry point of a datapath worker thread (compiled to dist/engine/datapath/worker.js). Its
// modules loaded, it says `loaded` and waits for the control plane's `init` (the daemon
// spawns it early, to open the interface only then), builds its datapath, says `ready`, then runs the
// blocking loop; later messages are picked up by the loop with receiveMessageOnPort after
// each wake-up. See messages.ts for the contract and workers/worker-handle.ts for the main thread's side.
import './tiering.js';
import { parentPort, workerData } from 'node:worker_threads';
import { becomeThreadUser, setThreadCapabilities } from '../../io/capabilities.js';
import { Datapath } from './context.js';
import { Loop } from './loop.js';
import { warmPipeline } from './warm-pipeline.js';
import { warmUp } from './warm-up.js';
import type { DatapathWorkerData, FromWorker, InitMessage, ToWorker } from './messages.js';

const port = parentPort;
if (!port) throw new Error('the datapath must run in a worker thread');
const { wakeFd, warmUp: pipeline } = workerData as DatapathWorkerData;
const post = (message: FromWorker, transfer?: ArrayBuffer[]): void => port.postMessage(message, transfer);

port.once('message', (message: ToWorker) => {
  let dp: Datapath | undefined;
  let loop: Loop | undefined;
  try {
    if (message.type !== 'init') throw new Error(`expected init, got ${message.type}`);
    dp = new Datapath(message as InitMessage, post);
    warmUp(dp, (message as InitMessage).warmUp ?? []);
    loop = new Loop(dp, wakeFd, port);
    // Holding its fds and its ring, the worker needs no privilege; capabilities are per
    // thread, so the control plane's `drop capabilities` would not reach this one.
    if (message.user) becomeThreadUser(message.user);
    setThreadCapabilities([]);
    post({ type: 'ready', backend: dp.sockets.backend.kind, fallbackReason: dp.sockets.backend.fallbackReason, fixedRefusal: dp.memory.fixedRefusal });
    loop.run();
  } catch (error) {
    post({ type: 'fatal', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  } finally {
    loop?.close();
    dp?.close();
    port.close();
  }
});
// Before `loaded`, while the control plane still sets up: the interface is created after
// `loaded`, and a later `ready` would leave its first ARP request unanswered (daemon.ts).
if (pipeline) warmPipeline(pipeline);
post({ type: 'loaded' });
