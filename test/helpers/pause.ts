/** Sleeps synchronously (the code under test is synchronous and non-blocking). */
export function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
