// Handshake packets go from a worker to the control plane in messages (a receive batch's in
// one), each with a copy of the packet, and a thread's message queue has no bound of its
// own. The control plane may fall behind (a flood of handshakes, or the key exchange each
// valid one costs), so a worker keeps at most HANDSHAKES_IN_FLIGHT posted that the control
// plane has not taken yet, and drops and counts the rest, as a full socket buffer would. The count of taken ones is
// an Int32 the main thread adds to; both sides count modulo 2^32, so wrapping is harmless.

/** Handshakes one worker may have waiting for the control plane. */
export const HANDSHAKES_IN_FLIGHT = 256;
export const HANDSHAKE_CREDIT_BYTES = Int32Array.BYTES_PER_ELEMENT;

/** The worker's side. */
export class HandshakeCredit {
  private readonly taken: Int32Array;
  private posted = 0;

  constructor(buffer: SharedArrayBuffer) {
    this.taken = new Int32Array(buffer);
  }

  /** True if one more handshake may be posted now (and counts it as posted). */
  admit(): boolean {
    if (((this.posted - Atomics.load(this.taken, 0)) | 0) >= HANDSHAKES_IN_FLIGHT) return false;
    this.posted = (this.posted + 1) | 0;
    return true;
  }
}

/** The control plane's side: it took `count` of the worker's handshakes off its queue. */
export function takeHandshakes(taken: Int32Array, count: number): void {
  Atomics.add(taken, 0, count);
}
