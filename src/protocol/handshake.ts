// The ec25519-fhmqvc handshake as a state machine without I/O (fastd's src/handshake.c and
// protocols/ec25519_fhmqvc/handshake.c). The engine hands in received handshakes and the
// time; it gets back the packets to send, a drop with fastd's reason, or an established
// session with its method key. Finding the peer for a sender key, peer limits, `on verify`
// and claiming addresses stay with the engine, between `screen` and `handle`:
//
//   parseHandshake(packet) → screen(handshake) → [engine: peer by senderKey] → handle(…)
import {
  buildErrorReply,
  buildHandshake,
  frameHandshake,
  PROTOCOL_NAME,
  type ReceivedHandshake,
  replyFormats,
  TLV_TAG_BYTES,
} from './handshake-messages.js';
import { HandshakeKeys, equalBytes, type HandshakeKey } from './handshake-keys.js';
import {
  deriveMethodKey,
  fhmqvcShared,
  type FhmqvcKeyPair,
  type FhmqvcShared,
  keyPairFromSecret,
  peerPoint,
  signHandshake,
  verifyHandshakeTag,
} from './fhmqvc.js';
import { describeHandshakeError, receivedErrorDetail } from './handshake-errors.js';
import {
  HANDSHAKE_FLAGS_ALL,
  HandshakeFlag,
  HandshakeType,
  ModeId,
  RecordType,
  ReplyCode,
  recordBytes,
  recordLength,
  recordString,
  recordStringIs,
  recordStringList,
  recordUint,
} from './tlv.js';
import { HandshakeFormat } from './wire.js';
import type { SubgroupPoint } from '../crypto/ec25519/group.js';
import { PUBLIC_KEY_BYTES } from '../crypto/ec25519/keys.js';
import { MIN_HANDSHAKE_INTERVAL } from './timing.js';

type InterfaceMode = 'tap' | 'multitap' | 'tun';

export interface HandshakeConfig {
  /** Our secret key as configured (not divided). */
  readonly secretKey: Uint8Array;
  readonly mode: InterfaceMode;
  /** Sent in the VersionName record, e.g. "v23". */
  readonly versionName: string;
  /**
   * Test-only: behave like pre-v22 fastd — no Flags record, bare handshakes only, L2TP
   * handshakes ignored, every session in compat mode.
   */
  readonly preV22?: boolean;
  /** Source of ephemeral key pairs; tests pass fixed ones. */
  readonly generateHandshakeKey?: () => FhmqvcKeyPair;
}

/** A method as the handshake needs it: its name and how much key material it takes. */
export interface HandshakeMethod {
  readonly name: string;
  readonly keyLength: number;
}

/** What the handshake remembers per peer between packets (fastd's protocol peer state). */
export class PeerHandshakeState {
  /** Serial of the ephemeral key the last session was established with. */
  lastSerial = 0;
  /** Until then, handshakes from the peer are ignored (fastd's establish_handshake_timeout). */
  ignoreHandshakesUntil = 0;
  /** No second response to the same address before then. */
  respondedUntil = 0;
  respondedTo: string | undefined;
  /** The responder's σ and K1 between answering an init and receiving the finish, with the response last built on them. */
  cache: { serial: number; peerHandshakeKey: Uint8Array; shared: FhmqvcShared; response?: BuiltResponse } | undefined;
  /** The peer's long-term key as the handshake uses it (peerPoint), kept for every handshake after the first. */
  keyPoint: { key: Uint8Array; point: SubgroupPoint } | undefined;
}

/**
 * A response as sent, with what it was built from besides the σ cache's keys: an init repeated
 * with the same handshake key (a peer's retries, or a spoofer's flood of one captured init from
 * many addresses) gets these same bytes, after every check, without building and signing again.
 */
interface BuiltResponse {
  /** The init's flags: they choose the framing. */
  readonly flags: number;
  readonly mtu: number;
  readonly methods: readonly string[];
  readonly packets: readonly Uint8Array[];
}

/** Whether `methods` are, in order, the ones named. */
function sameMethods(methods: readonly HandshakeMethod[], names: readonly string[]): boolean {
  if (methods.length !== names.length) return false;
  for (let i = 0; i < names.length; i++) if (methods[i]!.name !== names[i]) return false;
  return true;
}

export interface HandshakePeer {
  /** The peer's long-term public key. */
  readonly key: Uint8Array;
  /** fastd_peer_get_mtu: the peer's own MTU in TUN/multitap mode, else the global one. */
  readonly mtu: number;
  /** The peer group's methods in configured order. */
  readonly methods: readonly HandshakeMethod[];
  readonly state: PeerHandshakeState;
}

