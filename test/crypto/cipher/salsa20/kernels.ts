// Shared by the salsa20, uhash and umac tests: builds the WebAssembly kernels from src/**/*.wat
// (once per test process).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
let built = false;

export function buildKernels(): void {
  if (built) return;
  execFileSync(process.execPath, ['scripts/build-wasm.mjs'], { cwd: root, stdio: 'inherit' });
  built = true;
}
