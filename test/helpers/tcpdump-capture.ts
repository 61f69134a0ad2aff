// tcpdump on a device in a namespace, kept running across several tests, and readers of its
// lines: the TCP segments seen (destination port, sequence range, whether tcpdump found the
// TCP checksum correct) and the ICMP echo requests' lengths.
import { type ChildProcess, spawn } from 'node:child_process';
import { trackPid, untrackPid } from '../../src/testbed/cleanup.js';
import type { Namespace } from '../../src/testbed/namespaces.js';
import { until } from './wait.js';

export interface CapturedSegment {
  readonly destinationPort: number;
  /** Absolute sequence numbers: the first byte and one past the last. */
  readonly start: number;
  readonly end: number;
  readonly checksumCorrect: boolean;
}

const ATTACH_DEADLINE_MS = 10_000;
/** `-v` output: a segment's TCP line, e.g. "192.0.2.1.40000 > 192.0.2.2.9001: Flags [.], cksum 0x1c2d (correct), seq 5:10, ...". */
const SEGMENT_LINE = /\.(\d+): Flags \[[^\]]*\], cksum 0x[0-9a-f]+ \(([^)]*)\), seq (\d+):(\d+),/;
/** An echo request, e.g. "IP 192.0.2.1 > 192.0.2.2: ICMP echo request, id 7, seq 1, length 1387" (ICMP header and payload). */
const ECHO_REQUEST = /ICMP echo request, .*length (\d+)/;

export class TcpdumpCapture {
  private text = '';
  private errors = '';

  private constructor(private readonly tcpdump: ChildProcess) {
    tcpdump.stdout!.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
    tcpdump.stderr!.on('data', (chunk: Buffer) => (this.errors += chunk.toString()));
  }

  /** Starts tcpdump with `options` (e.g. `-v` and a filter) and waits until it says it is listening. */
  static async start(namespace: Namespace, device: string, options: readonly string[]): Promise<TcpdumpCapture> {
    const tcpdump = spawn('ip', ['netns', 'exec', namespace.name, 'tcpdump', '-i', device, '-n', '-l', ...options], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (tcpdump.pid !== undefined) trackPid(tcpdump.pid);
    const capture = new TcpdumpCapture(tcpdump);
    await until('tcpdump to listen', ATTACH_DEADLINE_MS, () => {
      if (tcpdump.exitCode !== null) throw new Error(`tcpdump exited: ${capture.errors}`);
      return capture.errors.includes('listening on') ? true : undefined;
    });
    return capture;
  }

  /** Each TCP segment seen so far; needs tcpdump's `-v -S`. */
  segments(): CapturedSegment[] {
    return this.matches(SEGMENT_LINE).map((match) => ({
      destinationPort: Number(match[1]),
      checksumCorrect: match[2] === 'correct',
      start: Number(match[3]),
      end: Number(match[4]),
    }));
  }

  /** The lengths of the ICMP echo requests seen so far. */
  echoRequestLengths(): number[] {
    return this.matches(ECHO_REQUEST).map((match) => Number(match[1]));
  }

  /** What tcpdump printed, for failure messages. */
  output(): string {
    return this.text;
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => (this.tcpdump.exitCode !== null ? resolve() : this.tcpdump.once('exit', () => resolve())));
    this.tcpdump.kill('SIGINT');
    await exited;
    if (this.tcpdump.pid !== undefined) untrackPid(this.tcpdump.pid);
  }

  private matches(line: RegExp): RegExpExecArray[] {
    return this.text.split('\n').flatMap((text) => {
      const match = line.exec(text);
      return match ? [match] : [];
    });
  }
}
