// Compiles every WebAssembly text source under src/ (src/**/*.wat) to build/wasm/<name>.wasm.
// The kernels' source lives in the repository; this is the only step that turns it into
// binaries, and it runs as part of `npm run build`.
import { readdirSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import initWabt from 'wabt';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'build', 'wasm');

function* watFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* watFiles(path);
    else if (entry.name.endsWith('.wat')) yield path;
  }
}

// threads: kernels import the packet memory as shared, so worker threads can share it.
const features = { simd: true, bulk_memory: true, threads: true };
const wabt = await initWabt();
mkdirSync(outDir, { recursive: true });
for (const path of watFiles(join(root, 'src'))) {
  const module = wabt.parseWat(path, readFileSync(path, 'utf8'), features);
  module.validate(features);
  const { buffer } = module.toBinary({});
  writeFileSync(join(outDir, basename(path, '.wat') + '.wasm'), buffer);
  module.destroy();
}
