// Polling with a deadline. Deadlines here only turn a hang into a clear failure; no test
// asserts on how fast something happened.
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

const POLL_MS = 50;
const SETTLE_POLL_MS = 20;

/** Calls `probe` until it returns a value (not undefined) or `deadlineMs` has passed. */
export async function until<T>(what: string, deadlineMs: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up after ${deadlineMs} ms waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

/**
 * Polls `check` until it holds or `ms` have passed, without failing itself: the assertions
 * after it say what did not happen.
 */
export async function settle(check: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !check() && Date.now() < end; ) await sleep(SETTLE_POLL_MS);
}
