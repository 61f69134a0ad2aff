// The wake floor of the RTT bench: what a cold wake-up costs a native UDP echo (socat) and a
// minimal Node echo (koffi recvfrom/sendto, src/bench/rtt-echo.ts), on loopback in a
// namespace of its own. A prober sends one datagram at a time with a gap; each echo's time
// is the capture's delta from request to reply on lo, so the prober's own wake-up is not in it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trackPid, untrackPid } from '../testbed/cleanup.js';
import { Namespace } from '../testbed/namespaces.js';
import { Capture } from './rtt-capture.js';
import { echoTimes, parseCapture } from './rtt-hops.js';

export const SOCAT = '/usr/bin/socat';
export const ECHO_KINDS = ['socat', 'node+koffi'] as const;
export type EchoKind = (typeof ECHO_KINDS)[number];

const ECHO_SCRIPT = fileURLToPath(new URL('./rtt-echo.js', import.meta.url));
const PROBE_SCRIPT = fileURLToPath(new URL('./rtt-probe.js', import.meta.url));
/** Server ports on the namespace's own loopback; each prober sends from the server's port + 1. */
const SERVER_PORTS: Record<EchoKind, number> = { socat: 40_000, 'node+koffi': 40_010 };
const PROBER_SLACK_MS = 30_000;

function serverCommand(kind: EchoKind, port: number): string[] {
  // PIPE writes each datagram into a pipe and sends what comes out back to the first peer:
  // about 20 system calls per echo (pselect, pipe write and read, …) where the Node echo makes 2.
  if (kind === 'socat') return [SOCAT, `UDP4-LISTEN:${port},bind=127.0.0.1,reuseaddr`, 'PIPE'];
  return [process.execPath, ECHO_SCRIPT, String(port)];
}

export class WakeFloor {
  private readonly servers = new Map<EchoKind, { child: ChildProcess; exited: Promise<void> }>();

  private constructor(
    private readonly netns: Namespace,
    private readonly dir: string,
  ) {}

  /** A namespace with loopback up and both echo servers answering in it. */
  static async create(): Promise<WakeFloor> {
    const name = `ftsrtt-floor-${process.pid}`;
    const floor = new WakeFloor(Namespace.create(name), mkdtempSync(join(tmpdir(), 'fastd-ts-rtt-floor-')));
    try {
      floor.netns.ip('link', 'set', 'lo', 'up');
      for (const kind of ECHO_KINDS) await floor.startServer(kind);
    } catch (error) {
      await floor.close();
      throw error;
    }
    return floor;
  }

  private async startServer(kind: EchoKind): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', this.netns.name, ...serverCommand(kind, SERVER_PORTS[kind])], { stdio: 'ignore' });
    if (child.pid !== undefined) trackPid(child.pid);
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    this.servers.set(kind, { child, exited });
    await this.probe(kind, 0, 0);
  }

  private async probe(kind: EchoKind, count: number, gapMs: number): Promise<void> {
    const port = SERVER_PORTS[kind];
    const args = [PROBE_SCRIPT, String(port), String(port + 1), String(count), String(gapMs)];
    const result = await this.netns.run(process.execPath, args, count * (gapMs + 1) + PROBER_SLACK_MS);
    if (result.code !== 0) throw new Error(`prober of the ${kind} echo failed (${result.code}): ${result.stderr}`);
  }

  /** Each echo's own time in µs over `count` probes sent `gapMs` apart. */
  async echoTimes(kind: EchoKind, count: number, gapMs: number): Promise<number[]> {
    const port = SERVER_PORTS[kind];
    const capture = await Capture.start(this.netns, 'lo', `udp port ${port}`, this.dir, `${kind}-${gapMs}ms`);
    try {
      await this.probe(kind, count, gapMs);
    } catch (error) {
      await capture.kill();
      throw error;
    }
    return echoTimes(parseCapture(await capture.stop()), port);
  }

  async close(): Promise<void> {
    for (const { child, exited } of this.servers.values()) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      if (child.pid !== undefined) untrackPid(child.pid);
    }
    this.netns.delete();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
