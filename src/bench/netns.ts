// Two private network namespaces joined by a veth pair, the underlay one bench tunnel runs
// on. Everything created here (namespaces, processes) is recorded and removed on close,
// on exit and on SIGINT/SIGTERM, so an interrupted bench leaves nothing behind. The
// addresses are documentation ranges that exist only inside the namespaces.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const UNDERLAY_DEVICE = 'underlay0';
export const UNDERLAY_ADDRESSES = ['198.51.100.1', '198.51.100.2'] as const;
const UNDERLAY_PREFIX = 24;
const RUN_DEADLINE_MS = 10_000;

const namespaces = new Set<string>();
const pids = new Set<number>();
let handlersInstalled = false;
let created = 0;

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class Netns {
  constructor(readonly name: string) {}

  ip(...args: string[]): void {
    execFileSync('ip', ['-n', this.name, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  /** The namespace's UDP RcvbufErrors (/proc/net/snmp): datagrams dropped because a socket's receive buffer was full. */
  async udpReceiveBufferErrors(): Promise<number> {
    const snmp = (await this.run('cat', ['/proc/net/snmp'], RUN_DEADLINE_MS)).stdout;
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

  /** Runs a command inside the namespace; never throws on its exit status. */
  async run(command: string, args: readonly string[], timeoutMs: number): Promise<RunResult> {
    try {
      const { stdout, stderr } = await execFileAsync('ip', ['netns', 'exec', this.name, command, ...args], {
        encoding: 'utf8',
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
      return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? failed.message };
    }
  }
}

/** Creates namespaces ftsbench<n>-<pid>-a and -b with the veth between them, loopback up. */
export function createNamespacePair(): readonly [Netns, Netns] {
  installHandlers();
  created += 1;
  const sides = [new Netns(`ftsbench${created}-${process.pid}-a`), new Netns(`ftsbench${created}-${process.pid}-b`)] as const;
  for (const side of sides) {
    namespaces.add(side.name);
    execFileSync('ip', ['netns', 'add', side.name], { stdio: 'ignore' });
  }
  execFileSync('ip', ['link', 'add', 'name', UNDERLAY_DEVICE, 'netns', sides[0].name, 'type', 'veth', 'peer', 'name', UNDERLAY_DEVICE, 'netns', sides[1].name], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  sides.forEach((side, index) => {
    side.ip('link', 'set', 'lo', 'up');
    side.ip('address', 'add', `${UNDERLAY_ADDRESSES[index]}/${UNDERLAY_PREFIX}`, 'dev', UNDERLAY_DEVICE);
    side.ip('link', 'set', UNDERLAY_DEVICE, 'up');
  });
  return sides;
}

export function deleteNamespace(side: Netns): void {
  quietly(() => execFileSync('ip', ['netns', 'delete', side.name], { stdio: 'ignore' }));
  namespaces.delete(side.name);
}

export function trackPid(pid: number): void {
  installHandlers();
  pids.add(pid);
}

export function untrackPid(pid: number): void {
  pids.delete(pid);
}

/** Synchronous, so it also runs from an 'exit' handler. */
export function cleanUpEverything(): void {
  for (const pid of pids) quietly(() => process.kill(pid, 'SIGKILL'));
  pids.clear();
  for (const name of [...namespaces]) deleteNamespace(new Netns(name));
}

function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // already gone
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once('exit', cleanUpEverything);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanUpEverything();
      process.kill(process.pid, signal);
    });
  }
}
