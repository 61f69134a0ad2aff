// The fastd.conf scanner (fastd src/lex.c): keywords, "strings" with backslash escapes,
// numbers in C's strtoull base-0 notation (decimal, 0x hex, 0 octal), IPv4 and [IPv6]
// literals, `# …`, `// …` and `/* … */` comments. Like fastd it requires a separator
// between two words/literals ("a""b" is an error) and reports a token at its first byte.
import { IFNAMSIZ } from '../io/linux-abi.js';
import { parseIPv4, parseIPv6 } from './addresses.js';
import { ConfigError, type SourceLocation } from './errors.js';

const KEYWORDS = [
  'addresses', 'any', 'as', 'async', 'auto', 'backend', 'bind', 'capabilities', 'cipher', 'connect', 'debug',
  'debug2', 'default', 'disestablish', 'down', 'drop', 'early', 'error', 'establish', 'fatal', 'float',
  'force', 'forward', 'from', 'group', 'handshakes', 'hide', 'include', 'info', 'interface', 'io', 'ip', 'ipv4',
  'ipv6', 'key', 'l2tp', 'level', 'limit', 'listen', 'log', 'mac', 'mark', 'memory', 'method', 'metrics', 'mode', 'mtu', 'multitap',
  'no', 'offload', 'on', 'packet', 'peer', 'peers', 'persist', 'pmtu', 'port', 'post-down', 'pre-up',
  'protocol', 'remote', 'secret', 'secure', 'socket', 'status', 'stderr', 'sync', 'syslog', 'tap', 'to',
  'tun', 'up', 'use', 'user', 'verbose', 'verify', 'warn', 'workers', 'yes',
] as const;
export type Keyword = (typeof KEYWORDS)[number];
const KEYWORD_SET: ReadonlySet<string> = new Set(KEYWORDS);

export type Punctuation = ';' | ':' | '{' | '}';

export type Token = { readonly location: SourceLocation } & (
  | { readonly kind: 'keyword'; readonly keyword: Keyword }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'uint'; readonly value: bigint }
  | { readonly kind: 'ipv4'; readonly address: string }
  | { readonly kind: 'ipv6'; readonly bytes: Uint8Array }
  | { readonly kind: 'ipv6-scoped'; readonly bytes: Uint8Array; readonly ifname: string }
  | { readonly kind: 'punctuation'; readonly char: Punctuation }
  | { readonly kind: 'eof' }
);

/** The longest interface name a scoped IPv6 literal may carry (IFNAMSIZ less the NUL). */
const MAX_SCOPE_NAME = IFNAMSIZ - 1;
const UINT64_MAX = (1n << 64n) - 1n;

const CHAR = {
  newline: 0x0a,
  quote: 0x22,
  hash: 0x23,
  percent: 0x25,
  star: 0x2a,
  dot: 0x2e,
  slash: 0x2f,
  backslash: 0x5c,
  openBracket: 0x5b,
  closeBracket: 0x5d,
} as const;
const WHITESPACE = new Set([0x20, 0x0a, 0x09, 0x0d]);
const PUNCTUATION = new Map<number, Punctuation>([
  [0x3b, ';'],
  [0x3a, ':'],
  [0x7b, '{'],
  [0x7d, '}'],
]);

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isLower = (c: number) => c >= 0x61 && c <= 0x7a;
const isLetter = (c: number) => isLower(c) || (c >= 0x41 && c <= 0x5a);
const isHexDigit = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

/** C strtoull(text, &end, 0) requiring the whole text to be consumed; clamps like strtoull on overflow. */
function parseCNumber(text: string): bigint | undefined {
  let value: bigint;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) value = BigInt(text);
  else if (/^0[0-7]*$/.test(text)) value = BigInt(`0o${text}`);
  else if (/^[1-9][0-9]*$/.test(text)) value = BigInt(text);
  else return undefined;
  return value > UINT64_MAX ? UINT64_MAX : value;
}

/** Text of a C string: fastd keeps strings NUL-terminated, so a NUL byte ends the value. */
function cString(bytes: number[]): string {
  const nul = bytes.indexOf(0);
  return Buffer.from(nul < 0 ? bytes : bytes.slice(0, nul)).toString('utf8');
}

export class Lexer {
  private pos = 0;
  private line = 1;
  /** Column of the last byte consumed on the current line. */
  private column = 0;
  /** Where the last token, whitespace byte or comment began: fastd reports end of file there. */
  private itemLine = 1;
  private itemColumn = 0;
  private needSpace = false;
  /** The input as one Buffer, made once: a token's text is decoded from it without a Buffer of its own. */
  private readonly bytes: Buffer;

  constructor(
    private readonly input: Uint8Array,
    private readonly file: string,
  ) {
    this.bytes = Buffer.from(input.buffer, input.byteOffset, input.length);
  }

  private here(): SourceLocation {
    return { file: this.file, line: this.itemLine, column: this.itemColumn };
  }

  private fail(what: string): never {
    throw new ConfigError(what, this.here());
  }

  private atEnd(): boolean {
    return this.pos >= this.input.length;
  }

  private advance(): number {
    const c = this.input[this.pos++];
    if (c === CHAR.newline) {
      this.line++;
      this.column = 0;
    } else {
      this.column++;
    }
    return c;
  }

  private requireSeparator(): void {
    if (this.needSpace) this.fail('syntax error');
  }

  /** `fields` become the token (no copy: a peer directory scans 50,000 files at start-up). */
  private token<T extends Omit<Token, 'location'>>(fields: T, needSpace: boolean): Token {
    this.needSpace = needSpace;
    (fields as { location?: SourceLocation }).location = this.here();
    return fields as unknown as Token;
  }

