// Shared by the salsa20, uhash and umac tests: builds the WebAssembly kernels from src/**/*.wat
// (once per test process) and makes the shared packet memories the kernels import.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
let built = false;

export function buildKernels(): void {
  if (built) return;
  execFileSync(process.execPath, ['scripts/build-wasm.mjs'], { cwd: root, stdio: 'inherit' });
  built = true;
}

/** A shared memory like the packet memory's, `pages` of 64 KiB. */
export function sharedMemory(pages = 4): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: pages, maximum: 1024, shared: true });
}

export function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}
