// Received handshakes, from the worker to the state machine and back (fastd's
// fastd_handshake_handle and protocols/ec25519_fhmqvc/handshake.c): parse, screen, find
// the peer by its key (or accept an unknown one through `on verify`), check address and
// peer limits, let the state machine answer, then send its packets and establish.
// Also the fast-reconnect answer to data nobody could open.
import type { PeerConfig } from '../../config/types.js';
import { isValidPublicKey, keyToHex, parseKeyHex } from '../../crypto/ec25519/keys.js';
import { log, logAddress } from '../../log/logger.js';
import type { HandshakeOutcome, LogLevel } from '../../protocol/handshake.js';
import { parseHandshake, type ReceivedHandshake } from '../../protocol/handshake-messages.js';
import { equalBytes } from '../../protocol/handshake-keys.js';
import { HandshakeType } from '../../protocol/tlv.js';
import type { ControlPlane } from './control-plane.js';
import type { Endpoint } from '../datapath/messages.js';
import { addressKey, endpointKey, formatEndpoint } from './endpoints.js';
import type { EnginePeer, PeerLocation } from './peer-state.js';
import { PeerRegistry } from './peers.js';
import { MIN_HANDSHAKE_INTERVAL, MIN_VERIFY_INTERVAL, RECONNECT_ANSWER_INTERVAL, VERIFY_LIMIT, VERIFY_VALID_TIME } from '../../protocol/timing.js';

/**
 * Logs a line of the state machine with fastd's %P (the peer and its address) and %I (the
 * address) converted, all of it only when the level is enabled: most handshake lines are
 * debug, and formatting the address for each answered init was a cost of its own.
 */
function logAt(level: LogLevel, text: string, peer: EnginePeer | undefined, endpoint: Endpoint): void {
  if (!log.isLevelEnabled(level)) return;
  const address = logAddress(formatEndpoint(endpoint));
  log[level](text.replace('%P', peer ? `${peer}[${address}]` : address).replace('%I', address));
}

