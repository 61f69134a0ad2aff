// One tunnel daemon of the bench, Debian's fastd or fastd-ts, in a namespace: started from
// the same configuration text (fastd-ts is a drop-in), its output in a log file, and its
// CPU time and memory read from /proc while it runs.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trackPid, untrackPid } from '../testbed/cleanup.js';
import type { Namespace } from '../testbed/namespaces.js';
import { fetchStatus, fetchStatusText } from '../status/status-client.js';
import type { DaemonKind } from './report.js';

export const DEBIAN_FASTD = '/usr/bin/fastd';
const FASTD_TS = fileURLToPath(new URL('../../bin/fastd-ts', import.meta.url));
/** utime and stime are the 14th and 15th fields of /proc/<pid>/stat (proc(5)), counted from 1. */
const STAT_UTIME_FIELD = 14;
const STAT_STIME_FIELD = 15;
const STOP_GRACE_MS = 5_000;
const NS_PER_MS = 1e6;

/** The kernel's clock tick for /proc times (USER_HZ). */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** User plus system CPU seconds of all of a process's threads so far; with `tid`, of that thread alone. */
export function cpuSecondsOf(pid: number, tid?: number): number {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; fields are counted after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const field = (n: number) => Number(fields[n - 3]);
  return (field(STAT_UTIME_FIELD) + field(STAT_STIME_FIELD)) / CLOCK_TICKS;
}

export interface KeyPair {
  readonly secret: string;
  readonly public: string;
}

/** A fresh key pair from Debian's fastd (fastd-ts prints the same keys). */
export function generateKeyPair(): KeyPair {
  const run = (args: string[], input?: string) =>
    execFileSync(DEBIAN_FASTD, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] }).trim();
  const secret = run(['--generate-key', '--machine-readable']);
  return { secret, public: run(['--machine-readable', '--show-key', '--config', '-'], `secret "${secret}";\n`) };
}

export interface DaemonSpec {
  readonly kind: DaemonKind;
  readonly method: string;
  readonly mtu: number;
  readonly interfaceName: string;
  readonly bind: string;
  readonly keys: KeyPair;
  /** The one configured peer, "other" (none: a supernode that knows its peers from peerDir). */
  readonly peerKey?: string;
  /** "address:port" of the other side when this side initiates. */
  readonly remote?: string;
  /** A peer directory to include besides the one peer (the scale bench). */
  readonly peerDir?: string;
  /** Extra command-line arguments (fastd-ts switches such as --io-backend). */
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** fastd-ts only: node's own options before the script (--cpu-prof, which NODE_OPTIONS refuses). */
  readonly nodeArgs?: readonly string[];
}

/** The configuration a spec stands for, fastd's language (fastd-ts reads the same). */
export function configText(spec: DaemonSpec, statusSocket: string): string {
  return [
    'log level info;',
    `status socket "${statusSocket}";`,
    'mode tap;',
    `interface "${spec.interfaceName}";`,
    `method "${spec.method}";`,
    `mtu ${spec.mtu};`,
    `bind ${spec.bind};`,
    `secret "${spec.keys.secret}";`,
    ...(spec.peerKey === undefined ? [] : [`peer "other" {\n  key "${spec.peerKey}";${spec.remote ? `\n  remote ${spec.remote};` : ''}\n}`]),
    ...(spec.peerDir === undefined ? [] : [`include peers from "${spec.peerDir}";`]),
    '',
  ].join('\n');
}

/**
 * CPU ms of process `pid`'s main thread so far, from the scheduler's nanoseconds (schedstat's
 * first field): /proc's stat counts in 10 ms ticks, as coarse as one scrape.
 */
export function mainThreadCpuMsOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / NS_PER_MS;
}

export class BenchDaemon {
  readonly logPath: string;
  readonly statusPath: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly netns: Namespace,
    readonly spec: DaemonSpec,
    private readonly dir: string,
    readonly label: string,
  ) {
    this.logPath = join(dir, `${label}.log`);
    this.statusPath = join(dir, `${label}.sock`);
  }

  /** `ip netns exec` execs the program, so the child's pid is the daemon's own. */
  get pid(): number {
    if (this.child?.pid === undefined) throw new Error(`${this.label} is not running`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    const configPath = join(this.dir, `${this.label}.conf`);
    writeFileSync(configPath, configText(this.spec, this.statusPath));
    const log = openSync(this.logPath, 'w');
    const [command, ...prefix] = this.spec.kind === 'fastd' ? [DEBIAN_FASTD] : [process.execPath, ...(this.spec.nodeArgs ?? []), FASTD_TS];
    try {
      const child = spawn('ip', ['netns', 'exec', this.netns.name, command!, ...prefix, '--config', configPath, ...(this.spec.args ?? [])], {
        stdio: ['ignore', log, log],
        env: { ...process.env, ...this.spec.env },
      });
      this.child = child;
      if (child.pid !== undefined) trackPid(child.pid);
      this.exited = new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.once('error', () => resolve());
      });
    } finally {
      closeSync(log);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return this.exited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
    if (child.pid !== undefined) untrackPid(child.pid);
  }

  /** kill -9, as a crash or the OOM killer ends it: no shutdown, the status socket file stays behind. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return this.exited;
    child.kill('SIGKILL');
    await this.exited;
    if (child.pid !== undefined) untrackPid(child.pid);
  }

  log(): string {
    try {
      return readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  /** The status socket's JSON document (fastd's, with fastd-ts's additions). */
  status(): Promise<unknown> {
    return fetchStatus(this.statusPath);
  }

  /** The status document's text, unparsed (what a fetch costs the daemon, without the reader's JSON.parse). */
  statusText(): Promise<string> {
    return fetchStatusText(this.statusPath);
  }

  /** User plus system CPU seconds of all the daemon's threads so far. */
  cpuSeconds(): number {
    return cpuSecondsOf(this.pid);
  }

  /** CPU seconds so far of each of the daemon's live threads, by thread id (the main thread's is the pid). */
  threadCpuSeconds(): Map<number, number> {
    const times = new Map<number, number>();
    for (const tid of readdirSync(`/proc/${this.pid}/task`).map(Number)) {
      try {
        times.set(tid, cpuSecondsOf(this.pid, tid));
      } catch {
        // the thread ended between the listing and the read
      }
    }
    return times;
  }

  /** Resident memory (VmRSS) in MiB. */
  rssMiB(): number {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    if (!match) throw new Error(`no VmRSS for ${this.label}`);
    return Number(match[1]) / 1024;
  }
}
