// One io_uring driven by raw system calls: io_uring_setup maps nothing by itself, so we
// mmap the SQ/CQ rings and the SQE array and work on them through typed arrays over that
// shared memory (koffi.view), publishing the SQ tail and consuming the CQ head with
// Atomics so the kernel sees our writes in order. A ring belongs to one thread: a
// datapath worker creates its own and is the only one to touch it.
import { close, errno, Errno, mmap, munmap, Syscall, syscall, SystemError, viewOf, type Mapping } from '../libc.js';
import { Mmap } from '../linux-abi.js';
import { NativeArea, setU64 } from '../native-memory.js';
import { CqOffsets, Cqe, EnterFlag, Feature, GeteventsArg, KernelTimespec, MmapOffset, Params, Probe, Register, SetupFlag, Sqe, SqFlag, SqOffsets } from './abi.js';

/** Thrown when io_uring cannot be used here; `code` tells why (ENOSYS, EPERM, ...). */
export class UringUnavailable extends SystemError {}

const PROBE_OPS = 256;

export class Ring {
  readonly fd: number;
  readonly sqEntries: number;
  readonly cqEntries: number;
  readonly features: number;
  /** io_uring_enter calls made so far: the figure that proves batching. */
  enterCalls = 0;
  /** SQEs handed to the kernel so far: what each call cost it (and us, in preparing them). */
  sqesSubmitted = 0;

  /** The SQE array: claim() returns a byte offset into these views. */
  readonly sqeBytes: Uint8Array;
  readonly sqeWords: Uint32Array;
  private readonly ringWords: Uint32Array;
  private readonly ringInts: Int32Array;
  private readonly mappings: Mapping[];
  private readonly sqHead: number;
  private readonly sqTail: number;
  private readonly sqFlags: number;
  private readonly sqMask: number;
  private readonly cqHead: number;
  private readonly cqTail: number;
  private readonly cqMask: number;
  private readonly cqes: number;
  /** Our SQ tail: SQEs claimed but not yet handed to the kernel lie between the published tail and it. */
  private localTail: number;
  /** io_uring_getevents_arg and its timespec, for waits with a timeout. */
  private readonly waitArgument: NativeArea;
  private closed = false;

  /**
   * Completions of armed ops are only posted inside io_uring_enter(GETEVENTS) (DEFER_TASKRUN,
   * Linux 6.1): the kernel wakes the waiting thread straight away and runs the op's work in
   * that one enter, instead of queueing it as task work for whenever the thread next enters.
   */
  readonly deferTaskrun: boolean;
  /** Whether a wait may ask for a minimum wait (submit's minWaitUs): Linux 6.13's MIN_TIMEOUT. */
  readonly minWait: boolean;

