// Loads the WebAssembly kernels that scripts/build-wasm.mjs compiles from src/**/*.wat into
// build/wasm/. A kernel imports the packet memory ("env" "memory", declared shared so that
// worker threads can share it), so it is instantiated once per memory, per thread; the
// compiled module is shared by all of them. A kernel with a memory of its own (the key check's)
// is instantiated once per thread, when first used.
import { readFileSync } from 'node:fs';

// src/crypto/ and dist/crypto/ are both two levels below the project root.
const WASM_DIR = new URL('../../build/wasm/', import.meta.url);

function compile(name: string): WebAssembly.Module {
  const url = new URL(`${name}.wasm`, WASM_DIR);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(url);
  } catch (error) {
    throw new Error(`WebAssembly kernel ${url.pathname} is missing: run "npm run build" first`, { cause: error });
  }
  return new WebAssembly.Module(bytes);
}

/** Returns a function giving the exports of kernel `name` instantiated on a memory. */
export function kernelLoader<Exports extends object>(name: string): (memory: WebAssembly.Memory) => Exports {
  let module: WebAssembly.Module | undefined;
  const instances = new WeakMap<WebAssembly.Memory, Exports>();
  return (memory) => {
    let exports = instances.get(memory);
    if (!exports) {
      module ??= compile(name);
      if (!(memory.buffer instanceof SharedArrayBuffer))
        throw new TypeError(`WebAssembly kernel ${name} needs a shared WebAssembly.Memory`);
      exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Exports;
      instances.set(memory, exports);
    }
    return exports;
  };
}

/** Returns a function giving the exports of kernel `name`, which declares its own memory. */
export function ownMemoryKernel<Exports extends object>(name: string): () => Exports {
  let exports: Exports | undefined;
  return () => (exports ??= new WebAssembly.Instance(compile(name)).exports as unknown as Exports);
}
