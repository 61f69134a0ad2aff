// The impairment relay's decisions (src/chaos/impairment.ts), without sockets: seeded and
// repeatable, at the rates asked for, and the reorder buffer and delay queue letting
// datagrams go in the order and at the time a bad network would.
import { describe, expect, it } from 'vitest';
import { ImpairmentLine, type ImpairmentSettings, NO_IMPAIRMENT, type Random, REORDER_TIMEOUT_MS, SeededRandom, Verdict } from '../../src/chaos/impairment.ts';

const SLOTS = 1024;

/** Feeds `count` datagrams (slot = index mod SLOTS) at time `now` and drains what is due then. */
function run(settings: ImpairmentSettings, count: number, now = 0): { verdicts: number[]; out: number[] } {
  const line = new ImpairmentLine(settings, SLOTS);
  const verdicts: number[] = [];
  const out: number[] = [];
  const due = new Uint32Array(2 * SLOTS);
  for (let i = 0; i < count; i++) {
    verdicts.push(line.admit(i % SLOTS, now));
    const n = line.due(now, due);
    out.push(...due.subarray(0, n));
  }
  const n = line.due(now + REORDER_TIMEOUT_MS, due);
  out.push(...due.subarray(0, n));
  return { verdicts, out };
}

describe('SeededRandom', () => {
  it('repeats its sequence for a seed and differs for another', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, ((random) => () => random.next())(new SeededRandom(seed)));
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    for (const value of draw(9)) expect(value >= 0 && value < 1).toBe(true);
  });
});

describe('ImpairmentLine', () => {
  const issue15: ImpairmentSettings = { loss: 0.05, duplicate: 0.02, reorder: 0.02, reorderGap: 3, delayMs: 0, seed: 42 };

  it('passes everything once and in order without impairment', () => {
    const { verdicts, out } = run(NO_IMPAIRMENT, 500);
    expect(verdicts.every((v) => v === Verdict.PASSED)).toBe(true);
    expect(out).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it('makes the same decisions for the same seed, others for another seed', () => {
    expect(run(issue15, 2000).verdicts).toEqual(run(issue15, 2000).verdicts);
    expect(run(issue15, 2000).out).toEqual(run(issue15, 2000).out);
    expect(run({ ...issue15, seed: 43 }, 2000).verdicts).not.toEqual(run(issue15, 2000).verdicts);
  });

  it('loses, duplicates and reorders at the rates asked for', () => {
    const line = new ImpairmentLine(issue15, SLOTS);
    const due = new Uint32Array(2 * SLOTS);
    const count = 100_000;
    for (let i = 0; i < count; i++) {
      line.admit(i % SLOTS, i);
      line.due(i, due);
    }
    const { lost, duplicated, reordered, received } = line.counters;
    expect(received).toBe(count);
    expect(lost / count).toBeCloseTo(0.05, 2);
    expect(duplicated / (count - lost)).toBeCloseTo(0.02, 2);
    expect(reordered / (count - lost)).toBeCloseTo(0.02, 2);
  });

  it('sends every passed datagram as often as its verdict says, lost ones never', () => {
    const { verdicts, out } = run(issue15, SLOTS);
    const times = new Map<number, number>();
    for (const slot of out) times.set(slot, (times.get(slot) ?? 0) + 1);
    verdicts.forEach((verdict, slot) => expect(times.get(slot) ?? 0, `slot ${slot}`).toBe(verdict));
  });

  /** Draws for datagrams, three each (loss, reorder, duplicate): 'pass', 'hold', 'twice' or 'lose'. */
  function scripted(...fates: ('pass' | 'hold' | 'twice' | 'lose')[]): Random {
    const draws = fates.flatMap((fate) => [fate === 'lose' ? 0 : 1, fate === 'hold' ? 0 : 1, fate === 'twice' ? 0 : 1]);
    return { next: () => draws.shift() ?? 1 };
  }
  const half: ImpairmentSettings = { loss: 0.5, duplicate: 0.5, reorder: 0.5, reorderGap: 3, delayMs: 0, seed: 1 };

  it('holds a reordered datagram behind the next reorderGap ones', () => {
    const line = new ImpairmentLine(half, SLOTS, scripted('hold', 'pass', 'lose', 'twice', 'pass', 'pass'));
    const due = new Uint32Array(16);
    const out: number[] = [];
    const verdicts = [0, 1, 2, 3, 4, 5].map((slot) => {
      const verdict = line.admit(slot, 0);
      out.push(...due.subarray(0, line.due(0, due)));
      return verdict;
    });
    expect(verdicts).toEqual([Verdict.PASSED, Verdict.PASSED, Verdict.LOST, Verdict.DUPLICATED, Verdict.PASSED, Verdict.PASSED]);
    // a lost datagram does not overtake; a duplicated one overtakes once
    expect(out).toEqual([1, 3, 3, 4, 0, 5]);
    expect(line.counters).toEqual({ received: 6, lost: 1, duplicated: 1, reordered: 1 });
  });

  it('lets a held datagram go after REORDER_TIMEOUT_MS when no later ones come (a lone ping)', () => {
    const line = new ImpairmentLine(half, SLOTS, scripted('hold'));
    const due = new Uint32Array(4);
    line.admit(7, 100);
    expect(line.due(100 + REORDER_TIMEOUT_MS - 1, due)).toBe(0);
    expect(line.nextDeadline()).toBe(100 + REORDER_TIMEOUT_MS);
    expect(line.due(100 + REORDER_TIMEOUT_MS, due)).toBe(1);
    expect(due[0]).toBe(7);
    expect(line.pending).toBe(0);
  });

  it('delays every datagram by delayMs and keeps their order', () => {
    const line = new ImpairmentLine({ ...NO_IMPAIRMENT, delayMs: 5 }, SLOTS);
    const due = new Uint32Array(8);
    line.admit(0, 0);
    line.admit(1, 2);
    expect(line.nextDeadline()).toBe(5);
    expect(line.due(4.9, due)).toBe(0);
    expect(line.due(5, due)).toBe(1);
    expect(due[0]).toBe(0);
    expect(line.due(7, due)).toBe(1);
    expect(due[0]).toBe(1);
    expect(line.nextDeadline()).toBe(Infinity);
  });
});
