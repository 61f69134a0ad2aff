// The peers as a datapath worker knows them: the peer table (every peer, whoever owns it,
// with its address and, for its owner, its sessions), TAP mode's MAC table, the rate limits
// for data from unknown addresses and for handshakes, and the credit for handshakes waiting
// for the control plane. The control plane changes them through control messages (control.ts), applied
// between batches.
//
// Written by this worker's thread alone, with two exceptions that say how they are shared:
// with several workers the MAC table is one SharedMacTable for all of them (seqlocked slots,
// see shared-mac-table.ts), and the handshake credit is an Int32 the main thread adds to as it
// takes the handshakes (handshake-credit.ts).
import type { InitMessage } from './messages.js';
import { HandshakeCredit } from './tables/handshake-credit.js';
import { HandshakeLimiter } from './tables/handshake-limiter.js';
import { MacTable } from './tables/mac-table.js';
import { PeerTable } from './tables/peer-table.js';
import { SharedMacTable } from './tables/shared-mac-table.js';
import { UnknownSources } from './tables/unknown-sources.js';

export class DatapathPeers {
  readonly table: PeerTable;
  /** TAP mode's MAC learning: shared by all workers when there are several. */
  readonly macs: MacTable | SharedMacTable;
  /** Data from addresses no established peer has: rate limits for the control plane's answers and for trial opens. */
  readonly unknown = new UnknownSources();
  /** Token buckets for handshakes, known peers' addresses first. */
  readonly handshakeRate: HandshakeLimiter;
  /** Bounds the handshake messages waiting for the control plane. */
  readonly handshakes: HandshakeCredit;

  /** `capacity`: the rows the statistics table has at first. */
  constructor(init: InitMessage, capacity: number) {
    this.table = new PeerTable(capacity);
    this.macs = init.place ? new SharedMacTable(init.place.macTable) : new MacTable();
    this.handshakes = new HandshakeCredit(init.handshakeCredit);
    this.handshakeRate = new HandshakeLimiter(init.place?.count ?? 1);
  }

  /** Removes every peer (their sessions' memory goes back). */
  close(): void {
    const table = this.table;
    while (table.count > 0) table.remove(table.ids[0]);
  }
}
