// The status document written straight into bytes: what JSON.stringify(buildStatus(source))
// gives, byte for byte (status-json.ts, held to it by test/status/status-writer.property.test.ts),
// without an object per peer, the string of the whole document and its UTF-8 copy. With 50,000
// peers the document is ~7 MB, and building, stringifying and encoding it took the start-up's main
// thread 0.16-0.28 CPU-s until the status socket first listed every peer.
import { elapsedMs, fastdTsStatus, TRAFFIC_FIELDS, type PeerStatusSource, type StatusSource } from './status-json.js';

const ZERO = 0x30;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const FIRST_PRINTABLE = 0x20;
const LAST_ASCII = 0x7e;
/** Whole numbers below this are written digit by digit (bit operations stay exact); others by String(). */
const SMALL_LIMIT = 2 ** 31;
/** Bytes a UTF-16 code unit may take in UTF-8, or JSON's \uXXXX escape. */
const MAX_BYTES_PER_UNIT = 6;
/** Room per peer guessed for the first buffer: an idle peer with a key and a short name takes ~120. */
const BYTES_PER_PEER = 160;
const BASE_ROOM = 4096;

/** fastd's traffic counters in the document's order, each opening's text and its fields in a PeerStat-layout row. */
const TRAFFIC = Object.entries(TRAFFIC_FIELDS).map(([name, { packets, bytes }], index) => ({
  opening: `${index === 0 ? '{' : '},'}"${name}":{"packets":`,
  packets,
  bytes,
}));

class JsonBytes {
  data: Buffer;
  length = 0;

  constructor(size: number) {
    this.data = Buffer.allocUnsafeSlow(size);
  }

  /** Text known to need no escape and to be ASCII (the code's own keys and punctuation). */
  ascii(text: string): void {
    this.reserve(text.length);
    const { data } = this;
    let at = this.length;
    for (let i = 0; i < text.length; i++) data[at++] = text.charCodeAt(i);
    this.length = at;
  }

  /** A JSON string: printable ASCII copied as it is, anything else as JSON.stringify escapes it. */
  string(text: string): void {
    this.reserve(text.length + 2);
    const { data } = this;
    let at = this.length;
    data[at++] = QUOTE;
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      if (unit < FIRST_PRINTABLE || unit > LAST_ASCII || unit === QUOTE || unit === BACKSLASH) {
        this.escaped(text);
        return;
      }
      data[at++] = unit;
    }
    data[at++] = QUOTE;
    this.length = at;
  }

  /** Bytes written before (a peer's text: see connectedTexts). */
  bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.data.set(bytes, this.length);
    this.length += bytes.length;
  }

  stringOrNull(text: string | undefined): void {
    if (text === undefined) this.ascii('null');
    else this.string(text);
  }

  /** A number as JSON.stringify writes it (non-finite ones as null). */
  number(value: number): void {
    if (!(value >= 0 && value < SMALL_LIMIT && Number.isInteger(value))) {
      this.ascii(Number.isFinite(value) ? String(value) : 'null');
      return;
    }
    let count = 1;
    for (let power = 10; power <= value; power *= 10) count++;
    this.reserve(count);
    let rest = value;
    for (let at = this.length + count - 1; at >= this.length; at--) {
      this.data[at] = ZERO + (rest % 10);
      rest = (rest / 10) | 0;
    }
    this.length += count;
  }

  /** fastd's statistics object of the row at `base` in a PeerStat-layout table. */
  statistics(table: Float64Array, base: number): void {
    for (const counter of TRAFFIC) {
      this.ascii(counter.opening);
      this.number(table[base + counter.packets]!);
      this.ascii(',"bytes":');
      this.number(table[base + counter.bytes]!);
    }
    this.ascii('}}');
  }

  /** Text JSON.stringify escapes, from scratch (rare: names with quotes, backslashes or beyond ASCII). */
  private escaped(text: string): void {
    const json = JSON.stringify(text);
    this.reserve(MAX_BYTES_PER_UNIT * json.length);
    this.length += this.data.write(json, this.length);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.data.length) return;
    const grown = Buffer.allocUnsafeSlow(2 * (this.data.length + bytes));
    this.data.copy(grown, 0, 0, this.length);
    this.data = grown;
  }
}

/**
 * The last document's writer, without its buffer (the socket sends that), and its source: the
 * writer's length sizes the next document's buffer, which then seldom grows (with 1,000
 * connected peers a document is ~3× the first guess: two growths and copies a fetch). Kept,
 * they also keep their maps alive: V8's optimised code for the writer holds the maps of the
 * objects it saw weakly, and with none of them left between two fetches a full GC dropped the
 * maps and the code with them, so that the next fetch ran the writer unoptimised (the metrics
 * keep theirs for the same reason: metrics.ts). The source is ~120 bytes a peer.
 */
