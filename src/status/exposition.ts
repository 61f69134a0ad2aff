// Prometheus's text exposition format written byte by byte into one buffer. A scrape of 1,000
// peers is ~13,000 sample lines: each Buffer.write() is a call into C++ (~0.3 µs), and a string
// per line kept the main thread's small young generation busy (daemon.ts), so a sample's digits
// are copied in here by JavaScript, and its family's name and its labels come already encoded
// (labelBytes), copied in with TypedArray.set, not a character at a time: the daemon's first
// scrape with 1,000 routers connected ran the writer unoptimised even after unsent renders (its
// profile mostly that copy and the digits), and without TurboFan a render of 1,000 peers took
// 47-78 ms of CPU with the names copied by characters, 8-26 ms with them set (in-process).

export type MetricType = 'gauge' | 'counter';

const ZERO = 0x30;
const SPACE = 0x20;
const NEWLINE = 0x0a;
const CLOSE_BRACE = 0x7d;
/** Bytes a UTF-16 code unit may take in UTF-8. */
const MAX_UTF8_PER_UNIT = 3;
/** The longest a number prints (`-2.2250738585072014e-308`), and more. */
const MAX_NUMBER_LENGTH = 32;
const BILLION = 1e9;

/** Each family's `name{`, encoded once for the process: a sample line starts with it (the names are the code's, ~80). */
const PREFIXES = new Map<string, Buffer>();

function prefixOf(name: string): Buffer {
  let prefix = PREFIXES.get(name);
  if (prefix === undefined) {
    prefix = Buffer.from(`${name}{`);
    PREFIXES.set(name, prefix);
  }
  return prefix;
}

/** A label value as the text format wants it: backslash, quote and newline escaped. */
function escapeLabel(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/** `a="x",b="y"`: the text of a label set inside a sample's braces. */
function labelText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([name, value]) => `${name}="${escapeLabel(value)}"`)
    .join(',');
}

/** The most a sample line takes: `name{labels} value` and a newline (`nameLength` may count the brace). */
export function sampleRoom(nameLength: number, labelsLength: number): number {
  return nameLength + labelsLength + MAX_NUMBER_LENGTH + 4;
}

/** A label set encoded once, to be copied into many sample lines; `then`: encoded labels that follow it. */
export function labelBytes(labels: Readonly<Record<string, string>>, then?: Buffer): Buffer {
  const text = labelText(labels);
  if (then === undefined) return Buffer.from(text);
  return text === '' ? then : Buffer.concat([Buffer.from(`${text},`), then]);
}

export class ExpositionWriter {
  private data: Buffer;
  private length = 0;
  /** The last family's `name{`. */
  private prefix = prefixOf('');
  private readonly scratch = new Float64Array(1);

  /** `common`: labelBytes() of the labels every sample has (the instance); `buffer`: where to write (grown when full). */
  constructor(
    readonly common: Buffer,
    buffer: Buffer,
  ) {
    this.data = buffer;
  }

  /** Starts the text anew at the start of the buffer: a writer is kept from one render to the next (metrics.ts). */
  restart(): void {
    this.length = 0;
    this.prefix = prefixOf('');
  }

  /** Where the text is written: the buffer given, or the larger one it grew into. */
  get buffer(): Buffer {
    return this.data;
  }

  /** What was written, with `tail` (any text) after it: a view of the buffer. */
  finish(tail: string): Buffer {
    this.text(tail);
    return this.data.subarray(0, this.length);
  }

  /** `own` labels followed by the common ones, encoded. */
  labels(own: Readonly<Record<string, string>>): Buffer {
    return labelBytes(own, this.common);
  }

  /** A family's header; the samples written next are its. */
  family(name: string, type: MetricType, help: string): void {
    this.text(`# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`);
    this.prefix = prefixOf(name);
  }

  /** One sample line of the last family: `name{labels} value`. */
  sample(labels: Uint8Array, value: number): void {
    this.scratch[0] = value;
    this.sampleOf(labels, this.scratch, 0);
  }

  /**
   * A sample of the last family whose value is `table[index]`: a double handed from a table to
   * a call that is not inlined is boxed on the heap, 13,000 times a scrape of 1,000 peers.
   */
  sampleOf(labels: Uint8Array, table: Float64Array, index: number): void {
    const prefix = this.prefix;
    this.reserve(sampleRoom(prefix.length, labels.length));
    const buffer = this.data;
    buffer.set(prefix, this.length);
    this.length += prefix.length;
    buffer.set(labels, this.length);
    this.length += labels.length;
    buffer[this.length++] = CLOSE_BRACE;
    buffer[this.length++] = SPACE;
    this.number(table[index]!);
    buffer[this.length++] = NEWLINE;
  }

  /** A family with one sample that has only the common labels. */
  single(name: string, type: MetricType, help: string, value: number): void {
    this.family(name, type, help);
    this.sample(this.common, value);
  }

  /**
   * Room for `bytes` more in one step, when the caller knows what comes: a buffer grown a
   * doubling at a time is copied and faulted in anew each time.
   */
  room(bytes: number): void {
    if (this.length + bytes > this.data.length) this.grow(this.length + bytes);
  }

  /**
   * The value as JavaScript prints it (what the format reads), non-finite values as NaN; whole
   * numbers digit by digit, without a string. Room for it is reserved.
   */
  private number(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      this.ascii(Number.isFinite(value) ? String(value) : 'NaN');
      return;
    }
    if (value < BILLION) {
      this.digits(value, 1);
      return;
    }
    // Counters pass 2^31, where % and / are double arithmetic (fmod, rounded quotients): the
    // number is written in two halves below 2^31. The quotient may round up by one.
    let high = Math.floor(value / BILLION);
    let low = value - high * BILLION;
    if (low < 0) {
      high--;
      low += BILLION;
    }
    this.digits(high, 1);
    this.digits(low, 9);
  }

  /** A whole number below 2^31, at least `width` digits (zeros in front). */
  private digits(value: number, width: number): void {
    let count = width;
    for (let power = 10 ** width; power <= value; power *= 10) count++;
    let rest = value;
    for (let at = this.length + count - 1; at >= this.length; at--) {
      this.data[at] = ZERO + (rest % 10);
      rest = (rest / 10) | 0;
    }
    this.length += count;
  }

  /** ASCII text, room for it reserved. */
  private ascii(text: string): void {
    for (let i = 0; i < text.length; i++) this.data[this.length++] = text.charCodeAt(i);
  }

  private text(text: string): void {
    this.reserve(MAX_UTF8_PER_UNIT * text.length);
    this.length += this.data.write(text, this.length);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes > this.data.length) this.grow(2 * (this.data.length + bytes));
  }

  private grow(size: number): void {
    const grown = Buffer.allocUnsafeSlow(size);
    this.data.copy(grown, 0, 0, this.length);
    this.data = grown;
  }
}
