// The pieces of the real-world handshake test, in a private network namespace with only
// loopback (src/testbed/namespaces.ts): Debian's fastd running in it, a UDP relay child in
// it, and the TAP counters.
// Deadlines below only turn a hang into a failure; no test asserts on speed.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DEBIAN_FASTD } from '../../helpers/prereq.js';
import { until } from '../../helpers/wait.js';

const RELAY_SCRIPT = fileURLToPath(new URL('./udp-relay.mjs', import.meta.url));

function spawnIn(namespace: string, command: string, args: string[]): ChildProcess {
  return spawn('ip', ['netns', 'exec', namespace, command, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Ends a child we started, by its own pid, and waits for it. */
export async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export interface Datagram {
  readonly port: number;
  readonly bytes: Uint8Array;
}

/** A UDP socket on 127.0.0.1:port inside the namespace, seen as a queue of datagrams. */
export class Relay {
  private readonly queue: Datagram[] = [];
  private ready = false;

  private constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as { ready?: number; port: number; hex: string };
      if (message.ready) this.ready = true;
      else this.queue.push({ port: message.port, bytes: new Uint8Array(Buffer.from(message.hex, 'hex')) });
    });
  }

  static async start(namespace: string, port: number): Promise<Relay> {
    const relay = new Relay(spawnIn(namespace, process.execPath, [RELAY_SCRIPT, String(port)]));
    await until('the UDP relay', 20_000, () => (relay.ready ? true : undefined));
    return relay;
  }

  send(port: number, bytes: Uint8Array): void {
    this.child.stdin!.write(`${JSON.stringify({ port, hex: Buffer.from(bytes).toString('hex') })}\n`);
  }

  /** The next datagram that `accept` takes; others received before it are dropped. */
  next(what: string, accept: (datagram: Datagram) => boolean, deadlineMs = 30_000): Promise<Datagram> {
    return until(what, deadlineMs, () => {
      while (this.queue.length > 0) {
        const datagram = this.queue.shift()!;
        if (accept(datagram)) return datagram;
      }
      return undefined;
    });
  }
}

/** Debian's fastd in the namespace, its log collected. */
export class Fastd {
  log = '';

  private constructor(readonly child: ChildProcess) {
    const collect = (chunk: Buffer) => {
      this.log += chunk.toString();
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
  }

  static start(namespace: string, dir: string, name: string, config: string): Fastd {
    const path = join(dir, `${name}.conf`);
    writeFileSync(path, config);
    return new Fastd(spawnIn(namespace, DEBIAN_FASTD, ['--config', path]));
  }

  waitForLog(pattern: RegExp, deadlineMs = 30_000): Promise<RegExpMatchArray> {
    return until(`fastd to log ${pattern}`, deadlineMs, () => {
      if (this.child.exitCode !== null) throw new Error(`fastd exited with ${this.child.exitCode}:\n${this.log}`);
      return this.log.match(pattern) ?? undefined;
    });
  }
}

export function rxPackets(namespace: string, iface: string): number {
  const text = execFileSync('ip', ['netns', 'exec', namespace, 'cat', `/sys/class/net/${iface}/statistics/rx_packets`]);
  return Number(text.toString().trim());
}

export async function waitForRxPackets(namespace: string, iface: string, atLeast: number): Promise<number> {
  return until(`${iface} rx_packets >= ${atLeast}`, 20_000, () => {
    const count = rxPackets(namespace, iface);
    return count >= atLeast ? count : undefined;
  });
}
