// A flood's sender as a process of its own inside a namespace (so the flood neither waits for
// nor slows the caller's event loop): it is given its order as one JSON argument, prints its
// figures as JSON when it ends (by itself or on SIGTERM), and is tracked so that it is killed
// with the harness. The garbage flood and the init flood both run their sender this way, and
// the init-flood bench its unread socket (udp-sink.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { trackPid, untrackPid } from '../testbed/cleanup.js';
import type { Namespace } from '../testbed/namespaces.js';

const STOP_GRACE_MS = 5_000;

export class SenderProcess<Figures> {
  /** Resolves with the figures once the sender has stopped (by itself, or after stop()). */
  readonly finished: Promise<Figures>;

  private constructor(
    private readonly child: ChildProcess,
    what: string,
  ) {
    let output = '';
    let errors = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
    this.finished = new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => {
        if (child.pid !== undefined) untrackPid(child.pid);
        if (code === 0 && output.trim() !== '') resolve(JSON.parse(output) as Figures);
        else reject(new Error(`${what}'s sender exited with ${code}: ${errors}`));
      });
    });
    // a sender that fails at once is reported by stop() or `finished`, not as an unhandled rejection meanwhile
    this.finished.catch(() => undefined);
  }

  /** Runs the built `script` (node runs it as is) inside `namespace` with `order`. */
  static start<Figures>(namespace: Namespace, script: string, order: unknown, what: string): SenderProcess<Figures> {
    const child = spawn('ip', ['netns', 'exec', namespace.name, process.execPath, script, JSON.stringify(order)], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) trackPid(child.pid);
    return new SenderProcess<Figures>(child, what);
  }

  /** Stops the sender (if it still runs) and returns its figures. */
  async stop(): Promise<Figures> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      return await this.finished;
    } finally {
      clearTimeout(timer);
    }
  }
}
