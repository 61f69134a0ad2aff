// Many small files of one directory read through one io_uring, a batch at a time: one
// io_uring_enter opens the batch's files (IORING_OP_OPENAT relative to the directory), a second
// reads each whole into a slot of its own and closes it (READ hard-linked to CLOSE, so the
// close runs whatever the read did). Two system calls a batch instead of three a file, and
// none of Node's synchronous fs wrappers: what reading a peer directory of 50,000 keys is made
// of. The operations run with the calling thread's rights (io_uring takes the submitter's
// credentials), and the ring belongs to that thread.
import { close, open, SystemError } from '../libc.js';
import { FileFlag } from '../linux-abi.js';
import { NativeArea, setU64 } from '../native-memory.js';
import { Op, Sqe, SqeFlag } from './abi.js';
import { Ring } from './ring.js';

/** Files a batch opens and reads together: two SQEs each in the second submission. */
const BATCH = 128;
/** A file's slot: a file this long or longer is left to the caller (peer files are ~80 bytes). */
export const SMALL_FILE_BYTES = 4096;
/** NAME_MAX and the terminating NUL. */
const NAME_BYTES = 256;
/** user_data of a CLOSE: its completion is only counted. */
const CLOSE_TAG = 0x8000_0000;
const REQUIRED_OPS = [Op.OPENAT, Op.READ, Op.CLOSE];

/** Receives each file's bytes in order, valid only during the call; undefined when it did not open or read, or filled its slot. */
export type EachFile = (index: number, bytes: Uint8Array | undefined) => void;

export class SmallFileReader {
  private readonly names = new NativeArea(BATCH * NAME_BYTES, 'file names');
  private readonly slots = new NativeArea(BATCH * SMALL_FILE_BYTES, 'file contents');
  private readonly fds = new Int32Array(BATCH);
  private readonly lengths = new Int32Array(BATCH);
  private readonly encoder = new TextEncoder();

  private constructor(private readonly ring: Ring) {}

  /** A reader, or undefined where io_uring or one of its operations is not available (the caller reads file by file). */
  static open(): SmallFileReader | undefined {
    let ring: Ring;
    try {
      ring = new Ring(2 * BATCH);
    } catch (error) {
      // refused (UringUnavailable) or its rings not mapped
      if (error instanceof SystemError) return undefined;
      throw error;
    }
    let ops: ReadonlySet<number>;
    try {
      // IORING_REGISTER_PROBE: Linux 5.6, as OPENAT and CLOSE
      ops = ring.supportedOps();
    } catch {
      ops = new Set();
    }
    if (REQUIRED_OPS.some((op) => !ops.has(op)) || ring.sqEntries < 2 * BATCH) {
      ring.close();
      return undefined;
    }
    return new SmallFileReader(ring);
  }

  /** Reads the files `names` in `dir`, handing each to `each` in order; false (none read) when `dir` does not open. */
  readAll(dir: string, names: readonly string[], each: EachFile): boolean {
    const dirFd = open(dir, FileFlag.RDONLY | FileFlag.DIRECTORY | FileFlag.CLOEXEC, 0);
    if (dirFd < 0) return false;
    try {
      for (let first = 0; first < names.length; first += BATCH) {
        const count = Math.min(BATCH, names.length - first);
        this.openBatch(dirFd, names, first, count);
        this.readBatch(count);
        for (let i = 0; i < count; i++) {
          const length = this.lengths[i]!;
          each(first + i, length >= 0 && length < SMALL_FILE_BYTES ? this.slots.bytes.subarray(i * SMALL_FILE_BYTES, i * SMALL_FILE_BYTES + length) : undefined);
        }
      }
    } finally {
      close(dirFd);
    }
    return true;
  }

  private openBatch(dirFd: number, names: readonly string[], first: number, count: number): void {
    const { ring } = this;
    for (let i = 0; i < count; i++) {
      const at = i * NAME_BYTES;
      const { written } = this.encoder.encodeInto(names[first + i]!, this.names.bytes.subarray(at, at + NAME_BYTES - 1));
      this.names.bytes[at + written] = 0;
      const sqe = ring.claim();
      ring.prepare(sqe, Op.OPENAT, dirFd, this.names.address + at, 0, i);
      ring.sqeWords[(sqe + Sqe.OP_FLAGS) >> 2] = FileFlag.RDONLY | FileFlag.CLOEXEC;
    }
    this.complete(count, (i, result) => {
      this.fds[i] = result;
    });
  }

  private readBatch(count: number): void {
    const { ring } = this;
    let submitted = 0;
    for (let i = 0; i < count; i++) {
      this.lengths[i] = -1;
      const fd = this.fds[i]!;
      if (fd < 0) continue;
      const read = ring.claim();
      ring.prepare(read, Op.READ, fd, this.slots.address + i * SMALL_FILE_BYTES, SMALL_FILE_BYTES, i);
      setU64(ring.sqeWords, read + Sqe.OFF, 0);
      // the close runs whatever the read did
      ring.sqeBytes[read + Sqe.FLAGS] = SqeFlag.IO_HARDLINK;
      ring.prepare(ring.claim(), Op.CLOSE, fd, 0, 0, CLOSE_TAG | i);
      submitted += 2;
    }
    this.complete(submitted, (i, result) => {
      if ((i & CLOSE_TAG) === 0) this.lengths[i] = result;
    });
  }

  /** Submits what is prepared and hands each of the `count` completions to `done` (user data, result). */
  private complete(count: number, done: (userData: number, result: number) => void): void {
    const { ring } = this;
    let left = count;
    let waitFor = count;
    while (left > 0) {
      ring.submit(waitFor);
      const ready = ring.ready();
      for (let k = 0; k < ready; k++) done(ring.cqeUserData(k), ring.cqeResult(k));
      ring.consume(ready);
      left -= ready;
      waitFor = left;
    }
  }

  close(): void {
    this.ring.close();
    this.names.release();
    this.slots.release();
  }
}