  /**
   * Sets up a ring with (at least) `entries` SQ entries; throws UringUnavailable when the
   * kernel refuses. `deferTaskrun` suits a ring one thread sleeps on (EventRing).
   */
  constructor(entries: number, deferTaskrun = false) {
    const params = new NativeArea(Params.SIZE, 'io_uring params');
    try {
      const base = SetupFlag.CLAMP | SetupFlag.SUBMIT_ALL | SetupFlag.SINGLE_ISSUER;
      let fd = deferTaskrun ? this.setup(entries, base | SetupFlag.DEFER_TASKRUN, params) : -1;
      this.deferTaskrun = fd >= 0;
      if (fd < 0) fd = this.setup(entries, base | SetupFlag.COOP_TASKRUN, params);
      // Older kernels reject flags they do not know with EINVAL: retry with the plain ring.
      if (fd < 0 && errno() === Errno.EINVAL) fd = this.setup(entries, SetupFlag.CLAMP, params);
      if (fd < 0) throw new UringUnavailable('io_uring_setup', errno());
      this.fd = fd;
      const p = params.view;
      this.sqEntries = p.getUint32(Params.SQ_ENTRIES, true);
      this.cqEntries = p.getUint32(Params.CQ_ENTRIES, true);
      this.features = p.getUint32(Params.FEATURES, true);
      this.minWait = (this.features & Feature.MIN_TIMEOUT) !== 0;
      const sq = (field: number) => p.getUint32(Params.SQ_OFF + field, true);
      const cq = (field: number) => p.getUint32(Params.CQ_OFF + field, true);
      if ((this.features & Feature.SINGLE_MMAP) === 0) {
        close(fd);
        throw new UringUnavailable('io_uring without IORING_FEAT_SINGLE_MMAP (Linux < 5.4)', Errno.ENOSYS);
      }
      const ringLength = Math.max(sq(SqOffsets.ARRAY) + this.sqEntries * 4, cq(CqOffsets.CQES) + this.cqEntries * Cqe.SIZE);
      const protection = Mmap.PROT_READ | Mmap.PROT_WRITE;
      const ring = mmap(ringLength, protection, Mmap.SHARED | Mmap.POPULATE, fd, MmapOffset.SQ_RING, 'io_uring rings');
      const sqes = mmap(this.sqEntries * Sqe.SIZE, protection, Mmap.SHARED | Mmap.POPULATE, fd, MmapOffset.SQES, 'io_uring SQEs');
      this.mappings = [ring, sqes];
      const ringBuffer = viewOf(ring);
      this.ringWords = new Uint32Array(ringBuffer);
      this.ringInts = new Int32Array(ringBuffer);
      const sqeBuffer = viewOf(sqes);
      this.sqeBytes = new Uint8Array(sqeBuffer);
      this.sqeWords = new Uint32Array(sqeBuffer);
      this.sqHead = sq(SqOffsets.HEAD) >> 2;
      this.sqTail = sq(SqOffsets.TAIL) >> 2;
      this.sqFlags = sq(SqOffsets.FLAGS) >> 2;
      this.sqMask = this.ringWords[sq(SqOffsets.RING_MASK) >> 2];
      this.cqHead = cq(CqOffsets.HEAD) >> 2;
      this.cqTail = cq(CqOffsets.TAIL) >> 2;
      this.cqMask = this.ringWords[cq(CqOffsets.RING_MASK) >> 2];
      this.cqes = cq(CqOffsets.CQES);
      // The SQ array maps ring slots to SQE indexes; identity, set once, is all we need.
      const array = sq(SqOffsets.ARRAY) >> 2;
      for (let i = 0; i < this.sqEntries; i++) this.ringWords[array + i] = i;
      this.localTail = this.ringWords[this.sqTail];
      this.waitArgument = new NativeArea(GeteventsArg.SIZE + KernelTimespec.SIZE, 'io_uring wait argument');
    } finally {
      params.release();
    }
  }

  private setup(entries: number, flags: number, params: NativeArea): number {
    params.bytes.fill(0);
    params.view.setUint32(Params.FLAGS, flags, true);
    return syscall(Syscall.ioUringSetup, entries, params.address);
  }

  /** SQEs that can still be claimed before the next submit. */
  freeSqes(): number {
    return this.sqEntries - (this.localTail - Atomics.load(this.ringWords, this.sqHead));
  }

  /** Claims the next SQE, zeroed, and returns its byte offset in sqeBytes; -1 when the SQ is full. */
  claim(): number {
    if (this.freeSqes() <= 0) return -1;
    const at = (this.localTail & this.sqMask) * Sqe.SIZE;
    this.localTail = (this.localTail + 1) >>> 0;
    this.sqeBytes.fill(0, at, at + Sqe.SIZE);
    return at;
  }

  /** Fills the common SQE fields of a claimed entry. */
  prepare(at: number, opcode: number, fd: number, addr: number, length: number, userData: number): void {
    const words = this.sqeWords;
    this.sqeBytes[at + Sqe.OPCODE] = opcode;
    words[(at + Sqe.FD) >> 2] = fd;
    setU64(words, at + Sqe.ADDR, addr);
    words[(at + Sqe.LEN) >> 2] = length;
    words[(at + Sqe.USER_DATA) >> 2] = userData;
  }

