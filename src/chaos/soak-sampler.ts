// What the soak reads from a daemon under test each time it samples: from /proc its resident
// memory, threads, open descriptors and, among those, io_uring instances; from its status
// socket the peers it lists as connected and (fastd-ts) the bytes of its packet pools.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchDaemon } from '../bench/daemon.js';
import type { Reading } from './soak-report.js';

/** What an io_uring instance's descriptor links to (io_uring_setup(2) makes an anonymous inode). */
const IO_URING_LINK = 'anon_inode:[io_uring]';
/**
 * Descriptors are counted this many times, a little apart, and the least count kept: a status
 * fetch, the peer state file's rewrite or a hook hold one for a moment, a leak holds it always.
 */
const FD_READS = 3;
const FD_READ_GAP_MS = 100;
const MIB = 1024 * 1024;

export interface Descriptors {
  readonly fds: number;
  readonly rings: number;
}

/** A process's open descriptors and its io_uring instances among them, once. */
function descriptorsOnce(pid: number): Descriptors {
  let fds = 0;
  let rings = 0;
  for (const name of readdirSync(`/proc/${pid}/fd`)) {
    fds += 1;
    try {
      if (readlinkSync(`/proc/${pid}/fd/${name}`) === IO_URING_LINK) rings += 1;
    } catch {
      // closed since the listing
    }
  }
  return { fds, rings };
}

/** A process's lasting descriptors: the least of a few counts. */
export async function descriptors(pid: number): Promise<Descriptors> {
  let least = descriptorsOnce(pid);
  for (let i = 1; i < FD_READS; i++) {
    await sleep(FD_READ_GAP_MS);
    const next = descriptorsOnce(pid);
    if (next.fds < least.fds) least = next;
  }
  return least;
}

function threadsOf(pid: number): number {
  const match = /^Threads:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no Threads line for pid ${pid}`);
  return Number(match[1]);
}

interface StatusDocument {
  readonly peers: Record<string, { readonly connection: unknown }>;
  readonly 'fastd-ts'?: { readonly buffer_pool: { readonly bytes: number }; readonly receive_pool: { readonly bytes: number } };
}

/** Peers the document lists as connected. */
export function connectedPeers(status: unknown): number {
  return Object.values((status as StatusDocument).peers).filter((peer) => peer.connection !== null && peer.connection !== undefined).length;
}

/** One reading of a running daemon; the descriptors are counted before its status is fetched (the fetch holds one). */
export async function readDaemon(daemon: BenchDaemon): Promise<Reading> {
  const pid = daemon.pid;
  const { fds, rings } = await descriptors(pid);
  const rssMiB = daemon.rssMiB();
  const threads = threadsOf(pid);
  const status = (await daemon.status()) as StatusDocument;
  const extension = status['fastd-ts'];
  const pools = extension && { bufferPoolMiB: extension.buffer_pool.bytes / MIB, receivePoolMiB: extension.receive_pool.bytes / MIB };
  return {
    rssMiB,
    rssBesidePoolsMiB: pools && rssMiB - pools.bufferPoolMiB - pools.receivePoolMiB,
    fds,
    rings,
    threads,
    bufferPoolMiB: pools?.bufferPoolMiB,
    receivePoolMiB: pools?.receivePoolMiB,
    peers: connectedPeers(status),
  };
}