export interface EstablishedSession {
  readonly method: HandshakeMethod;
  /** method.keyLength bytes of session key material. */
  readonly key: Uint8Array;
  readonly initiator: boolean;
  /** The peer lacks L2TP support: data packets use type 0x02. */
  readonly compat: boolean;
  readonly peerVersion: string | undefined;
}

export type LogLevel = 'warn' | 'verbose' | 'debug' | 'debug2';

/**
 * A log line in fastd's words, with fastd's conversions left for the engine, which knows
 * them: `%P` the peer and its address (`<name>[address]`, the address alone before the
 * peer is known), `%I` the address.
 */
interface LogLine {
  readonly level: LogLevel;
  readonly text: string;
}

/** `before`: what fastd logs on the way to the outcome (received …, finishing …), in order. */
export type HandshakeOutcome =
  | { readonly kind: 'drop'; readonly level: LogLevel; readonly reason: string; readonly before?: readonly LogLine[] }
  /** Packets to send back: a response, or an error reply. */
  | {
      readonly kind: 'reply';
      /** Possibly the same array as for an earlier init (BuiltResponse): never changed. */
      readonly packets: readonly Uint8Array[];
      readonly level: LogLevel;
      readonly reason: string;
      readonly before?: readonly LogLine[];
    }
  /**
   * A new session. The initiator sends `packets` (the finish); the responder sends nothing
   * here and, like fastd, should answer with an empty data packet on the new session.
   */
  | {
      readonly kind: 'established';
      readonly packets: Uint8Array[];
      readonly session: EstablishedSession;
      readonly before?: readonly LogLine[];
    };

type ScreenOutcome = HandshakeOutcome | { readonly kind: 'sender'; readonly senderKey: Uint8Array };

const drop = (level: LogLevel, reason: string): HandshakeOutcome => ({ kind: 'drop', level, reason });

/**
 * The outcome, with `lines` logged before it. Every outcome is a fresh object, so the lines
 * are added to it: a copy by spread took V8's slow path for each answered init.
 */
function after(lines: readonly LogLine[], outcome: HandshakeOutcome): HandshakeOutcome {
  const fresh = outcome as { before?: readonly LogLine[] };
  fresh.before = fresh.before === undefined ? lines : [...lines, ...fresh.before];
  return outcome;
}

const RECEIVED_INIT: readonly LogLine[] = [{ level: 'verbose', text: 'received handshake from %P' }];

/** fastd's " using fastd <version>" of a reply that names the sender's version (fastd reads it from types 2 and 3 only). */
function usingVersion(handshake: ReceivedHandshake): string {
  const version = recordString(handshake.records, RecordType.VersionName);
  return version === undefined ? '' : ` using fastd ${version}`;
}

/** The peer's long-term key as the handshake uses it, computed once per key; undefined when it is no point. */
function peerKeyPoint(peer: HandshakePeer): SubgroupPoint | undefined {
  const kept = peer.state.keyPoint;
  if (kept && equalBytes(kept.key, peer.key)) return kept.point;
  const point = peerPoint(peer.key);
  peer.state.keyPoint = point && { key: peer.key, point };
  return point;
}

export class Handshake {
  /** Our long-term public key, as peers configure it. */
  readonly publicKey: Uint8Array;
  private readonly keyPair: FhmqvcKeyPair;
  private readonly modeId: ModeId;
  private readonly l2tpSupport: boolean;
  private readonly keys: HandshakeKeys;

  /** Throws on a secret fastd would reject; validate configuration before. */
  constructor(private readonly config: HandshakeConfig) {
    const pair = keyPairFromSecret(config.secretKey);
    if (!pair) throw new RangeError('invalid secret key');
    this.keyPair = pair;
    this.publicKey = pair.publicKey;
    this.modeId = config.mode === 'tun' ? ModeId.Tun : ModeId.Tap;
    this.l2tpSupport = !config.preV22;
    this.keys = new HandshakeKeys(config.generateHandshakeKey);
  }

