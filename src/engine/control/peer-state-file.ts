// Where authenticated peers were, kept in a small file so that a restarted daemon can
// handshake them at once instead of waiting for their retries (fastd has no such file).
// Written atomically (a temporary file renamed over the old one) at most once per
// WRITE_INTERVAL while peers come and go, and at shutdown; a file older than MAX_AGE or
// one that does not parse is ignored, the latter with one warning.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { log } from '../../log/logger.js';
import type { Endpoint } from '../datapath/messages.js';

/** The file's format version; a file of another version is ignored as broken. */
const VERSION = 1;
/** No more than one write per this many ms, however often peers change. */
export const WRITE_INTERVAL = 5_000;
/**
 * Older addresses are not tried: after fastd's 90 s stale time a peer has reset its session
 * and handshakes its remote by itself, and an old address may be someone else's by now.
 */
export const MAX_AGE = 5 * 60_000;

/** A peer's key (hex) and the address it was authenticated at. */
export interface RememberedPeer {
  readonly key: string;
  readonly endpoint: Endpoint;
}

interface StateFile {
  readonly version: number;
  /** Epoch ms. */
  readonly written: number;
  readonly peers: readonly { key: string; family: 4 | 6; address: string; port: number; scopeId: number }[];
}

function isRemembered(entry: unknown): entry is StateFile['peers'][number] {
  if (typeof entry !== 'object' || entry === null) return false;
  const { key, family, address, port, scopeId } = entry as Record<string, unknown>;
  return (
    typeof key === 'string' && /^[0-9a-f]{64}$/.test(key) &&
    (family === 4 || family === 6) &&
    typeof address === 'string' && address.length > 0 &&
    Number.isInteger(port) && (port as number) > 0 && (port as number) <= 65535 &&
    Number.isInteger(scopeId) && (scopeId as number) >= 0
  );
}

function parse(text: string): StateFile | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const { version, written, peers } = data as Record<string, unknown>;
  if (version !== VERSION || typeof written !== 'number' || !Array.isArray(peers) || !peers.every(isRemembered)) return undefined;
  return { version, written, peers };
}

/** The peers remembered in `path`, or none when it is missing, stale (older than maxAge at `now`) or broken. */
export function readPeerState(path: string, now: number, maxAge = MAX_AGE): RememberedPeer[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`can't read peer state file ${path}: ${(error as Error).message}`);
    return [];
  }
  const state = parse(text);
  if (!state) {
    log.warn(`ignoring broken peer state file ${path}`);
    return [];
  }
  if (now - state.written > maxAge) {
    log.verbose(`ignoring stale peer state file ${path} (written ${Math.round((now - state.written) / 1000)} s ago)`);
    return [];
  }
  return state.peers.map(({ key, family, address, port, scopeId }) => ({ key, endpoint: { family, address, port, scopeId } }));
}

/** Writes `peers` to `path` atomically: readers see the old file or the new one, never a part. */
export function writePeerState(path: string, peers: readonly RememberedPeer[], now: number): void {
  const state: StateFile = {
    version: VERSION,
    written: now,
    peers: peers.map(({ key, endpoint }) => ({ key, family: endpoint.family, address: endpoint.address, port: endpoint.port, scopeId: endpoint.scopeId })),
  };
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(state));
  renameSync(temporary, path);
}

/** Keeps the file up to date at a bounded rate while the daemon runs. */
export class PeerStateWriter {
  private lastWrite = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private closed = false;

  constructor(
    private readonly path: string,
    /** The peers to remember now. */
    private readonly collect: () => RememberedPeer[],
    private readonly clock: () => number,
    private readonly interval = WRITE_INTERVAL,
  ) {}

  /** Peers changed: write now, or once the interval since the last write has passed. */
  changed(): void {
    if (this.closed || this.timer) return;
    const wait = this.lastWrite + this.interval - this.clock();
    if (wait <= 0) this.write();
    else this.timer = setTimeout(() => this.write(), wait).unref();
  }

  /** At shutdown: one last write of the peers as they are, then no more. */
  close(): void {
    if (this.closed) return;
    this.write();
    this.closed = true;
  }

  private write(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.clock();
    this.lastWrite = now;
    try {
      writePeerState(this.path, this.collect(), now);
      this.failing = false;
    } catch (error) {
      // once until it works again: a read-only directory must not fill the log
      if (!this.failing) log.warn(`can't write peer state file ${this.path}: ${(error as Error).message}`);
      this.failing = true;
    }
  }
}