  /** The input from `start` to `end` as text, decoded in place. */
  private text(start: number, end: number, encoding: 'latin1' | 'utf8'): string {
    return this.bytes.toString(encoding, start, end);
  }

  next(): Token {
    while (!this.atEnd()) {
      this.itemLine = this.line;
      this.itemColumn = this.column + 1;
      const c = this.input[this.pos];

      if (WHITESPACE.has(c)) {
        this.advance();
        this.needSpace = false;
        continue;
      }
      const punctuation = PUNCTUATION.get(c);
      if (punctuation) {
        this.advance();
        return this.token({ kind: 'punctuation', char: punctuation }, false);
      }
      if (c === CHAR.slash) {
        this.advance();
        if (this.atEnd()) this.fail('syntax error');
        if (this.input[this.pos] === CHAR.star) this.skipBlockComment();
        else if (this.input[this.pos] === CHAR.slash) this.skipLineComment();
        else this.fail('syntax error');
        continue;
      }
      if (c === CHAR.hash) {
        this.skipLineComment();
        continue;
      }
      if (c === CHAR.quote) return this.string();
      if (c === CHAR.openBracket) return this.ipv6();
      if (isDigit(c)) return this.numberOrIPv4();
      if (isLower(c)) return this.keyword();
      this.fail('syntax error');
    }
    return { kind: 'eof', location: this.here() };
  }

  private skipLineComment(): void {
    while (!this.atEnd() && this.advance() !== CHAR.newline);
    this.needSpace = false;
  }

  /** Called on the `*` of `/*`; that star cannot also close the comment. */
  private skipBlockComment(): void {
    this.advance();
    let previous = -1;
    while (!this.atEnd()) {
      const c = this.advance();
      if (previous === CHAR.star && c === CHAR.slash) {
        this.needSpace = false;
        return;
      }
      previous = c;
    }
    this.fail('unterminated block comment');
  }

  private string(): Token {
    this.requireSeparator();
    // Most strings hold no escape, NUL or line break: decoded straight from the input.
    const start = this.pos + 1;
    let end = start;
    for (let c = this.input[end]; end < this.input.length && c !== CHAR.quote && c !== CHAR.backslash && c !== 0 && c !== CHAR.newline; c = this.input[++end]);
    if (end < this.input.length && this.input[end] === CHAR.quote) {
      this.column += end + 1 - this.pos;
      this.pos = end + 1;
      return this.token({ kind: 'string', value: this.text(start, end, 'utf8') }, true);
    }
    this.advance();
    const bytes: number[] = [];
    for (;;) {
      if (this.atEnd()) this.fail('unterminated string');
      let c = this.advance();
      if (c === CHAR.quote) break;
      if (c === CHAR.backslash) {
        if (this.atEnd()) this.fail('unterminated string');
        c = this.advance();
        if (c === CHAR.newline) continue;
      }
      bytes.push(c);
    }
    return this.token({ kind: 'string', value: cString(bytes) }, true);
  }

  private ipv6(): Token {
    this.requireSeparator();
    const start = this.pos + 1;
    let end = start;
    while (end < this.input.length && (isHexDigit(this.input[end]) || this.input[end] === 0x3a)) end++;
    const stop = this.input[end];
    if (end >= this.input.length || (stop !== CHAR.closeBracket && stop !== CHAR.percent)) this.fail('syntax error');
    const bytes = parseIPv6(this.text(start, end, 'latin1'));
    if (!bytes) this.fail('syntax error');
    while (this.pos <= end) this.advance();
    if (stop === CHAR.closeBracket) return this.token({ kind: 'ipv6', bytes }, true);

    const name: number[] = [];
    for (;;) {
      if (this.atEnd()) this.fail('syntax error');
      let c = this.advance();
      if (c === CHAR.closeBracket) break;
      if (c === CHAR.backslash) {
        if (this.atEnd()) this.fail('syntax error');
        c = this.advance();
      }
      if (name.length === MAX_SCOPE_NAME) this.fail('syntax error');
      name.push(c);
    }
    return this.token({ kind: 'ipv6-scoped', bytes, ifname: cString(name) }, true);
  }

  private numberOrIPv4(): Token {
    this.requireSeparator();
    let end = this.pos;
    let digitsOnly = true;
    let dotted = false;
    while (end < this.input.length) {
      const c = this.input[end];
      if (c === CHAR.dot && digitsOnly) dotted = true;
      if (dotted) {
        if (!isDigit(c) && c !== CHAR.dot) break;
      } else if (!isDigit(c)) {
        if (!isLetter(c)) break;
        digitsOnly = false;
      }
      end++;
    }
    const text = this.text(this.pos, end, 'latin1');
    if (dotted) {
      const address = parseIPv4(text);
      if (!address) this.fail('syntax error');
      while (this.pos < end) this.advance();
      return this.token({ kind: 'ipv4', address }, true);
    }
    const value = parseCNumber(text);
    if (value === undefined) this.fail('syntax error');
    while (this.pos < end) this.advance();
    return this.token({ kind: 'uint', value }, true);
  }

  private keyword(): Token {
    this.requireSeparator();
    let end = this.pos;
    while (end < this.input.length) {
      const c = this.input[end];
      if (!isLower(c) && !isDigit(c) && c !== 0x2d) break;
      end++;
    }
    const word = this.text(this.pos, end, 'latin1');
    if (!KEYWORD_SET.has(word)) this.fail('syntax error');
    while (this.pos < end) this.advance();
    return this.token({ kind: 'keyword', keyword: word as Keyword }, true);
  }
}
