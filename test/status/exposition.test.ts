// The text format's byte writer: numbers as JavaScript prints them (the format reads them so),
// label sets encoded once and copied, and a buffer that grows from any size.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExpositionWriter, labelBytes } from '../../src/status/exposition.js';
import { FUZZ } from '../helpers/fuzz.js';

const COMMON = labelBytes({ fastd_instance: 'ffda' });

function written(value: number, buffer = Buffer.alloc(1)): string {
  const out = new ExpositionWriter(COMMON, buffer);
  out.sample('fastd_up', COMMON, value);
  return out.finish('').toString();
}

describe('ExpositionWriter', () => {
  // 9,007,199,254,740,959 was a finding: its quotient by 10 rounded up, and a digit came out as ':'
  it('writes a value as String() does, NaN for what is not finite', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.maxSafeNat(), fc.integer(), fc.constantFrom(0, -0, 999_999_999, 1e9, 2 ** 31, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 1e21, 9.5, 9_007_199_254_740_959)), (value) => {
        expect(written(value)).toBe(`fastd_up{fastd_instance="ffda"} ${Number.isFinite(value) ? String(value) : 'NaN'}\n`);
      }),
      FUZZ,
    );
  });

  it('grows its buffer as lines come, keeping what was written', () => {
    const out = new ExpositionWriter(COMMON, Buffer.alloc(1));
    const lines: string[] = [];
    for (let i = 0; i < 1000; i++) {
      out.sample('fastd_peer_up', labelBytes({ public_key: String(i).repeat(64) }), i);
      lines.push(`fastd_peer_up{public_key="${String(i).repeat(64)}"} ${i}\n`);
    }
    expect(out.finish('# EOF\n').toString()).toBe(`${lines.join('')}# EOF\n`);
  });

  it('encodes label values as UTF-8 with backslash, quote and newline escaped', () => {
    const out = new ExpositionWriter(COMMON, Buffer.alloc(8));
    out.family('fastd_peer_up', 'gauge', 'whether the peer is connected');
    out.sample('fastd_peer_up', out.labels({ name: 'Gäste "\\ \n 🛰' }), 1);
    expect(out.finish('').toString()).toBe(
      '# HELP fastd_peer_up whether the peer is connected\n# TYPE fastd_peer_up gauge\nfastd_peer_up{name="Gäste \\"\\\\ \\n 🛰",fastd_instance="ffda"} 1\n',
    );
  });
});
