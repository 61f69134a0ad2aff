// A spoofed handshake-init flood at a fastd port, for the chaos suite and the init-flood bench:
// valid inits (built with protocol/, as a v22 router sends them) claiming keys the daemon
// knows, each from another address of a range, at a target rate. `routeSpoofedSources` makes
// the range local to the flooder's namespace (so one socket may send from any address of it)
// and routes it there from the daemon's, so the daemon's answers come back and are counted;
// `InitFlood.start(namespace, options)` runs init-flood-sender.ts inside the namespace (a
// process of its own, so the flood neither waits for nor slows the caller's event loop), and
// `stop()` gives the figures: inits sent, the rate reached, answers and answering sources.
import { fileURLToPath } from 'node:url';
import type { KeyPair } from '../bench/daemon.js';
import { parseKeyHex } from '../crypto/ec25519/keys.js';
import { Handshake, PeerHandshakeState } from '../protocol/handshake.js';
import { HandshakeFlag } from '../protocol/tlv.js';
import type { Namespace } from '../testbed/namespaces.js';
import type { Endpoint } from './flood-sender.js';
import type { InitFloodFigures, InitFloodOrder } from './init-flood-sender.js';
import { SenderProcess } from './sender-process.js';

export type { InitFloodFigures } from './init-flood-sender.js';

/** The built sender (node runs it as is), whether this module runs from dist/ or, in a test, from src/. */
const SENDER = fileURLToPath(new URL('../../dist/chaos/init-flood-sender.js', import.meta.url));

/** An init as a v22 router sends it (behind the L2TP header), claiming `sender`'s key, to the daemon with key `recipientPublic`. */
export function spoofedInit(sender: KeyPair, recipientPublic: string, mtu: number): Uint8Array {
  const handshake = new Handshake({ secretKey: parseKeyHex(sender.secret)!, mode: 'tap', versionName: 'v22' });
  const peer = { key: parseKeyHex(recipientPublic)!, mtu, methods: [], state: new PeerHandshakeState() };
  const [packet] = handshake.initiate(peer, Date.now(), HandshakeFlag.L2tpSupport);
  return packet!;
}

/**
 * Makes every address of `range` (an IPv4 prefix) local in `flooder` and routes it from
 * `daemon` via `via` (the flooder's address on their link): spoofed sources that get answers.
 */
export function routeSpoofedSources(flooder: Namespace, daemon: Namespace, range: string, via: string): void {
  flooder.ip('link', 'set', 'dev', 'lo', 'up');
  flooder.ip('route', 'add', 'local', range, 'dev', 'lo');
  daemon.ip('route', 'add', range, 'via', via);
}

export interface InitFloodOptions {
  readonly target: Endpoint;
  /** The first spoofed source address and how many follow it (within a range routeSpoofedSources made local). */
  readonly firstSource: string;
  readonly sources: number;
  /** The inits to send in turn (spoofedInit). */
  readonly packets: readonly Uint8Array[];
  /** Inits per second. */
  readonly rate: number;
  /**
   * Stop by itself after this long (then await `finished`); without it, at stop(). A stop()
   * soon after the start can come before the sender listens for SIGTERM and end it without figures.
   */
  readonly seconds?: number;
}

export class InitFlood {
  /** Resolves with the figures once the sender has stopped (by itself, or after stop()). */
  readonly finished: Promise<InitFloodFigures>;

  private constructor(private readonly sender: SenderProcess<InitFloodFigures>) {
    this.finished = sender.finished;
  }

  /** Starts flooding from inside `namespace`. */
  static start(namespace: Namespace, options: InitFloodOptions): InitFlood {
    const order: InitFloodOrder = {
      target: options.target,
      firstSource: options.firstSource,
      sources: options.sources,
      packets: options.packets.map((packet) => Buffer.from(packet).toString('hex')),
      rate: options.rate,
      seconds: options.seconds ?? null,
    };
    return new InitFlood(SenderProcess.start<InitFloodFigures>(namespace, SENDER, order, 'the init flood'));
  }

  /** Stops the sender (if it still runs) and returns its figures. */
  stop(): Promise<InitFloodFigures> {
    return this.sender.stop();
  }
}
