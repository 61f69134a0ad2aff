// Pings through the tunnel while something is done to it, as the chaos scenarios need them:
// a ping process left running (`ping -D`, every reply with its time), so a scenario can ask
// when the first reply after a moment came and, at the end, how many pings were lost and how
// many replies came twice (ping's DUP!).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { trackPid, untrackPid } from '../testbed/cleanup.js';
import type { Namespace } from '../testbed/namespaces.js';

export interface PingTally {
  readonly sent: number;
  /** Distinct pings answered. */
  readonly answered: number;
  /** Replies that came a second time (ping's DUP!). */
  readonly duplicates: number;
  readonly lost: number;
  /** Average round-trip time of the replies, ms (NaN without any). */
  readonly avgMs: number;
}

/** A ping's reply line with -D: "[1733500000.123456] 64 bytes from …: icmp_seq=5 ttl=64 time=0.512 ms (DUP!)". */
const REPLY = /^\[(\d+\.\d+)\].*icmp_seq=(\d+).*time=([\d.]+) ms( \(DUP!\))?/;
const SUMMARY = /(\d+) packets transmitted/;
/** After the last ping went out, the time its reply gets before the count ends. */
const LAST_REPLY_GRACE_MS = 1_000;

export class PingWatch {
  /** Epoch ms of each reply, in arrival order. */
  private readonly replies: number[] = [];
  private readonly answeredSeqs = new Set<number>();
  private readonly times: number[] = [];
  private duplicates = 0;
  private transmitted = 0;
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly child: ChildProcess,
    /** Started with a count: ping ends by itself. */
    private readonly counted: boolean,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const summary = SUMMARY.exec(line);
      if (summary) this.transmitted = Number(summary[1]);
      const reply = REPLY.exec(line);
      if (!reply) return;
      if (reply[4]) {
        this.duplicates++;
        return;
      }
      this.replies.push(Number(reply[1]) * 1000);
      this.answeredSeqs.add(Number(reply[2]));
      this.times.push(Number(reply[3]));
      for (const wake of this.waiters) wake();
    });
  }

  /** Starts pinging `target` from `from` every `intervalSeconds` (root may go below 0.2 s), until stop() or `count` pings. */
  static start(from: Namespace, target: string, intervalSeconds: number, count?: number): PingWatch {
    const limit = count === undefined ? [] : ['-c', String(count)];
    const child = spawn('ip', ['netns', 'exec', from.name, 'ping', '-n', '-D', '-i', String(intervalSeconds), '-W', '1', ...limit, target], { stdio: ['ignore', 'pipe', 'ignore'] });
    if (child.pid !== undefined) trackPid(child.pid);
    return new PingWatch(child, count !== undefined);
  }

  /** Epoch ms of the first reply that came at or after `sinceMs`; throws after `deadlineMs`. */
  async firstReplyAfter(sinceMs: number, deadlineMs: number): Promise<number> {
    const found = () => this.replies.find((at) => at >= sinceMs);
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const at = found();
      if (at !== undefined) return at;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ping answered within ${deadlineMs / 1000} s`);
      let wake = () => {};
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      this.waiters.add(wake);
      await Promise.race([woken, sleep(Math.min(left, 500))]);
      this.waiters.delete(wake);
    }
  }

  /** Pings unanswered so far that a later one overtook: lost, not still on their way. */
  lostSoFar(): number {
    let last = 0;
    for (const seq of this.answeredSeqs) last = Math.max(last, seq);
    return last - this.answeredSeqs.size;
  }

  /** Ends the pinging (or waits for its count to go out) and counts. */
  async stop(): Promise<PingTally> {
    const child = this.child;
    let interrupted = false;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      if (!this.counted) {
        await sleep(LAST_REPLY_GRACE_MS);
        interrupted = true;
        child.kill('SIGINT');
      }
      await exited;
    }
    if (child.pid !== undefined) untrackPid(child.pid);
    const sent = Math.max(this.transmitted, this.answeredSeqs.size);
    const answered = this.answeredSeqs.size;
    // A ping still on its way when ping was interrupted is not lost: forgive one unanswered at the end.
    const lastAnswered = this.lostSoFar() + answered;
    const lost = lastAnswered - answered + Math.max(0, sent - lastAnswered - (interrupted ? 1 : 0));
    const avgMs = this.times.length === 0 ? Number.NaN : this.times.reduce((sum, time) => sum + time, 0) / this.times.length;
    return { sent, answered, duplicates: this.duplicates, lost, avgMs };
  }
}