  /**
   * Our initial handshake. `peer` undefined: to an unknown peer (fast reconnect), without a
   * recipient key. `format` 'initial' sends it bare and behind an L2TP header; a flags value
   * (L2TP_SUPPORT or 0, from the data packet that prompted it) sends only the matching one.
   */
  initiate(peer: HandshakePeer | undefined, now: number, format: number | 'initial' = 'initial'): Uint8Array[] {
    const key = this.keys.current(now, peer ? peer.state.lastSerial + 1 : 0);
    const body = buildHandshake({
      type: HandshakeType.Init,
      l2tpSupport: this.l2tpSupport,
      mode: this.modeId,
      mtu: 0,
      versionName: this.config.versionName,
      methodName: undefined,
      methodList: undefined,
      replyCode: undefined,
      senderKey: this.keyPair.publicKey,
      recipientKey: peer?.key,
      senderHandshakeKey: key.pair.publicKey,
      recipientHandshakeKey: undefined,
      withTag: false,
    });
    return this.frame(body.bytes, format);
  }

  /** The checks fastd makes before it looks for the peer (check_records), then the sender key. */
  screen(handshake: ReceivedHandshake): ScreenOutcome {
    const { records } = handshake;
    const l2tpFlag = (handshake.flags & HandshakeFlag.L2tpSupport) !== 0;
    if (!this.l2tpSupport) {
      // Pre-v22 fastd knows no 0xC8 packets, so it only ever sees the bare copy.
      if (handshake.format === HandshakeFormat.L2tp) return drop('debug', 'received packet with invalid type from %I');
    } else if (handshake.format === HandshakeFormat.Bare && l2tpFlag) {
      // The peer sent this twice, bare for pre-v22 peers and behind an L2TP header for us (fastd says nothing).
      return drop('debug2', 'ignoring bare copy of an L2TP handshake from %I');
    }
    if (recordLength(records, RecordType.Flags) >= 0) {
      if (recordLength(records, RecordType.Flags) !== 1 || (handshake.flags & ~HANDSHAKE_FLAGS_ALL) !== 0)
        return this.errorReply(handshake, ReplyCode.UnacceptableValue, RecordType.Flags);
    }
    if (recordLength(records, RecordType.ProtocolName) >= 0 && !recordStringIs(records, RecordType.ProtocolName, PROTOCOL_NAME))
      return this.errorReply(handshake, ReplyCode.UnacceptableValue, RecordType.ProtocolName);
    if (recordLength(records, RecordType.Mode) >= 0) {
      if (recordUint(records, RecordType.Mode) !== this.modeId || recordLength(records, RecordType.Mode) !== 1)
        return this.errorReply(handshake, ReplyCode.UnacceptableValue, RecordType.Mode);
    }
    if (handshake.type > HandshakeType.Init) {
      if (recordLength(records, RecordType.ReplyCode) !== 1)
        return drop('warn', 'received handshake reply without reply code from %I');
      const replyCode = recordUint(records, RecordType.ReplyCode)!;
      if (replyCode !== ReplyCode.Success)
        return drop('warn', `Handshake with %I failed: received error: ${describeHandshakeError(replyCode, receivedErrorDetail(records))}`);
    }
    const senderKey = recordBytes(records, RecordType.SenderKey, PUBLIC_KEY_BYTES);
    if (!senderKey) return drop('debug', 'received handshake without sender key from %I');
    // a view into the packet: the engine only looks the peer up with it
    return { kind: 'sender', senderKey };
  }

