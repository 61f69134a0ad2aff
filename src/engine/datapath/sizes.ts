// The sizes every part of a datapath worker builds its batches and buffers with, on their
// own so that the modules that build them (memory.ts, udp-sockets.ts, queues.ts) need not import each other.

/** Packets per receive, read and send batch. */
export const BATCH = 64;
/** Bytes kept free in front of a payload, for the largest method header (and null@l2tp's keepalive headers). */
export const HEADROOM = 64;
/** Bytes kept free after a packet, for methods that pad to their block size. */
export const TAILROOM = 64;
/** Pool buffers are rounded up to whole cache lines. */
export const CACHE_LINE = 64;
/** How long the pools wait without pressure before giving memory back. */
export const POOL_IDLE_MS = 30_000;
/**
 * Batches taken from one source (a socket, a TUN/TAP queue, a handoff ring) before the others
 * get their turn: one busy source must not starve the rest of the worker.
 */
export const BATCHES_PER_TURN = 8;
