// tcpdump inside a namespace for the RTT bench: packets written to a file with the kernel's
// nanosecond timestamps while the measurement runs, read back as text afterwards. tcpdump
// is left in its default buffered mode, so it wakes about once a second rather than per
// packet and does not disturb the cold wake-ups being measured.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { trackPid, untrackPid } from '../testbed/cleanup.js';
import type { Namespace } from '../testbed/namespaces.js';

const execFileAsync = promisify(execFile);

export const TCPDUMP = '/usr/bin/tcpdump';
/** Enough for the IP and UDP/ICMP headers tcpdump prints; keeps the files small. */
const SNAPSHOT_BYTES = 128;
const NANO = '--time-stamp-precision=nano';
const LISTENING = /listening on/;
const START_DEADLINE_MS = 10_000;
/**
 * tcpdump's packet buffer timeout is 1 s: packets of the last second may still sit in the
 * kernel's ring. Waiting a little longer than that before stopping it lets them reach the file.
 */
const DRAIN_MS = 1_500;
const READ_DEADLINE_MS = 30_000;

export class Capture {
  private constructor(
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
    readonly file: string,
  ) {}

  /**
   * Starts tcpdump on `device` in `netns` with a pcap-filter expression; resolves once it
   * listens. `snapshotBytes` 0 keeps whole packets (the garbage flood's copies of real ones).
   */
  static async start(netns: Namespace, device: string, filter: string, dir: string, label: string, snapshotBytes = SNAPSHOT_BYTES): Promise<Capture> {
    const file = join(dir, `${label}.pcap`);
    // -Z root: Debian's tcpdump would otherwise drop to its own user and could not write into our private directory.
    const args = ['netns', 'exec', netns.name, TCPDUMP, '-i', device, '-n', '-s', String(snapshotBytes), NANO, '-Z', 'root', '-w', file, filter];
    const child = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    if (child.pid !== undefined) trackPid(child.pid);
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    let stderr = '';
    const listening = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tcpdump on ${device} did not start within ${START_DEADLINE_MS} ms: ${stderr}`)), START_DEADLINE_MS);
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        if (LISTENING.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`tcpdump on ${device} exited: ${stderr}`));
      });
    });
    const capture = new Capture(child, exited, file);
    try {
      await listening;
    } catch (error) {
      await capture.kill();
      throw error;
    }
    return capture;
  }

  /** Lets the last packets reach the file, stops tcpdump and returns the capture as text. */
  async stop(): Promise<string> {
    await sleep(DRAIN_MS);
    await this.kill();
    const { stdout } = await execFileAsync(TCPDUMP, ['-r', this.file, '-n', '-tt', NANO], { encoding: 'utf8', timeout: READ_DEADLINE_MS, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  }

  /** SIGINT makes tcpdump flush and close its file. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGINT');
    await this.exited;
    if (this.child.pid !== undefined) untrackPid(this.child.pid);
  }
}
