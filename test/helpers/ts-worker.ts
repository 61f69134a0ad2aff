// Real worker_threads for tests that run from the TypeScript sources: Node 20 cannot load
// .ts files, so the worker's entry module and everything it imports relatively are
// transpiled (types stripped, nothing bundled) into a private folder under node_modules,
// where bare imports such as 'koffi' still resolve to the project's packages.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = join(ROOT, 'node_modules', '.cache', 'fastd-ts-test-workers', String(process.pid));
const RELATIVE_IMPORT = /\b(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

const done = new Set<string>();
process.on('exit', () => rmSync(OUT, { recursive: true, force: true }));

/** Transpiles `source` (a .ts file) and its relative imports; returns the .js path of `source`. */
function transpile(source: string): string {
  const target = join(OUT, relative(ROOT, source)).replace(/\.ts$/, '.js');
  if (done.has(source)) return target;
  done.add(source);
  const text = readFileSync(source, 'utf8');
  const js = ts.transpileModule(text, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    fileName: source,
  }).outputText;
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, js);
  for (const match of text.matchAll(RELATIVE_IMPORT)) {
    transpile(resolve(dirname(source), match[1].replace(/\.js$/, '.ts')));
  }
  return target;
}

/** Starts a worker thread running the TypeScript module at `entry` (a file URL or path). */
export function startTsWorker(entry: URL | string, options: WorkerOptions = {}): Worker {
  const path = entry instanceof URL ? fileURLToPath(entry) : resolve(entry);
  return new Worker(pathToFileURL(transpile(path)), options);
}

/** Resolves with the worker's first message, rejects on its error or an exit before it. */
export function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (message: T) => {
      cleanup();
      resolvePromise(message);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`worker exited with code ${code} before answering`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
