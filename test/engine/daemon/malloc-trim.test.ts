import { describe, expect, it } from 'vitest';
import { anonymousResidentBytes, MallocTrimmer, TRIM_GROWTH_BYTES } from '../../../src/engine/daemon/malloc-trim.js';

const MiB = 1024 * 1024;

/** A trimmer over scripted readings; trims finish when `finish` is called. */
function rig(first: number) {
  let anonymous = first;
  let trims = 0;
  const pending: (() => void)[] = [];
  const trimmer = new MallocTrimmer(
    () => anonymous,
    (done) => {
      trims++;
      pending.push(done);
    },
  );
  trimmer.start();
  trimmer.stop();
  return {
    trimmer,
    set: (bytes: number) => (anonymous = bytes),
    trims: () => trims,
    finish: () => pending.shift()?.(),
  };
}

describe('MallocTrimmer', () => {
  it('does not trim a steady daemon', () => {
    const r = rig(80 * MiB);
    for (let i = 0; i < 10; i++) {
      r.set(80 * MiB + (i % 2) * MiB);
      r.trimmer.check();
    }
    expect(r.trims()).toBe(0);
  });

  it('trims once the RSS grew by the threshold over its lowest reading and stopped rising, once per growth', () => {
    const r = rig(90 * MiB);
    r.set(85 * MiB);
    r.trimmer.check();
    // still rising (a connect storm under way): not yet
    r.set(85 * MiB + TRIM_GROWTH_BYTES);
    r.trimmer.check();
    r.set(86 * MiB + TRIM_GROWTH_BYTES);
    r.trimmer.check();
    expect(r.trims()).toBe(0);
    // level: now
    r.trimmer.check();
    expect(r.trims()).toBe(1);
    // a trim under way is not started again
    r.trimmer.check();
    expect(r.trims()).toBe(1);
    // it freed little: the reading after it is the new floor
    r.set(88 * MiB);
    r.finish();
    r.set(88 * MiB + TRIM_GROWTH_BYTES - 1);
    r.trimmer.check();
    r.trimmer.check();
    expect(r.trims()).toBe(1);
    r.set(88 * MiB + TRIM_GROWTH_BYTES);
    r.trimmer.check();
    r.trimmer.check();
    expect(r.trims()).toBe(2);
  });

  it('reads a plausible anonymous RSS of this process', () => {
    const bytes = anonymousResidentBytes();
    expect(bytes).toBeGreaterThan(MiB);
    expect(bytes).toBeLessThan(process.memoryUsage().rss);
  });
});
