// fastd's timing constants (src/build.h.in), in milliseconds, named as fastd names them.
import { KEY_REFRESH, KEY_REFRESH_SPLAY } from '../crypto/methods/session-common.js';

/** A peer with a remote is sent a handshake this often until a session is confirmed. */
export const DEFAULT_HANDSHAKE_INTERVAL = 20_000;
/** Spread of the handshake interval either way, so peers do not synchronise. */
const DEFAULT_HANDSHAKE_JITTER = 2_500;
/** An empty data packet goes out when nothing was sent for this long. */
export const KEEPALIVE_TIMEOUT = 20_000;
/**
 * Not fastd's: a peer we reach through a `remote` gets a keepalive after this long without
 * hearing from it, so that if it restarted (and, without a remote of its own, cannot find
 * us) our packet prompts its fast-reconnect handshake within seconds instead of ~20 s.
 */
export const RESTART_PROBE_INTERVAL = 2_000;
/** Not fastd's: how often an established peer's init is answered inside the quiet period after establishing. */
export const RECONNECT_ANSWER_INTERVAL = 1_000;
/** A peer is reset when nothing was received from it for this long. */
export const PEER_STALE_TIME = 90_000;
/** A remote's name is looked up at most this often. */
export const MIN_RESOLVE_INTERVAL = 15_000;
/** No second handshake to the same address before this has passed. */
export const MIN_HANDSHAKE_INTERVAL = 15_000;
// Declared with the session lifetime they belong to (KEY_VALID).
export { KEY_REFRESH };
/** Peers in a group with a peer limit start their first handshake within this, at random. */
export const PEER_LIMIT_START_SPREAD = 3_000;
/** `on verify` runs at most this often per dynamic peer. */
export const MIN_VERIFY_INTERVAL = 10_000;
/** A positive `on verify` verdict holds this long. */
export const VERIFY_VALID_TIME = 60_000;
/** At most this many asynchronous `on verify` commands run at once. */
export const VERIFY_LIMIT = 32;

/** A whole number of milliseconds in [min, max), like fastd_rand. */
export function randomBetween(min: number, max: number, random: () => number = Math.random): number {
  return min + Math.floor(random() * (max - min));
}

/** fastd_peer_handshake_default_rand. */
export function defaultHandshakeDelay(random?: () => number): number {
  return randomBetween(DEFAULT_HANDSHAKE_INTERVAL - DEFAULT_HANDSHAKE_JITTER, DEFAULT_HANDSHAKE_INTERVAL + DEFAULT_HANDSHAKE_JITTER, random);
}

/** When the initiator of a session established at `established` refreshes it. */
export function refreshTime(established: number, random?: () => number): number {
  return established + KEY_REFRESH - randomBetween(0, KEY_REFRESH_SPLAY, random);
}
