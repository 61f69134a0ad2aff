// Prometheus's text exposition format written byte by byte into one buffer. A scrape of 1,000
// peers is ~13,000 sample lines: each Buffer.write() is a call into C++ (~0.3 µs), and a string
// per line kept the main thread's small young generation busy (daemon.ts), so a sample's name
// and digits are copied in here by JavaScript, and its labels come already encoded (labelBytes).

export type MetricType = 'gauge' | 'counter';

const ZERO = 0x30;
const SPACE = 0x20;
const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
/** Bytes a UTF-16 code unit may take in UTF-8. */
const MAX_UTF8_PER_UNIT = 3;
/** The longest a number prints (`-2.2250738585072014e-308`), and more. */
const MAX_NUMBER_LENGTH = 32;
const BILLION = 1e9;

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

/** The most a sample line takes: `name{labels} value` and a newline. */
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
  private readonly scratch = new Float64Array(1);

  /** `common`: labelBytes() of the labels every sample has (the instance); `buffer`: where to write (grown when full). */
  constructor(
    readonly common: Buffer,
    buffer: Buffer,
  ) {
    this.data = buffer;
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

  family(name: string, type: MetricType, help: string): void {
    this.text(`# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`);
  }

  /** One sample line: `name{labels} value`; `name` is ASCII as metric names are. */
  sample(name: string, labels: Uint8Array, value: number): void {
    this.scratch[0] = value;
    this.sampleOf(name, labels, this.scratch, 0);
  }

  /**
   * A sample whose value is `table[index]`: a double handed from a table to a call that is not
   * inlined is boxed on the heap, 13,000 times a scrape of 1,000 peers.
   */
  sampleOf(name: string, labels: Uint8Array, table: Float64Array, index: number): void {
    this.reserve(sampleRoom(name.length, labels.length));
    const buffer = this.data;
    this.ascii(name);
    buffer[this.length++] = OPEN_BRACE;
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
    this.sample(name, this.common, value);
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
