// A datapath worker's 'init' message as the daemon sends it, for tests that start a worker
// (DatapathWorker) or a Datapath in their own thread. Each test names what it is about; the
// rest is an empty worker: no sockets or interfaces, fresh statistics tables.
import type { InitMessage } from '../../../src/engine/datapath/messages.js';
import { HANDSHAKE_CREDIT_BYTES } from '../../../src/engine/datapath/tables/handshake-credit.js';
import { GLOBAL_STATS_FIELDS, PEER_STATS_FIELDS, type SocketSpec } from '../../../src/engine/datapath/messages.js';

/** The message with `overrides` applied; optional fields keep the worker's defaults unless named. */
export function workerInit(overrides: Partial<Omit<InitMessage, 'type'>> = {}): InitMessage {
  return {
    type: 'init',
    mode: 'tap',
    forward: false,
    sockets: [],
    interfaces: [],
    peerStats: new SharedArrayBuffer(PEER_STATS_FIELDS * 8),
    globalStats: new SharedArrayBuffer(GLOBAL_STATS_FIELDS * 8),
    handshakeCredit: new SharedArrayBuffer(HANDSHAKE_CREDIT_BYTES),
    memoryCeiling: 16 << 20,
    ...overrides,
  };
}

/** The worker's one configured socket (id 0), as the daemon hands a bound IPv4 socket over. */
export function onlySocket(fd: number, family: SocketSpec['family'] = 4): SocketSpec[] {
  return [{ socketId: 0, fd, family }];
}