/** Compares public keys as unsigned big-endian numbers: decides who initiates in a simultaneous open. */
function compareKeys(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * fastd ignores every handshake from a peer for MIN_HANDSHAKE_INTERVAL after establishing,
 * which leaves a peer that restarted in that time cut off for up to 15 s. An init from the
 * peer's current address means it lost the session: we answer it at once, at most once per
 * RECONNECT_ANSWER_INTERVAL, and let the finish of that handshake through. Every other
 * handshake in the quiet period is ignored as fastd ignores it: any sender may claim a
 * floating peer's key, and answering inits from addresses the peer is not at would make us
 * an amplifier for spoofed sources. A peer that still has the session ignores our answer in
 * its own quiet period, and only an authenticated finish replaces our session.
 */
function passesQuietPeriod(handshake: ReceivedHandshake, peer: EnginePeer, source: string, now: number): boolean {
  if (!peer.established || peer.location === undefined || endpointKey(peer.location.endpoint) !== source) return false;
  if (handshake.type === HandshakeType.Finish) return now - peer.lastReconnectAnswer < MIN_HANDSHAKE_INTERVAL;
  return handshake.type === HandshakeType.Init && now - peer.lastReconnectAnswer >= RECONNECT_ANSWER_INTERVAL;
}

export class HandshakeDriver {
  private runningVerifications = 0;
  private readonly ourKey: Uint8Array;

  constructor(private readonly control: ControlPlane) {
    this.ourKey = parseKeyHex(control.deps.localKey)!;
  }

  /**
   * fastd's allow_unknown_peers: a packet from an address that is none of our peers' remotes
   * is only looked at when some peer floats or `on verify` may accept a stranger; otherwise
   * nobody could be there, and answering would only feed a spoofer handshakes. (fastd asks
   * whether a peer is at or being tried at the address; a remote counts here even before
   * our first handshake to it, so an init that overtakes ours, both ends starting at once, is answered.)
   */
  private refusesUnknown(endpoint: Endpoint): boolean {
    const { table, config } = this.control;
    if (table.hasFloating || config.onVerify || table.isRemote(endpoint)) return false;
    log.debug(`received packet from unknown address ${logAddress(formatEndpoint(endpoint))}`);
    return true;
  }

  /**
   * A handshake packet the worker received on `socketId` from `endpoint`, at our address `local`
   * on a wildcard socket. Handled at once; a promise only while `on verify` runs for a dynamic peer.
   */
  receive(socketId: number, endpoint: Endpoint, packet: Uint8Array, local?: Endpoint): Promise<void> | undefined {
    if (this.refusesUnknown(endpoint)) return;
    const parsed = parseHandshake(packet);
    if (!parsed.ok) {
      log.debug(`${parsed.reason} from ${logAddress(formatEndpoint(endpoint))}`);
      return;
    }
    const { handshake } = parsed;
    const location: PeerLocation = { socketId, endpoint, local };
    // the sender's key in the address index and the handshake state, formatted once per handshake
    const source = endpointKey(endpoint);
    const screened = this.control.deps.handshake.screen(handshake);
    if (screened.kind !== 'sender') {
      this.act(screened, undefined, location);
      return;
    }
    const found = this.findPeer(screened.senderKey, location, source);
    if (found === 'ignore') return;
    const peer = found ?? this.addDynamic(screened.senderKey, location);
    if (!peer) return;
    if (!this.control.table.mayConnect(peer)) {
      log.debug(`ignoring handshake from ${peer}[${logAddress(formatEndpoint(endpoint))}] because of configured peer limits`);
      return;
    }
    if (peer.dynamic) {
      return this.verified(peer, handshake, location).then((ok) => {
        if (ok) this.answer(peer, handshake, location, source);
      });
    }
    this.answer(peer, handshake, location, source);
    return undefined;
  }

  /** The state machine's answer to a handshake from a peer that may connect; `source` is endpointKey(location.endpoint). */
  private answer(peer: EnginePeer, handshake: ReceivedHandshake, location: PeerLocation, source: string): void {
    if (this.control.table.find(peer.config.key) !== peer) return;
    if (this.yieldsToSimultaneousOpen(peer, handshake, source)) return;
    const now = this.control.deps.clock();
    const inQuietPeriod = now < peer.handshake.ignoreHandshakesUntil && passesQuietPeriod(handshake, peer, source, now);
    if (inQuietPeriod && handshake.type === HandshakeType.Init) peer.lastReconnectAnswer = now;
    const outcome = this.control.deps.handshake.handle(handshake, this.control.handshakePeer(peer), source, now, inQuietPeriod);
    this.act(outcome, peer, location);
  }

  /** fastd's match_sender_key: the peer with that key, if it may use this address. */
  private findPeer(senderKey: Uint8Array, location: PeerLocation, source: string): EnginePeer | undefined | 'ignore' {
    const keyHex = keyToHex(senderKey);
    const peer = this.control.table.find(keyHex);
    const holder = this.control.table.atKey(source);
    if (holder && holder !== peer && holder.established && PeerRegistry.ownsAddress(holder, location.endpoint)) {
      log.debug(`ignoring handshake from ${logAddress(formatEndpoint(location.endpoint))} with key ${keyHex} (incorrect source address)`);
      return 'ignore';
    }
    if (peer && !PeerRegistry.matchesAddress(peer, location.endpoint)) {
      log.debug(`ignoring handshake from ${logAddress(formatEndpoint(location.endpoint))} with key ${keyHex} (incorrect source address)`);
      return 'ignore';
    }
    return peer;
  }

  /** fastd's add_dynamic: an unknown key becomes a peer of the `on verify` group, if verification is configured. */
  private addDynamic(senderKey: Uint8Array, location: PeerLocation): EnginePeer | undefined {
    const { config } = this.control;
    const from = logAddress(formatEndpoint(location.endpoint));
    const keyHex = keyToHex(senderKey);
    if (!config.onVerify || !config.onVerifyGroup) {
      log.verbose(`ignoring handshake from ${from} (unknown key ${keyHex})`);
      return undefined;
    }
    if (equalBytes(senderKey, this.ourKey)) {
      log.debug(`ignoring handshake from ${from} (used our own key)`);
      return undefined;
    }
    if (this.control.disabled.has(keyHex)) {
      log.debug(`ignoring handshake from ${from} (disabled key ${keyHex})`);
      return undefined;
    }
    if (!isValidPublicKey(senderKey)) {
      log.debug(`ignoring handshake from ${from} (invalid key)`);
      return undefined;
    }
    if (!this.control.table.fitsLimits(config.onVerifyGroup)) {
      log.debug(`not adding dynamic peer {${keyHex.slice(0, 16)}}[${from}] because of configured peer limits`);
      return undefined;
    }
    const peerConfig: PeerConfig = {
      name: undefined,
      key: keyHex,
      remotes: [],
      floating: true,
      mtu: undefined,
      interface: undefined,
      group: config.onVerifyGroup,
      sourceDir: undefined,
    };
    return this.control.addPeer(peerConfig, true, this.control.deps.clock());
  }

  /** fastd's handle_dynamic + fastd_verify_peer: run `on verify` at most every MIN_VERIFY_INTERVAL; exit status 0 admits. */
  private async verified(peer: EnginePeer, handshake: ReceivedHandshake, location: PeerLocation): Promise<boolean> {
    const now = this.control.deps.clock();
    if (handshake.type > HandshakeType.Response || now < peer.verifyUntil) return now < peer.verifiedUntil;
    const command = this.control.config.onVerify!;
    if (!command.sync && this.runningVerifications >= VERIFY_LIMIT) {
      log.debug('maximum number of verification processes reached');
      return false;
    }
    peer.verifyUntil = now + MIN_VERIFY_INTERVAL;
    const env = this.control.peerEnvironment(peer, this.control.localEndpoint(location), location.endpoint);
    this.runningVerifications++;
    let status: number | undefined;
    try {
      status = await this.control.deps.runHook(command, env, false);
    } finally {
      this.runningVerifications--;
    }
    const after = this.control.deps.clock();
    const ok = status === 0;
    peer.verifiedUntil = ok ? after + VERIFY_VALID_TIME : after;
    if (!ok) {
      log.debug(`ignoring handshake from ${peer}[${logAddress(formatEndpoint(location.endpoint))}] (verification failed)`);
      if (this.control.table.find(peer.config.key) === peer) this.control.delete(peer);
    }
    return ok;
  }

  /**
   * Both ends sent an initial handshake at the same moment. Left alone, each would answer the
   * other's and establish a session of its own as initiator, and the two sessions would not
   * match until a timeout. The end with the larger public key keeps the initiator's role: it
   * ignores the other's init; the smaller answers that init and ignores the response to its own.
   */
  private yieldsToSimultaneousOpen(peer: EnginePeer, handshake: ReceivedHandshake, source: string): boolean {
    if (peer.established) return false;
    const now = this.control.deps.clock();
    const weLead = compareKeys(this.ourKey, peer.key) > 0;
    if (handshake.type === HandshakeType.Init && weLead && now < peer.lastHandshakeUntil && peer.lastHandshakeTo === source) {
      log.debug(`simultaneous handshake with ${peer}: waiting for the answer to ours`);
      return true;
    }
    const state = peer.handshake;
    if (handshake.type === HandshakeType.Response && !weLead && now < state.respondedUntil && state.respondedTo === source) {
      log.debug(`simultaneous handshake with ${peer}: completing theirs instead`);
      return true;
    }
    return false;
  }

  private act(outcome: HandshakeOutcome, peer: EnginePeer | undefined, location: PeerLocation): void {
    const { before } = outcome;
    if (before !== undefined) for (const line of before) logAt(line.level, line.text, peer, location.endpoint);
    switch (outcome.kind) {
      case 'drop':
        logAt(outcome.level, outcome.reason, peer, location.endpoint);
        return;
      case 'reply':
        logAt(outcome.level, outcome.reason, peer, location.endpoint);
        this.control.sendPacket(location, outcome.packets);
        return;
      case 'established':
        this.control.sendPacket(location, outcome.packets);
        if (peer) this.control.establish(peer, outcome.session, location, this.control.deps.clock());
        return;
    }
  }

  /**
   * Data from an address with no session (fastd v23's fast reconnect): answer with one
   * handshake to the unknown sender, as the per-address brake allows (unknown-backoff.ts).
   */
  unknownData(socketId: number, endpoint: Endpoint, compat = false, local?: Endpoint): void {
    if (this.refusesUnknown(endpoint)) return;
    const now = this.control.deps.clock();
    const sender = { socketId, endpoint, local, compat };
    if (this.control.unknownBackoff.backOff(addressKey(endpoint), now, sender)) {
      log.debug2(`sent a handshake to unknown address ${logAddress(formatEndpoint(endpoint))} a short time ago, not sending again`);
      return;
    }
    log.debug(`unexpectedly received payload data from ${logAddress(formatEndpoint(endpoint))}`);
    this.control.handshakeUnknown(sender, now);
  }
}
