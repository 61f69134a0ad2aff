// The scanner on its own: token kinds, values and the 1-based line:column fastd reports.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.ts';
import { Lexer, type Token } from '../../src/config/lexer.ts';

function scan(text: string | Uint8Array): Token[] {
  const lexer = new Lexer(typeof text === 'string' ? Buffer.from(text, 'utf8') : text, 't.conf');
  const tokens: Token[] = [];
  for (;;) {
    const token = lexer.next();
    tokens.push(token);
    if (token.kind === 'eof') return tokens;
  }
}

function scanError(text: string): string {
  try {
    scan(text);
  } catch (error) {
    if (error instanceof ConfigError) return `${error.what} ${error.line}:${error.column}`;
    throw error;
  }
  return 'no error';
}

const at = (token: Token) => `${token.location.line}:${token.location.column}`;

describe('scanner', () => {
  it('reads keywords, punctuation and their positions', () => {
    const tokens = scan('peer group "g" {\n\tpeer limit 5;\r\n}');
    expect(tokens.map((t) => t.kind)).toEqual([
      'keyword', 'keyword', 'string', 'punctuation', 'keyword', 'keyword', 'uint', 'punctuation', 'punctuation', 'eof',
    ]);
    expect(tokens.map(at)).toEqual(['1:1', '1:6', '1:12', '1:16', '2:2', '2:7', '2:13', '2:14', '3:1', '3:1']);
  });

  it('reads numbers the way strtoull with base 0 does', () => {
    const values = scan('10 0x1F 0X1f 017 0 18446744073709551615 99999999999999999999999')
      .filter((t) => t.kind === 'uint')
      .map((t) => (t.kind === 'uint' ? t.value : undefined));
    expect(values).toEqual([10n, 31n, 31n, 15n, 0n, 18446744073709551615n, 18446744073709551615n]);
  });

  it('refuses numbers strtoull would not consume completely', () => {
    expect(scanError('08')).toBe('syntax error 1:1');
    expect(scanError('0x')).toBe('syntax error 1:1');
    expect(scanError('  12ab')).toBe('syntax error 1:3');
  });

  it('reads IPv4 and IPv6 literals, with interface scopes', () => {
    const [v4, v6, scoped] = scan('192.0.2.1 [2001:DB8::1] [fe80::1%e\\]th0]');
    expect(v4).toMatchObject({ kind: 'ipv4', address: '192.0.2.1' });
    expect(v6.kind).toBe('ipv6');
    expect(scoped).toMatchObject({ kind: 'ipv6-scoped', ifname: 'e]th0' });
  });

  it('decodes string escapes and line continuations', () => {
    const [token] = scan('"a\\"b\\\\c\\\nd\\x\ne"');
    expect(token).toMatchObject({ kind: 'string', value: 'a"b\\cdx\ne' });
  });

  it('reads plain strings in place, counting columns in bytes, from anywhere in a buffer', () => {
    const tokens = scan(Buffer.from('## key "Grüße" ;\nmtu "" 5', 'utf8').subarray(3));
    expect(tokens.map((t) => (t.kind === 'string' ? t.value : t.kind))).toEqual(['keyword', 'Grüße', 'punctuation', 'keyword', '', 'uint', 'eof']);
    expect(tokens.map(at)).toEqual(['1:1', '1:5', '1:15', '2:1', '2:5', '2:8', '2:8']);
  });

  it('ends a string value at a NUL byte, as fastd keeps C strings', () => {
    const [token] = scan(Uint8Array.from([0x22, 0x61, 0x00, 0x62, 0x22]));
    expect(token).toMatchObject({ kind: 'string', value: 'a' });
  });

  it('skips all three comment styles, even without surrounding blanks', () => {
    const tokens = scan('mtu/*x*/1# c\n// d\n/* multi\nline */;');
    expect(tokens.map((t) => t.kind)).toEqual(['keyword', 'uint', 'punctuation', 'eof']);
    expect(at(tokens[2])).toBe('4:8');
  });

  it('does not let the star of /* close the comment', () => {
    expect(scanError('/*/')).toBe('unterminated block comment 1:1');
  });

  it('needs a separator between two words or literals', () => {
    expect(scanError('secret"x"')).toBe('syntax error 1:7');
    expect(scanError('"a""b"')).toBe('syntax error 1:4');
    expect(scanError('1.2.3.4x')).toBe('syntax error 1:8');
    expect(scan('"a";"b"{1}').length).toBe(7);
  });

  it('reports unknown characters and words where they start', () => {
    expect(scanError('mtu 1;\n  Mtu')).toBe('syntax error 2:3');
    expect(scanError('bogus')).toBe('syntax error 1:1');
    expect(scanError('a/b')).toBe('syntax error 1:1');
    expect(scanError('x /')).toBe('syntax error 1:1');
    expect(scanError('mtu /')).toBe('syntax error 1:5');
    expect(scanError('\u00e4')).toBe('syntax error 1:1');
  });

  it('reports unterminated strings at their opening quote', () => {
    expect(scanError('on up "abc\ndef')).toBe('unterminated string 1:7');
    expect(scanError('"abc\\')).toBe('unterminated string 1:1');
  });

  it('refuses malformed addresses at the literal', () => {
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1..2.3']) expect(scanError(bad)).toBe('syntax error 1:1');
    for (const bad of ['[]', '[::1', '[1:::2]', '[12345::]', '[1:2:3:4:5:6:7:8:9]', '[1::2:3:4:5:6:7:8]', '[::1%eth0123456789012]']) {
      expect(scanError(bad)).toBe('syntax error 1:1');
    }
  });

  it('places the end of the input where fastd does: at the last byte it looked at', () => {
    expect(at(scan('mtu 1400').at(-1) as Token)).toBe('1:5');
    expect(at(scan('mtu 1400  ').at(-1) as Token)).toBe('1:10');
    expect(at(scan('mtu 1400 # c').at(-1) as Token)).toBe('1:10');
    expect(at(scan('mtu\n\n').at(-1) as Token)).toBe('2:1');
    expect(at(scan('').at(-1) as Token)).toBe('1:0');
  });
});
