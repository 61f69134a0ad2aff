// The contract between the datapath and a method provider (fastd's src/method.h, made
// batch-shaped). A provider seals and opens whole batches of packets in place, inside one
// packet memory, so the datapath crosses into WebAssembly or native code once per batch
// and never allocates per packet.
//
// Packet memory layout of one batch entry (in place, both directions):
//
//   sealed:  | header (type, flags, nonce) | 16-byte tag block | ciphertext ... |
//            ^ offsets[i] after seal / before open
//   plain:                                                      | payload ...    |
//                                                               ^ offsets[i] before seal / after open
//
// A provider's `overhead` is the distance between the two; the datapath reserves at least
// that much headroom in front of every payload it hands to `seal`.

/** Per-packet outcome of seal/open, written to PacketBatch.status. */
export const PacketStatus = {
  /** Sealed, or opened and in order. */
  Ok: 0,
  /** Opened; accepted from inside the reorder window (fastd counts these as rx_reordered). */
  Reordered: 1,
  /** Shorter than header + tag, or its length runs past the memory. */
  DropMalformed: 2,
  /** Wrong packet type for the session, nonzero flags, or wrong nonce parity. */
  DropHeader: 3,
  /** The authentication tag does not match. */
  DropAuth: 4,
  /** Already seen, or older than the 64-entry window / the reorder timeout allows. */
  DropReplay: 5,
  /** The session is no longer valid (expired, nonces used up, superseded). */
  DropSession: 6,
} as const;
export type PacketStatus = (typeof PacketStatus)[keyof typeof PacketStatus];

/**
 * A batch of packets in one packet memory, as parallel arrays so that a batch is a handful
 * of long-lived typed arrays rather than an object per packet. Entries [0, count) are used.
 */
export interface PacketBatch {
  /** The memory all packets live in (a WebAssembly.Memory's buffer, possibly shared). */
  readonly memory: WebAssembly.Memory;
  count: number;
  /** Byte offset of each packet in memory; rewritten by seal/open (see the layout above). */
  readonly offsets: Uint32Array;
  /** Byte length of each packet; rewritten by seal/open. */
  readonly lengths: Uint32Array;
  /** PacketStatus of each packet after the call. */
  readonly status: Uint8Array;
}

export interface SessionFlags {
  /** We initiated the handshake: we send odd nonces and expect even ones (FASTD_SESSION_INITIATOR). */
  readonly initiator: boolean;
  /** The peer speaks the pre-v22 data packet type 0x02 (FASTD_SESSION_COMPAT). */
  readonly compat: boolean;
}

export interface MethodSession {
  readonly initiator: boolean;
  /** Seals entries [0, count) in place; status[i] = Ok or DropSession/DropMalformed. */
  seal(batch: PacketBatch, now: number): void;
  /** Opens entries [0, count) in place, verifying each tag before decrypting its payload. */
  open(batch: PacketBatch, now: number): void;
  /** fastd's session_is_valid: not expired and nonces left. `now` is milliseconds, monotonic. */
  isValid(now: number): boolean;
  /** fastd's session_want_refresh: the initiator's refresh time passed, or nonces run low. */
  wantsRefresh(now: number): boolean;
  /** A newer session replaced this one: stay valid for KEY_VALID_OLD at most (null: invalid at once). */
  supersede(now: number): void;
  /** Releases key material (zeroed) and any state held in the packet memory. */
  destroy(): void;
}

export interface MethodProvider {
  /** The method name as configured, e.g. "salsa2012+umac". */
  readonly name: string;
  /** Bytes of handshake key material the session needs (fastd's key_length). */
  readonly keyLength: number;
  /** Bytes a sealed packet carries beyond its payload (fastd's overhead). */
  readonly overhead: number;
  /** fastd's session_init: `secret` holds keyLength bytes derived by the handshake. */
  createSession(secret: Uint8Array, flags: SessionFlags, now: number, memory: WebAssembly.Memory): MethodSession;
}
