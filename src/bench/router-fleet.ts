// Hundreds of Debian fastd routers in one namespace, started by one shell there. Spawned one
// by one from this process (a fork of Node and an `ip netns exec` each) 200 routers took 28 s
// to start on the shared 2-core machine, and the supernode bench timed that instead of the
// supernode; the shell took 8–19 s under the same load (the bench prints how long). It prints
// the routers' pids, which are tracked for the cleanup like any daemon's.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { trackPid, untrackPid } from '../testbed/cleanup.js';
import type { Namespace } from '../testbed/namespaces.js';
import { fetchStatus } from '../status/status-client.js';
import { configText, DEBIAN_FASTD, type DaemonSpec } from './daemon.js';

const STOP_GRACE_MS = 5_000;
/** The shell starts a router in 10–160 ms on the shared machine: 1,000 took 34–150 s, and 932 in 150 s at a load of 40. */
const START_DEADLINE_MS_PER_ROUTER = 300;
const MIN_START_DEADLINE_MS = 60_000;

export class RouterFleet {
  private shell: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private pids: number[] = [];

  /** Each spec's configuration goes to `dir`, as router<i>.conf, and its log beside it. */
  constructor(
    readonly netns: Namespace,
    readonly specs: readonly DaemonSpec[],
    private readonly dir: string,
  ) {}

  /** Starts every router; resolves once the shell has started the last one. */
  async start(): Promise<void> {
    const lines = this.specs.map((spec, i) => {
      const file = (ext: string) => join(this.dir, `router${i}.${ext}`);
      writeFileSync(file('conf'), configText(spec, file('sock')));
      return `${DEBIAN_FASTD} --config ${file('conf')} >${file('log')} 2>&1 </dev/null & echo $!`;
    });
    const script = join(this.dir, 'start-routers.sh');
    writeFileSync(script, `${lines.join('\n')}\nwait\n`);
    const shell = spawn('ip', ['netns', 'exec', this.netns.name, 'sh', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.shell = shell;
    if (shell.pid !== undefined) trackPid(shell.pid);
    this.exited = new Promise((resolve) => shell.once('exit', () => resolve()));
    this.pids = [];
    const deadlineMs = Math.max(MIN_START_DEADLINE_MS, this.specs.length * START_DEADLINE_MS_PER_ROUTER);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the routers' shell started ${this.pids.length} of ${this.specs.length} in ${deadlineMs / 1000} s`)), deadlineMs);
      createInterface({ input: shell.stdout! }).on('line', (line) => {
        const pid = Number(line);
        trackPid(pid);
        this.pids.push(pid);
        if (this.pids.length === this.specs.length) {
          clearTimeout(timer);
          resolve();
        }
      });
      void this.exited.then(() => reject(new Error(`the routers' shell ended after starting ${this.pids.length} of ${this.specs.length}`)));
    });
  }

  /** How many routers list a connected peer (the supernode) on their status sockets; one not answering yet counts as not connected. */
  async connectedCount(): Promise<number> {
    const connected = await Promise.all(
      this.specs.map(async (_, i) => {
        try {
          const { peers } = (await fetchStatus(join(this.dir, `router${i}.sock`))) as { peers: Record<string, { connection: unknown }> };
          return Object.values(peers).some((peer) => peer.connection !== null && peer.connection !== undefined);
        } catch {
          return false;
        }
      }),
    );
    return connected.filter(Boolean).length;
  }

  /** How many routers have exited (a healthy fleet: none). */
  exitedCount(): number {
    return this.pids.filter((pid) => !isAlive(pid)).length;
  }

  /** SIGTERM to every router; the shell ends when the last has, or everything is killed after a grace time. */
  async stop(): Promise<void> {
    const shell = this.shell;
    if (!shell) return;
    for (const pid of this.pids) signal(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      for (const pid of this.pids) signal(pid, 'SIGKILL');
      shell.kill('SIGKILL');
    }, STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
    for (const pid of this.pids) untrackPid(pid);
    if (shell.pid !== undefined) untrackPid(shell.pid);
    this.shell = undefined;
    this.pids = [];
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
