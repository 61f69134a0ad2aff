// Private network namespaces for the TUN/TAP tests. The test process itself moves its
// thread into the namespace with setns(2), so sockets and TUN/TAP devices it creates live
// there; it moves back and deletes the namespace afterwards.
import { execFileSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import koffi from 'koffi';

const CLONE_NEWNET = 0x40000000;
const setns = koffi.load('libc.so.6').func('int setns(int fd, int nstype)') as (fd: number, type: number) => number;

export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
}

export class TestNamespace {
  private readonly home: number;

  constructor(readonly name: string) {
    ip('netns', 'add', name);
    this.home = openSync('/proc/thread-self/ns/net', 'r');
  }

  /** Runs `fn` with this thread inside the namespace. */
  inside<T>(fn: () => T): T {
    const target = openSync(`/run/netns/${this.name}`, 'r');
    try {
      if (setns(target, CLONE_NEWNET) !== 0) throw new Error(`setns ${this.name}: errno ${koffi.errno()}`);
    } finally {
      closeSync(target);
    }
    try {
      return fn();
    } finally {
      if (setns(this.home, CLONE_NEWNET) !== 0) throw new Error(`setns back home: errno ${koffi.errno()}`);
    }
  }

  ip(...args: string[]): string {
    return ip('-n', this.name, ...args);
  }

  delete(): void {
    closeSync(this.home);
    ip('netns', 'del', this.name);
  }
}

/** Sleeps synchronously (the code under test is synchronous and non-blocking). */
export function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