  /**
   * Handles a screened handshake from a known peer. `source` identifies the sender's address
   * and port (any stable string), so repeated inits from one address get one response.
   * `inQuietPeriod`: the engine lets this handshake through fastd's quiet period after
   * establishing (a restarted peer at its own address), and past the repeat check.
   */
  handle(handshake: ReceivedHandshake, peer: HandshakePeer, source: string, now: number, inQuietPeriod = false): HandshakeOutcome {
    const { records } = handshake;
    const { state } = peer;
    if (recordLength(records, RecordType.Mtu) === 2 && recordUint(records, RecordType.Mtu) !== peer.mtu)
      return this.errorReply(handshake, ReplyCode.UnacceptableValue, RecordType.Mtu, peer.mtu);
    const peerHandshakeKey = recordBytes(records, RecordType.SenderHandshakeKey, PUBLIC_KEY_BYTES)?.slice();
    if (!peerHandshakeKey) return drop('debug', 'received handshake without sender handshake key from %P');
    if (now < state.ignoreHandshakesUntil && !inQuietPeriod) return drop('debug', 'received repeated handshakes from %P, ignoring');
    const recipientKey = recordBytes(records, RecordType.RecipientKey, PUBLIC_KEY_BYTES);
    if (recipientKey && !equalBytes(recipientKey, this.keyPair.publicKey))
      return drop('debug', 'received protocol handshake with wrong recipient key from %P');

    if (handshake.type === HandshakeType.Init) {
      if (now < state.respondedUntil && state.respondedTo === source && !inQuietPeriod)
        return drop('debug', 'not responding to repeated handshake from %P');
      state.respondedUntil = now + MIN_HANDSHAKE_INTERVAL;
      state.respondedTo = source;
      return after(RECEIVED_INIT, this.respond(handshake, peer, peerHandshakeKey, now));
    }

    if (!recipientKey) return drop('debug', 'recived handshake reply without recipient key from %P');
    const ourHandshakeKey = recordBytes(records, RecordType.RecipientHandshakeKey, PUBLIC_KEY_BYTES);
    if (!ourHandshakeKey) return drop('debug', 'received handshake reply without receipient handshake key from %P');
    if (recordLength(records, RecordType.TlvAuthenticationTag) !== TLV_TAG_BYTES)
      return drop('debug', 'received handshake reply without TLV MAC from %P');
    const key = this.keys.find(ourHandshakeKey, now);
    if (!key) return drop('debug', 'received handshake reply with unexpected recipient handshake key from %P');

    if (handshake.type === HandshakeType.Response) {
      const lines: LogLine[] = [
        { level: 'verbose', text: `received handshake response from %P${usingVersion(handshake)}` },
        { level: 'debug', text: 'finishing handshake with %P...' },
      ];
      return after(lines, this.finish(handshake, peer, key, peerHandshakeKey, now));
    }
    if (handshake.type === HandshakeType.Finish) {
      const lines: LogLine[] = [
        { level: 'debug', text: `received handshake finish from %P${usingVersion(handshake)}` },
        { level: 'debug', text: 'handling handshake finish with %P...' },
      ];
      return after(lines, this.complete(handshake, peer, key, peerHandshakeKey, now));
    }
    return drop('debug', `received handshake reply with unknown type ${handshake.type} from %P`);
  }

  /** Type 1 received: answer with our method list, authenticated with K1. */
  private respond(
    handshake: ReceivedHandshake,
    peer: HandshakePeer,
    peerHandshakeKey: Uint8Array,
    now: number,
  ): HandshakeOutcome {
    const key = this.keys.current(now, peer.state.lastSerial + 1);
    const shared = this.cachedShared(peer, key, peerHandshakeKey);
    if (!shared) return drop('debug', 'received handshake with an unusable handshake key from %P');
    // cachedShared left the σ cache on this key and peer handshake key
    const cache = peer.state.cache!;
    const built = cache.response;
    const packets =
      built && built.flags === handshake.flags && built.mtu === peer.mtu && sameMethods(peer.methods, built.methods)
        ? built.packets
        : this.buildResponse(handshake, peer, key, peerHandshakeKey, shared);
    return { kind: 'reply', packets, level: 'debug', reason: 'responding handshake with %P...' };
  }

  /** Our response to an init, kept in the σ cache for the next init with the same handshake key. */
  private buildResponse(
    handshake: ReceivedHandshake,
    peer: HandshakePeer,
    key: HandshakeKey,
    peerHandshakeKey: Uint8Array,
    shared: FhmqvcShared,
  ): readonly Uint8Array[] {
    const methods = peer.methods.map((method) => method.name);
    const body = buildHandshake({
      type: HandshakeType.Response,
      l2tpSupport: this.l2tpSupport,
      mode: this.modeId,
      mtu: peer.mtu,
      versionName: this.config.versionName,
      methodName: undefined,
      methodList: methods,
      replyCode: ReplyCode.Success,
      senderKey: this.keyPair.publicKey,
      recipientKey: peer.key,
      senderHandshakeKey: key.pair.publicKey,
      recipientHandshakeKey: peerHandshakeKey,
      withTag: true,
    });
    signHandshake(body, shared.tagKey);
    const packets = this.frame(body.bytes, handshake.flags);
    peer.state.cache!.response = { flags: handshake.flags, mtu: peer.mtu, methods, packets };
    return packets;
  }