  /**
   * Hands all claimed SQEs to the kernel and waits until at least `waitFor` completions are
   * ready, in ONE io_uring_enter. With `timeoutMs` >= 0 the wait ends after that long even
   * without completions (this is where a datapath worker sleeps). With `minWaitUs` > 0 (only
   * where `minWait`), the wait for `waitFor` completions ends after that many µs as soon as
   * there is one. Returns the number of SQEs the kernel consumed.
   */
  submit(waitFor: number, timeoutMs = -1, minWaitUs = 0): number {
    const pending = (this.localTail - this.ringWords[this.sqTail]) >>> 0;
    Atomics.store(this.ringWords, this.sqTail, this.localTail);
    this.sqesSubmitted += pending;
    // with deferred task work, completions that are due get posted only by a GETEVENTS enter
    if (pending === 0 && waitFor === 0 && !this.deferTaskrun) return 0;
    let flags = waitFor > 0 || this.deferTaskrun ? EnterFlag.GETEVENTS : 0;
    let argument = 0;
    let argumentSize = 0;
    if (waitFor > 0 && (timeoutMs >= 0 || minWaitUs > 0)) {
      const words = this.waitArgument.u32;
      const ts = GeteventsArg.SIZE;
      words[GeteventsArg.MIN_WAIT_USEC >> 2] = minWaitUs;
      setU64(words, GeteventsArg.TS, timeoutMs >= 0 ? this.waitArgument.address + ts : 0);
      if (timeoutMs >= 0) {
        setU64(words, ts + KernelTimespec.SEC, Math.floor(timeoutMs / 1000));
        setU64(words, ts + KernelTimespec.NSEC, (timeoutMs % 1000) * 1_000_000);
      }
      flags |= EnterFlag.EXT_ARG;
      argument = this.waitArgument.address;
      argumentSize = GeteventsArg.SIZE;
    }
    for (;;) {
      this.enterCalls++;
      const result = syscall(Syscall.ioUringEnter, this.fd, pending, waitFor, flags, argument, argumentSize);
      if (result >= 0) return result;
      const code = errno();
      // ETIME: the timeout passed (the SQEs were still submitted).
      if (code === Errno.ETIME) return pending;
      if (code !== Errno.EINTR) throw new SystemError('io_uring_enter', code);
      if (this.ready() >= waitFor) return pending;
    }
  }

  /** Completions waiting in the CQ. */
  ready(): number {
    return (Atomics.load(this.ringWords, this.cqTail) - this.ringWords[this.cqHead]) >>> 0;
  }

  /** Whether completions wait in the kernel's overflow list (the CQ was full): ready() does not count them. */
  cqOverflowing(): boolean {
    return (Atomics.load(this.ringWords, this.sqFlags) & SqFlag.CQ_OVERFLOW) !== 0;
  }

  /** Byte offset (into the ring views) of the k-th waiting completion. */
  private cqeAt(k: number): number {
    return this.cqes + (((this.ringWords[this.cqHead] + k) & this.cqMask) * Cqe.SIZE);
  }

  cqeUserData(k: number): number {
    return this.ringWords[(this.cqeAt(k) + Cqe.USER_DATA) >> 2];
  }

  cqeResult(k: number): number {
    return this.ringInts[(this.cqeAt(k) + Cqe.RES) >> 2];
  }

  cqeFlags(k: number): number {
    return this.ringWords[(this.cqeAt(k) + Cqe.FLAGS) >> 2];
  }

  /** Marks the first n waiting completions as consumed. */
  consume(n: number): void {
    Atomics.store(this.ringWords, this.cqHead, (this.ringWords[this.cqHead] + n) >>> 0);
  }

  /** io_uring_register; returns the result (negative: failed, errno() says why). */
  register(opcode: number, arg: number, count: number): number {
    return syscall(Syscall.ioUringRegister, this.fd, opcode, arg, count);
  }

  /** The opcodes this kernel supports (IORING_REGISTER_PROBE). */
  supportedOps(): Set<number> {
    const area = new NativeArea(Probe.HEADER + PROBE_OPS * Probe.OP_SIZE, 'io_uring probe');
    try {
      if (this.register(Register.PROBE, area.address, PROBE_OPS) < 0) throw new SystemError('IORING_REGISTER_PROBE', errno());
      const ops = new Set<number>();
      const count = area.bytes[Probe.OPS_LEN];
      for (let i = 0; i < count; i++) {
        const at = Probe.HEADER + i * Probe.OP_SIZE;
        if ((area.view.getUint16(at + Probe.OP_FLAGS, true) & Probe.OP_SUPPORTED) !== 0) ops.add(area.bytes[at]);
      }
      return ops;
    } finally {
      area.release();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const mapping of this.mappings) munmap(mapping);
    this.waitArgument.release();
    close(this.fd);
  }
}
