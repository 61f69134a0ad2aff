// Private network namespaces, the one helper for them, shared by the tests and `npm run bench`:
// a single namespace that commands run in (or this thread moves into, for sockets and
// TUN/TAP devices the test process opens itself), and two namespaces joined by a veth pair:
// the "underlay" the tunnel runs on. Both ends of the veth are created directly inside the
// namespaces, so nothing (not even a transient interface name) appears in the host's
// namespace. Addresses are from the documentation ranges 198.51.100.0/24 and 2001:db8::/32
// and exist only inside these namespaces. Every namespace is tracked (cleanup.ts), so it goes
// even when its user fails before deleting it.
import { execFile, execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import koffi from 'koffi';
import { deleteNamespace, sweepStaleNamespaces, trackNamespace } from './cleanup.js';

const execFileAsync = promisify(execFile);

/** setns(2)'s nstype for a network namespace. */
const CLONE_NEWNET = 0x40000000;
type Setns = (fd: number, nstype: number) => number;
let setns: Setns | undefined;

export const UNDERLAY_PREFIX = 24;
export const UNDERLAY_ADDRESSES = ['198.51.100.1', '198.51.100.2'] as const;
const UNDERLAY_PREFIX_V6 = 64;
export const UNDERLAY_ADDRESSES_V6 = ['2001:db8:1::1', '2001:db8:1::2'] as const;
export const UNDERLAY_DEVICE = 'underlay0';

let created = 0;

interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class Namespace {
  constructor(readonly name: string) {}

  /** Adds an empty namespace (loopback down, as the kernel makes it). */
  static create(name: string): Namespace {
    trackNamespace(name);
    execFileSync('ip', ['netns', 'add', name], { stdio: 'ignore' });
    return new Namespace(name);
  }

  /** Runs `ip` with this namespace selected; throws on failure. */
  ip(...args: string[]): string {
    return execFileSync('ip', ['-n', this.name, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Runs many `ip` commands (one a line, without the `ip`) in one process; throws on failure. */
  ipBatch(lines: readonly string[]): void {
    execFileSync('ip', ['-n', this.name, '-batch', '-'], { input: `${lines.join('\n')}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
  }

  /** Runs a short command inside the namespace and returns its output; throws on failure. */
  exec(command: string, ...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.name, command, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /**
   * Runs `fn` with the calling thread inside the namespace, so the sockets and TUN/TAP devices
   * it opens live there; the thread moves back afterwards, also when `fn` throws.
   */
  inside<T>(fn: () => T): T {
    setns ??= koffi.load('libc.so.6').func('int setns(int fd, int nstype)') as Setns;
    const home = openSync('/proc/thread-self/ns/net', 'r');
    try {
      const target = openSync(`/run/netns/${this.name}`, 'r');
      try {
        if (setns(target, CLONE_NEWNET) !== 0) throw new Error(`setns ${this.name}: errno ${koffi.errno()}`);
      } finally {
        closeSync(target);
      }
      try {
        return fn();
      } finally {
        if (setns(home, CLONE_NEWNET) !== 0) throw new Error(`setns back home: errno ${koffi.errno()}`);
      }
    } finally {
      closeSync(home);
    }
  }

  delete(): void {
    deleteNamespace(this.name);
  }

  /** Runs a command inside the namespace without blocking the event loop; never throws on exit status. */
  async run(command: string, args: readonly string[], timeoutMs = 60_000): Promise<CommandResult> {
    try {
      const { stdout, stderr } = await execFileAsync('ip', ['netns', 'exec', this.name, command, ...args], {
        encoding: 'utf8',
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
      return {
        code: typeof failed.code === 'number' ? failed.code : -1,
        stdout: failed.stdout ?? '',
        stderr: failed.stderr ?? failed.message,
      };
    }
  }

  /** The namespace's UDP RcvbufErrors (/proc/net/snmp): datagrams dropped because a socket's receive buffer was full. */
  async udpReceiveBufferErrors(): Promise<number> {
    const snmp = (await this.run('cat', ['/proc/net/snmp'], 10_000)).stdout;
    const [names, values] = snmp.split('\n').filter((line) => line.startsWith('Udp:')).map((line) => line.split(/\s+/));
    const column = names?.indexOf('RcvbufErrors') ?? -1;
    if (!values || column < 0) throw new Error(`no UDP RcvbufErrors in ${this.name}'s /proc/net/snmp`);
    return Number(values[column]);
  }

  hasLink(name: string): boolean {
    try {
      this.ip('link', 'show', 'dev', name);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * A veth pair between two namespaces, each end created inside its namespace under its own
 * name, down and without addresses.
 */
export function joinByVeth(a: Namespace, deviceA: string, b: Namespace, deviceB: string): void {
  execFileSync('ip', ['link', 'add', 'name', deviceA, 'netns', a.name, 'type', 'veth', 'peer', 'name', deviceB, 'netns', b.name], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** Where the initial namespace keeps the neighbour table's soft (2) and hard (3) limits. */
const NEIGHBOUR_LIMIT = (level: 2 | 3) => `/proc/sys/net/ipv4/neigh/default/gc_thresh${level}`;

/**
 * Makes room for `entries` IPv4 neighbour entries. The kernel keeps one neighbour table for all
 * namespaces and sets its limits in the initial one only (512 soft, 1,024 hard by default): a
 * supernode answering 1,000 routers on their own addresses over one veth fills it, and the
 * kernel then drops ARP entries ("neighbor table overflow!") and with them datagrams of routers
 * that were connected. The limits are raised, never lowered (other labs may share the machine),
 * and stay raised: they are the host's. Returns the hard limit before, when it was raised.
 */
export function makeNeighbourRoom(entries: number): number | undefined {
  const hard = Number(readFileSync(NEIGHBOUR_LIMIT(3), 'latin1'));
  if (hard >= 2 * entries) return undefined;
  writeFileSync(NEIGHBOUR_LIMIT(3), String(2 * entries));
  if (Number(readFileSync(NEIGHBOUR_LIMIT(2), 'latin1')) < entries) writeFileSync(NEIGHBOUR_LIMIT(2), String(entries));
  return hard;
}

/** Two namespaces, side 0 and side 1, each with loopback up and one end of the veth. */
export class NamespacePair {
  readonly sides: readonly [Namespace, Namespace];

  private constructor(sides: [Namespace, Namespace]) {
    this.sides = sides;
  }

  /**
   * `prefix` keeps users apart: only the tests' own prefix is swept for leftovers, so a bench
   * running beside the tests keeps its namespaces.
   */
  static create(prefix = 'fts'): NamespacePair {
    if (prefix === 'fts') sweepStaleNamespaces();
    created += 1;
    const names = [`${prefix}${created}-${process.pid}-a`, `${prefix}${created}-${process.pid}-b`] as const;
    const sides: [Namespace, Namespace] = [new Namespace(names[0]), new Namespace(names[1])];
    const pair = new NamespacePair(sides);
    try {
      for (const name of names) Namespace.create(name);
      joinByVeth(sides[0], UNDERLAY_DEVICE, sides[1], UNDERLAY_DEVICE);
      sides.forEach((side, index) => {
        side.ip('link', 'set', 'lo', 'up');
        side.ip('address', 'add', `${UNDERLAY_ADDRESSES[index]}/${UNDERLAY_PREFIX}`, 'dev', UNDERLAY_DEVICE);
        side.ip('-6', 'address', 'add', `${UNDERLAY_ADDRESSES_V6[index]}/${UNDERLAY_PREFIX_V6}`, 'dev', UNDERLAY_DEVICE, 'nodad');
        side.ip('link', 'set', UNDERLAY_DEVICE, 'up');
      });
    } catch (error) {
      pair.delete();
      throw error;
    }
    return pair;
  }

  delete(): void {
    for (const side of this.sides) side.delete();
  }
}