let last: { writer: JsonBytes; source: StatusSource } | undefined;
const NO_BYTES = Buffer.alloc(0);

/** A connected peer's text up to its session's age, and from there to its statistics. */
interface ConnectedText {
  /** Whether the text has the peer's interface and MTU (no single interface). */
  readonly perPeerInterface: boolean;
  readonly head: Buffer;
  readonly method: Buffer;
}

/**
 * Each connected peer's text, encoded once for its row: the daemon hands out the same row while
 * the peer says the same (engine/daemon/status-source.ts), and a row does not change. With
 * 1,000 connected peers, escaping and copying each key, name, address and method a character at
 * a time was 20-40 % of a fetch's CPU (in-process, the counters large or zero). Only connected
 * peers: a supernode's 50,000 configured keys are mostly not.
 */
const connectedTexts = new WeakMap<PeerStatusSource, ConnectedText>();
const scratch = new JsonBytes(BASE_ROOM);

/** The peer's key, name, address and (without a single interface) its interface and MTU. */
function writeHead(out: JsonBytes, source: StatusSource, peer: PeerStatusSource): void {
  out.string(peer.key);
  out.ascii(':{"name":');
  out.stringOrNull(peer.name);
  out.ascii(',"address":');
  out.string(peer.address);
  if (source.singleInterface === undefined) {
    const { iface } = peer;
    out.ascii(',"interface":');
    out.stringOrNull(iface?.name);
    out.ascii(',"mtu":');
    if (iface && iface.mtu !== 0) out.number(iface.mtu);
    else out.ascii('null');
  }
}

/** What scratch holds, copied out; scratch starts anew. */
function takeScratch(): Buffer {
  const bytes = Buffer.from(scratch.data.subarray(0, scratch.length));
  scratch.length = 0;
  return bytes;
}

function connectedText(source: StatusSource, peer: PeerStatusSource): ConnectedText {
  const perPeerInterface = source.singleInterface === undefined;
  let text = connectedTexts.get(peer);
  if (text === undefined || text.perPeerInterface !== perPeerInterface) {
    writeHead(scratch, source, peer);
    scratch.ascii(',"connection":{"established":');
    const head = takeScratch();
    scratch.ascii(',"method":');
    scratch.stringOrNull(peer.method);
    scratch.ascii(',"statistics":');
    text = { perPeerInterface, head, method: takeScratch() };
    connectedTexts.set(peer, text);
  }
  return text;
}

function writePeer(out: JsonBytes, source: StatusSource, peer: PeerStatusSource): void {
  if (peer.establishedAt === undefined) {
    writeHead(out, source, peer);
    out.ascii(',"connection":null}');
    return;
  }
  const text = connectedText(source, peer);
  out.bytes(text.head);
  out.number(elapsedMs(source.now, peer.establishedAt));
  out.bytes(text.method);
  out.statistics(source.peerStats.peer(peer.peerId), 0);
  if (source.mode === 'tap') {
    out.ascii(',"mac_addresses":[');
    const addresses = peer.macAddresses;
    for (let i = 0; i < addresses.length; i++) {
      if (i > 0) out.ascii(',');
      out.string(addresses[i]!);
    }
    out.ascii(']');
  }
  out.ascii('}}');
}

/** The status document of `source` as UTF-8 JSON: a view of a buffer of its own (the socket may still send it when the next is written). */
export function writeStatus(source: StatusSource): Buffer {
  const out = new JsonBytes(Math.max(BASE_ROOM + BYTES_PER_PEER * source.peers.length, (last?.writer.length ?? 0) + BASE_ROOM));
  out.ascii('{"uptime":');
  out.number(elapsedMs(source.now, source.startedAt));
  if (source.singleInterface !== undefined) {
    out.ascii(',"interface":');
    out.string(source.singleInterface);
  }
  out.ascii(',"statistics":');
  out.statistics(source.globalStats, 0);
  out.ascii(',"peers":{');
  let first = true;
  for (const peer of source.peers) {
    if (!first) out.ascii(',');
    first = false;
    writePeer(out, source, peer);
  }
  // what fastd-ts adds is a few dozen numbers, whatever the peers: stringified as it is built
  out.ascii('},"fastd-ts":');
  out.ascii(JSON.stringify(fastdTsStatus(source)));
  out.ascii('}');
  const document = out.data.subarray(0, out.length);
  out.data = NO_BYTES;
  last = { writer: out, source };
  return document;
}