  /** Type 2 received (we initiated): pick the method, check the tag, establish, send type 3. */
  private finish(
    handshake: ReceivedHandshake,
    peer: HandshakePeer,
    key: HandshakeKey,
    peerHandshakeKey: Uint8Array,
    now: number,
  ): HandshakeOutcome {
    const offered = recordStringList(handshake.records, RecordType.MethodList);
    // The responder's order of preference decides (fastd_handshake_get_method_by_name_list).
    const method = offered
      ?.map((name) => peer.methods.find((ours) => ours.name === name))
      .find((found) => found !== undefined);
    if (!method) return this.errorReply(handshake, ReplyCode.UnacceptableValue, RecordType.MethodList);
    const shared = fhmqvcShared('initiator', this.keyPair, key.pair, peer.key, peerHandshakeKey, peerKeyPoint(peer));
    if (!shared) return drop('debug', 'received handshake response with an unusable handshake key from %P');
    if (!verifyHandshakeTag(handshake, shared.tagKey))
      return drop('warn', 'received invalid protocol handshake response from %P');
    const established = this.establish(handshake, peer, method, shared, key, true, now);
    if (established.kind !== 'established') return established;

    const body = buildHandshake({
      type: HandshakeType.Finish,
      l2tpSupport: this.l2tpSupport,
      mode: this.modeId,
      mtu: peer.mtu,
      versionName: this.config.versionName,
      methodName: method.name,
      methodList: undefined,
      replyCode: ReplyCode.Success,
      senderKey: this.keyPair.publicKey,
      recipientKey: peer.key,
      senderHandshakeKey: key.pair.publicKey,
      recipientHandshakeKey: peerHandshakeKey,
      withTag: true,
    });
    signHandshake(body, shared.tagKey);
    return { ...established, packets: this.frame(body.bytes, handshake.flags) };
  }

  /** Type 3 received (we responded): the method must be one of ours; check the tag, establish. */
  private complete(
    handshake: ReceivedHandshake,
    peer: HandshakePeer,
    key: HandshakeKey,
    peerHandshakeKey: Uint8Array,
    now: number,
  ): HandshakeOutcome {
    const name = recordString(handshake.records, RecordType.MethodName);
    const method = peer.methods.find((ours) => ours.name === name);
    if (!method) return this.errorReply(handshake, ReplyCode.UnacceptableValue, RecordType.MethodName);
    const shared = this.cachedShared(peer, key, peerHandshakeKey);
    if (!shared) return drop('debug', 'received handshake finish with an unusable handshake key from %P');
    if (!verifyHandshakeTag(handshake, shared.tagKey))
      return drop('warn', 'received invalid protocol handshake finish from %P');
    const outcome = this.establish(handshake, peer, method, shared, key, false, now);
    peer.state.cache = undefined;
    return outcome;
  }

  /** fastd's establish(): one session per ephemeral key and peer, then a quiet period. */
  private establish(
    handshake: ReceivedHandshake,
    peer: HandshakePeer,
    method: HandshakeMethod,
    shared: FhmqvcShared,
    key: HandshakeKey,
    initiator: boolean,
    now: number,
  ): HandshakeOutcome {
    if (key.serial <= peer.state.lastSerial) return drop('debug', 'ignoring handshake from %P because of handshake key reuse');
    peer.state.lastSerial = key.serial;
    peer.state.ignoreHandshakesUntil = now + MIN_HANDSHAKE_INTERVAL;
    const compat = this.config.preV22 === true || (handshake.flags & HandshakeFlag.L2tpSupport) === 0;
    const peerVersion = recordString(handshake.records, RecordType.VersionName);
    const sessionKey = deriveMethodKey(shared, method.name, method.keyLength);
    const session = { method, key: sessionKey, initiator, compat, peerVersion };
    return { kind: 'established', packets: [], session };
  }

  /** σ and K1 for our current key and this peer handshake key, computed once per pair. */
  private cachedShared(peer: HandshakePeer, key: HandshakeKey, peerHandshakeKey: Uint8Array): FhmqvcShared | undefined {
    const { cache } = peer.state;
    if (cache && cache.serial === key.serial && equalBytes(cache.peerHandshakeKey, peerHandshakeKey))
      return cache.shared;
    const shared = fhmqvcShared('responder', this.keyPair, key.pair, peer.key, peerHandshakeKey, peerKeyPoint(peer));
    if (shared) peer.state.cache = { serial: key.serial, peerHandshakeKey, shared };
    return shared;
  }

  private frame(body: Uint8Array, peerFlags: number | 'initial'): Uint8Array[] {
    if (!this.l2tpSupport) return [body];
    return replyFormats(peerFlags).map((format) => frameHandshake(body, format));
  }

  private errorReply(
    handshake: ReceivedHandshake,
    code: ReplyCode,
    detail: RecordType,
    mtu?: number,
  ): HandshakeOutcome {
    const body = buildErrorReply(handshake.type, code, detail, this.l2tpSupport);
    const reason = `Handshake with %I failed: sending error: ${describeHandshakeError(code, detail, mtu)}`;
    return { kind: 'reply', packets: this.frame(body, handshake.flags), level: 'warn', reason };
  }
}
