import { describe, expect, it } from 'vitest';
import { anonymousResidentBytes, MemoryReleaser, RELEASE_GROWTH_BYTES } from '../../../src/engine/daemon/memory-release.js';

const MiB = 1024 * 1024;

/**
 * A releaser over scripted readings; releases finish when `finish` is called. Unless `fresh`,
 * the release after start-up is done and not counted.
 */
function rig(first: number, fresh = false) {
  let anonymous = first;
  let releases = 0;
  const pending: (() => void)[] = [];
  const releaser = new MemoryReleaser(
    (done) => {
      releases++;
      pending.push(done);
    },
    () => anonymous,
  );
  releaser.start();
  releaser.stop();
  if (!fresh) {
    releaser.check();
    pending.shift()?.();
    releases = 0;
  }
  return {
    releaser,
    set: (bytes: number) => (anonymous = bytes),
    releases: () => releases,
    finish: () => pending.shift()?.(),
  };
}

describe('MemoryReleaser', () => {
  it('releases once start-up has settled, however little it grew, and measures growth from there', () => {
    const r = rig(80 * MiB, true);
    // still rising: start-up (or a connect storm right after it) under way
    r.set(81 * MiB);
    r.releaser.check();
    expect(r.releases()).toBe(0);
    r.releaser.check();
    expect(r.releases()).toBe(1);
    r.set(70 * MiB);
    r.finish();
    r.set(70 * MiB + RELEASE_GROWTH_BYTES - 1);
    r.releaser.check();
    r.releaser.check();
    expect(r.releases()).toBe(1);
  });

  it('does not release in a steady daemon', () => {
    const r = rig(80 * MiB);
    for (let i = 0; i < 10; i++) {
      r.set(80 * MiB + (i % 2) * MiB);
      r.releaser.check();
    }
    expect(r.releases()).toBe(0);
  });

  it('releases once the RSS grew by the threshold over its lowest reading and stopped rising, once per growth', () => {
    const r = rig(90 * MiB);
    r.set(85 * MiB);
    r.releaser.check();
    // still rising (a connect storm under way): not yet
    r.set(85 * MiB + RELEASE_GROWTH_BYTES);
    r.releaser.check();
    r.set(86 * MiB + RELEASE_GROWTH_BYTES);
    r.releaser.check();
    expect(r.releases()).toBe(0);
    // level: now
    r.releaser.check();
    expect(r.releases()).toBe(1);
    // a release under way is not started again
    r.releaser.check();
    expect(r.releases()).toBe(1);
    // it freed little: the reading after it is the new floor
    r.set(88 * MiB);
    r.finish();
    r.set(88 * MiB + RELEASE_GROWTH_BYTES - 1);
    r.releaser.check();
    r.releaser.check();
    expect(r.releases()).toBe(1);
    r.set(88 * MiB + RELEASE_GROWTH_BYTES);
    r.releaser.check();
    r.releaser.check();
    expect(r.releases()).toBe(2);
  });

  it('reads a plausible anonymous RSS of this process', () => {
    const bytes = anonymousResidentBytes();
    expect(bytes).toBeGreaterThan(MiB);
    expect(bytes).toBeLessThan(process.memoryUsage().rss);
  });
});
