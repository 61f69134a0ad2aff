// The text format's byte writer: numbers as JavaScript prints them (the format reads them so),
// label sets encoded once and copied, each sample under the family declared last, and a buffer
// that grows from any size.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExpositionWriter, labelBytes } from '../../src/status/exposition.js';
import { FUZZ } from '../helpers/fuzz.js';

const COMMON = labelBytes({ fastd_instance: 'ffda' });
const header = (name: string): string => `# HELP ${name} help\n# TYPE ${name} gauge\n`;

/** The sample lines of what was written, without the families' headers. */
const samples = (text: string): string => text.replace(/^#.*\n/gm, '');

function written(value: number, buffer = Buffer.alloc(1)): string {
  const out = new ExpositionWriter(COMMON, buffer);
  out.family('fastd_up', 'gauge', 'help');
  out.sample(COMMON, value);
  return samples(out.finish('').toString());
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
    out.family('fastd_peer_up', 'gauge', 'help');
    const lines: string[] = [];
    for (let i = 0; i < 1000; i++) {
      out.sample(labelBytes({ public_key: String(i).repeat(64) }), i);
      lines.push(`fastd_peer_up{public_key="${String(i).repeat(64)}"} ${i}\n`);
    }
    expect(out.finish('# EOF\n').toString()).toBe(`${header('fastd_peer_up')}${lines.join('')}# EOF\n`);
  });

  it('writes each sample under the name of the family declared last', () => {
    const out = new ExpositionWriter(COMMON, Buffer.alloc(1));
    const table = Float64Array.of(7, 8);
    for (const name of ['fastd_peer_rx_bytes', 'fastd_peer_tx_bytes', 'fastd_peer_rx_bytes']) {
      out.family(name, 'gauge', 'help');
      out.sampleOf(COMMON, table, 1);
      out.sample(COMMON, 9);
    }
    expect(out.finish('').toString()).toBe(
      ['fastd_peer_rx_bytes', 'fastd_peer_tx_bytes', 'fastd_peer_rx_bytes'].map((name) => `${header(name)}${name}{fastd_instance="ffda"} 8\n${name}{fastd_instance="ffda"} 9\n`).join(''),
    );
  });

  it('encodes label values as UTF-8 with backslash, quote and newline escaped', () => {
    const out = new ExpositionWriter(COMMON, Buffer.alloc(8));
    out.family('fastd_peer_up', 'gauge', 'whether the peer is connected');
    out.sample(out.labels({ name: 'Gäste "\\ \n 🛰' }), 1);
    expect(out.finish('').toString()).toBe(
      '# HELP fastd_peer_up whether the peer is connected\n# TYPE fastd_peer_up gauge\nfastd_peer_up{name="Gäste \\"\\\\ \\n 🛰",fastd_instance="ffda"} 1\n',
    );
  });
});
