// The addresses the configured peers' remotes resolved to, told to the workers as known
// (datapath/tables/handshake-limiter.ts): the answers to our own handshakes come from there
// before the peer has a session, and must not meet a source address's bucket, which lets
// 512 through and then 20 a second — a thousand routers behind one address would wait
// minutes. The set goes whole, once per turn of the event loop however many peers changed
// (a reload adds hundreds), and always before a handshake leaves for one of its addresses.
import { log } from '../../log/logger.js';
import type { Endpoint, ToWorker } from '../datapath/messages.js';
import { endpointKey } from './endpoints.js';
import type { PeerRegistry } from './peers.js';

/** At most this many addresses are known (a configuration's size bounds it anyway; this bounds the workers' table and each message). */
export const REMOTE_ENDPOINTS_LIMIT = 65_536;

export class RemoteEndpoints {
  private dirty = false;
  private warned = false;

  constructor(
    private readonly table: PeerRegistry,
    private readonly post: (message: ToWorker) => void,
  ) {}

  /** A peer with remotes came or went, or a remote resolved anew: the workers get the new set soon. */
  changed(): void {
    if (this.dirty) return;
    this.dirty = true;
    setImmediate(() => this.flush()).unref();
  }

  /** Tells the workers the set now if it changed since they were last told. */
  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const endpoints = new Map<string, Endpoint>();
    for (const peer of this.table.all())
      for (const addresses of peer.resolved) for (const address of addresses) endpoints.set(endpointKey(address), address);
    if (endpoints.size > REMOTE_ENDPOINTS_LIMIT && !this.warned) {
      this.warned = true;
      log.warn(`${endpoints.size} remote addresses configured: only the first ${REMOTE_ENDPOINTS_LIMIT} are exempt from the handshake rate limit per source address`);
    }
    this.post({ type: 'remoteEndpoints', endpoints: [...endpoints.values()].slice(0, REMOTE_ENDPOINTS_LIMIT) });
  }
}
