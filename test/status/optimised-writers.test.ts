// The metrics' and the status document's writers stay optimised across a full GC between two
// renders. V8's optimised code holds the maps of the objects it saw weakly; with no object of a
// map left (a writer and a source made for each render, dropped after it), a full GC drops the
// map and deoptimises the code, and the next scrape or fetch, often a minute later, ran the
// writer in the interpreter. Asked of V8 itself (its natives syntax), not timed.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import { connectedPeers, peerStatistics, statusSource } from '../helpers/status-source.js';

setFlagsFromString('--allow-natives-syntax');
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
// natives syntax is read when a function is compiled: these are compiled after the flag is set
const status = new Function('f', 'return %GetOptimizationStatus(f)') as (f: unknown) => number;
const prepare = new Function('f', '%PrepareFunctionForOptimization(f)') as (f: unknown) => void;
const optimizeNextCall = new Function('f', '%OptimizeFunctionOnNextCall(f)') as (f: unknown) => void;
/** Waits for V8's background compiles and installs their code. */
const finishBackgroundCompiles = new Function('%FinalizeOptimization()') as () => void;
/** V8's OptimizationStatus bit for a function that runs optimised code. */
const OPTIMIZED = 1 << 4;

const PEERS = 10;
const peerStats = peerStatistics(PEERS);
/** A source as the daemon makes one for each render: new objects of one shape, dropped after it. */
const source = () => statusSource(connectedPeers(PEERS, undefined, ['02:00:00:00:00:01']), 'tap', peerStats);

/** Full GCs, with a turn of the event loop between them (weak references are cleared over more than one). */
async function fullGcs(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** `run` optimised for `f`, then whether `f` still runs optimised code after full GCs. */
async function optimisedAfterGc(f: unknown, run: () => Promise<unknown>): Promise<[boolean, boolean]> {
  prepare(f);
  await run();
  await run();
  // A function warm enough to be queued for a background compile ignores the request below
  // until that compile is done, which on a busy machine is after the next run.
  finishBackgroundCompiles();
  optimizeNextCall(f);
  await run();
  const before = (status(f) & OPTIMIZED) !== 0;
  await fullGcs();
  return [before, (status(f) & OPTIMIZED) !== 0];
}

// The unit lane's files share their worker's modules: fresh ones here, whose code has seen
// only this file's sources (as a daemon's sees one kind), not other files' shapes that are gone.
describe('the writers, across a full GC between two renders', () => {
  it("keep the metrics writer's optimised code", async () => {
    vi.resetModules();
    const [{ DaemonMetrics }, { ExpositionWriter }] = await Promise.all([import('../../src/status/metrics.js'), import('../../src/status/exposition.js')]);
    const metrics = new DaemonMetrics('ffda', false);
    const render = () => metrics.render(source(), async (text) => text.length);
    expect(await optimisedAfterGc(ExpositionWriter.prototype.sampleOf, render)).toEqual([true, true]);
  });

  it("keep the status document writer's optimised code", async () => {
    vi.resetModules();
    const { writeStatus } = await import('../../src/status/status-writer.js');
    expect(await optimisedAfterGc(writeStatus, async () => writeStatus(source()))).toEqual([true, true]);
  });
});
