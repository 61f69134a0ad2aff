// One token of lookahead over the scanner, fetched only when the grammar needs it, so
// that errors come out in the same order as from fastd's push parser (a statement's value
// is checked before the scanner looks at what follows it).
import { ConfigError, type SourceLocation } from './errors.js';
import { isValidMtu } from './draft.js';
import { Lexer, type Keyword, type Punctuation, type Token } from './lexer.js';

const MAX_PORT = 65535n;

type TokenOf<K extends Token['kind']> = Extract<Token, { kind: K }>;

export class TokenStream {
  private readonly lexer: Lexer;
  private lookahead: Token | undefined;

  constructor(input: Uint8Array, file: string) {
    this.lexer = new Lexer(input, file);
  }

  peek(): Token {
    this.lookahead ??= this.lexer.next();
    return this.lookahead;
  }

  take(): Token {
    const token = this.peek();
    this.lookahead = undefined;
    return token;
  }

  /** bison reports an unexpected token with "syntax error" at the token. */
  unexpected(token: Token = this.peek()): never {
    throw new ConfigError('syntax error', token.location);
  }

  isKeyword(keyword: Keyword): boolean {
    const token = this.peek();
    return token.kind === 'keyword' && token.keyword === keyword;
  }

  isPunctuation(char: Punctuation): boolean {
    const token = this.peek();
    return token.kind === 'punctuation' && token.char === char;
  }

  /** Takes the keyword if it is next; true when it was. */
  acceptKeyword(keyword: Keyword): boolean {
    if (!this.isKeyword(keyword)) return false;
    this.take();
    return true;
  }

  expectKeyword(keyword: Keyword): SourceLocation {
    if (!this.isKeyword(keyword)) this.unexpected();
    return this.take().location;
  }

  /** Takes one of the given keywords and returns it. */
  expectOneOf<K extends Keyword>(keywords: readonly K[]): K {
    const token = this.peek();
    if (token.kind !== 'keyword' || !(keywords as readonly Keyword[]).includes(token.keyword)) this.unexpected();
    this.take();
    return token.keyword as K;
  }

  expectPunctuation(char: Punctuation): SourceLocation {
    if (!this.isPunctuation(char)) this.unexpected();
    return this.take().location;
  }

  expect<K extends Token['kind']>(kind: K): TokenOf<K> {
    const token = this.peek();
    if (token.kind !== kind) this.unexpected();
    this.take();
    return token as TokenOf<K>;
  }

  expectString(): TokenOf<'string'> {
    return this.expect('string');
  }

  /** `yes` or `no`. */
  expectBoolean(): boolean {
    return this.expectOneOf(['yes', 'no']) === 'yes';
  }

  expectEnd(): void {
    this.expectPunctuation(';');
  }

  /** `:<port>` or `port <port>`; remotes need 1..65535, binds allow 0 (any free port). */
  expectPort(min: 0n | 1n): number {
    const start = this.peek();
    if (!this.isPunctuation(':') && !this.isKeyword('port')) this.unexpected();
    this.take();
    const { value } = this.expect('uint');
    if (value < min || value > MAX_PORT) throw new ConfigError('invalid port', start.location);
    return Number(value);
  }

  /** An MTU value, 576..65535 as fastd requires. */
  expectMtu(): number {
    const { value, location } = this.expect('uint');
    if (!isValidMtu(value)) throw new ConfigError('invalid MTU', location);
    return Number(value);
  }
}
