// Runs the built CLI (bin/fastd-ts → dist/) as a user would.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = `${ROOT}bin/fastd-ts`;

if (!existsSync(`${ROOT}dist/cli/main.js`)) {
  throw new Error('dist/ is missing: run `npm run build` (scripts/test.sh does) before the CLI tests');
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCommand(file: string, args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    // A program that exits without reading its input closes the pipe under us; that is
    // its business, not a test failure.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

export function runCli(args: string[], input?: string): Promise<RunResult> {
  return runCommand(CLI, args, input);
}

/** Runs fn over items with at most `limit` in flight: process spawning on a 2-core box. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
