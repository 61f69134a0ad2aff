import { describe, expect, it } from 'vitest';
import {
  anonymousResidentBytes,
  BURST_HANDSHAKES,
  BURST_RSS_BYTES,
  LEVEL_RSS_BYTES,
  MemoryReleaser,
  QUIET_SLACK_BYTES,
  RELEASE_GROWTH_BYTES,
} from '../../../src/engine/daemon/memory-release.js';

const MiB = 1024 * 1024;

/**
 * A releaser over scripted readings; releases finish when `finish` is called. Unless `fresh`,
 * the release after start-up is done and not counted.
 */
function rig(first: number, fresh = false) {
  let anonymous = first;
  let bytes = 0;
  let handshakes = 0;
  let releases = 0;
  const pending: (() => void)[] = [];
  const releaser = new MemoryReleaser(
    (done) => {
      releases++;
      pending.push(done);
    },
    () => ({ bytes, handshakes }),
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
    set: (rss: number) => (anonymous = rss),
    /** One check with this much traffic since the last. */
    check: (data = 0, shakes = 0) => {
      bytes += data;
      handshakes += shakes;
      releaser.check();
    },
    releases: () => releases,
    finish: () => pending.shift()?.(),
  };
}

describe('MemoryReleaser', () => {
  it('releases once start-up has settled, however little it grew, and measures growth from there', () => {
    const r = rig(80 * MiB, true);
    // still rising: start-up under way
    r.set(81 * MiB);
    r.check();
    expect(r.releases()).toBe(0);
    r.check();
    expect(r.releases()).toBe(1);
    r.set(70 * MiB);
    r.finish();
    r.set(70 * MiB + RELEASE_GROWTH_BYTES - 1);
    r.check();
    r.check();
    expect(r.releases()).toBe(1);
  });

  it('waits while a connect storm goes on, even with the RSS level', () => {
    const r = rig(80 * MiB, true);
    r.check(0, 10 * BURST_HANDSHAKES);
    r.check(0, 10 * BURST_HANDSHAKES);
    r.check(0, BURST_HANDSHAKES);
    expect(r.releases()).toBe(0);
    r.check(0, BURST_HANDSHAKES - 1);
    expect(r.releases()).toBe(1);
  });

  it('never releases a quiet daemon whose RSS creeps, and a burst that left little costs nothing', () => {
    const r = rig(80 * MiB);
    for (let i = 1; i <= 40; i++) {
      r.set(80 * MiB + i * LEVEL_RSS_BYTES);
      r.check(1000);
    }
    expect(r.releases()).toBe(0);
    // data well above the quietest rate: a burst; over, with too little growth: nothing
    r.set(81 * MiB);
    r.releaser.check();
    r.check(10 * QUIET_SLACK_BYTES);
    r.check(1000);
    expect(r.releases()).toBe(0);
    // a later creep past the threshold, with no burst: nothing either
    for (let i = 1; i <= RELEASE_GROWTH_BYTES / LEVEL_RSS_BYTES; i++) {
      r.set(81 * MiB + i * LEVEL_RSS_BYTES);
      r.check(1000);
    }
    expect(r.releases()).toBe(0);
  });

  it('releases once a burst of data is over and the RSS stopped rising, once per burst', () => {
    const r = rig(85 * MiB);
    r.check(1000);
    r.set(85 * MiB + RELEASE_GROWTH_BYTES);
    r.check(100 * MiB);
    r.set(86 * MiB + RELEASE_GROWTH_BYTES);
    r.check(100 * MiB);
    // the flows ended, but the RSS still rose
    r.set(87 * MiB + RELEASE_GROWTH_BYTES);
    r.check(1000);
    expect(r.releases()).toBe(0);
    r.check(1000);
    expect(r.releases()).toBe(1);
    // a release under way is not started again
    r.check(1000);
    expect(r.releases()).toBe(1);
    r.set(80 * MiB);
    r.finish();
    // the same RSS after another burst: nothing to give back
    r.check(100 * MiB);
    r.check(1000);
    expect(r.releases()).toBe(1);
  });

  it('takes a steady stream of data as the quiet rate once it has lasted a minute', () => {
    const r = rig(85 * MiB);
    r.set(85 * MiB + RELEASE_GROWTH_BYTES);
    // a status document's jump in the RSS starts a burst, the stream keeps it going
    r.check(10 * MiB);
    for (let i = 0; i < 11; i++) r.check(10 * MiB);
    expect(r.releases()).toBe(0);
    r.check(10 * MiB);
    expect(r.releases()).toBe(1);
  });

  it('takes a jump of the RSS without traffic (a status document) as a burst', () => {
    const r = rig(80 * MiB);
    r.check();
    r.set(80 * MiB + BURST_RSS_BYTES + RELEASE_GROWTH_BYTES);
    r.check();
    expect(r.releases()).toBe(0);
    r.check();
    expect(r.releases()).toBe(1);
  });

  it('reads a plausible anonymous RSS of this process', () => {
    const bytes = anonymousResidentBytes();
    expect(bytes).toBeGreaterThan(MiB);
    expect(bytes).toBeLessThan(process.memoryUsage().rss);
  });
});
