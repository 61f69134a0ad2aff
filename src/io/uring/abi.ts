// io_uring's kernel interface (include/uapi/linux/io_uring.h), declared once as byte
// offsets: the rings and the SQE array are shared memory we read and write through typed
// arrays, so every field is reached by name, never by a bare number.

/** struct io_uring_params (120 bytes), filled in by io_uring_setup. */
export const Params = {
  SIZE: 120,
  SQ_ENTRIES: 0,
  CQ_ENTRIES: 4,
  FLAGS: 8,
  FEATURES: 20,
  SQ_OFF: 40,
  CQ_OFF: 80,
} as const;

/** struct io_sqring_offsets, relative to Params.SQ_OFF. */
export const SqOffsets = { HEAD: 0, TAIL: 4, RING_MASK: 8, RING_ENTRIES: 12, FLAGS: 16, DROPPED: 20, ARRAY: 24 } as const;
/** struct io_cqring_offsets, relative to Params.CQ_OFF. */
export const CqOffsets = { HEAD: 0, TAIL: 4, RING_MASK: 8, RING_ENTRIES: 12, OVERFLOW: 16, CQES: 20, FLAGS: 24 } as const;

/** mmap offsets selecting which ring a mapping of the io_uring fd shows. */
export const MmapOffset = { SQ_RING: 0, CQ_RING: 0x8000000, SQES: 0x10000000 } as const;

/** struct io_uring_sqe (64 bytes). */
export const Sqe = {
  SIZE: 64,
  OPCODE: 0,
  FLAGS: 1,
  IOPRIO: 2,
  FD: 4,
  OFF: 8,
  ADDR: 16,
  LEN: 24,
  /** rw_flags / msg_flags / open_flags, depending on the opcode. */
  OP_FLAGS: 28,
  USER_DATA: 32,
  /** buf_index (fixed buffers) or buf_group (provided buffers). */
  BUF_INDEX: 40,
} as const;

/** struct io_uring_cqe (16 bytes). */
export const Cqe = { SIZE: 16, USER_DATA: 0, RES: 8, FLAGS: 12 } as const;

export const Op = {
  NOP: 0,
  READ_FIXED: 4,
  WRITE_FIXED: 5,
  SENDMSG: 9,
  ASYNC_CANCEL: 14,
  RECVMSG: 10,
  OPENAT: 18,
  CLOSE: 19,
  READ: 22,
  WRITE: 23,
} as const;

/** sqe->flags. */
export const SqeFlag = { IO_LINK: 1 << 2, IO_HARDLINK: 1 << 3, BUFFER_SELECT: 1 << 5, CQE_SKIP_SUCCESS: 1 << 6 } as const;

/** io_uring_setup flags. */
export const SetupFlag = { CLAMP: 1 << 4, SUBMIT_ALL: 1 << 7, COOP_TASKRUN: 1 << 8, SINGLE_ISSUER: 1 << 12, DEFER_TASKRUN: 1 << 13 } as const;

/** io_uring_params.features bits we rely on. */
/** MIN_TIMEOUT (Linux 6.13): io_uring_getevents_arg's min_wait_usec is honoured. */
export const Feature = { SINGLE_MMAP: 1 << 0, NODROP: 1 << 1, FAST_POLL: 1 << 5, MIN_TIMEOUT: 1 << 15 } as const;

export const EnterFlag = { GETEVENTS: 1 << 0, EXT_ARG: 1 << 3 } as const;

/** Bits of the SQ ring's flags word (SqOffsets.FLAGS). CQ_OVERFLOW: completions wait in the kernel's overflow list, the CQ being full. */
export const SqFlag = { CQ_OVERFLOW: 1 << 1 } as const;

/** struct io_uring_getevents_arg (24 bytes), then the __kernel_timespec its ts points to. */
export const GeteventsArg = { SIZE: 24, SIGMASK: 0, SIGMASK_SZ: 8, MIN_WAIT_USEC: 12, TS: 16 } as const;
export const KernelTimespec = { SIZE: 16, SEC: 0, NSEC: 8 } as const;

/** sqe->ioprio for send/recv ops. */
export const RecvSendFlag = { RECV_MULTISHOT: 1 << 1 } as const;

/** cqe->flags. */
export const CqeFlag = { BUFFER: 1 << 0, MORE: 1 << 1 } as const;
export const CQE_BUFFER_SHIFT = 16;

/** rw_flags: fail with EAGAIN instead of waiting (RWF_NOWAIT). */
export const RWF_NOWAIT = 0x08;
/** Each 32-bit half of sqe->off = -1: "the file's current position", the only offset a character device takes. */
export const CURRENT_POSITION = 0xffffffff;

export const Register = {
  PROBE: 8,
  BUFFERS2: 15,
  BUFFERS_UPDATE: 16,
  PBUF_RING: 22,
  UNREGISTER_PBUF_RING: 23,
} as const;

/** struct io_uring_probe: a 16-byte header then one 8-byte io_uring_probe_op per opcode. */
export const Probe = { HEADER: 16, LAST_OP: 0, OPS_LEN: 1, OP_SIZE: 8, OP_FLAGS: 2, OP_SUPPORTED: 1 } as const;

/**
 * Provided-buffer ids (io_uring_buf.bid, the upper half of a CQE's flags), buffer group ids
 * (sqe->buf_group) and a buffer ring's tail are all 16 bits: this many values each.
 */
export const BUFFER_ID_LIMIT = 0x1_0000;

/** struct io_uring_buf (16 bytes), entries of a provided-buffer ring; the tail overlays entry 0's resv. */
export const BufRingEntry = { SIZE: 16, ADDR: 0, LEN: 8, BID: 12, TAIL: 14 } as const;
/** struct io_uring_buf_reg (40 bytes), the argument of IORING_REGISTER_PBUF_RING. */
export const BufReg = { SIZE: 40, RING_ADDR: 0, RING_ENTRIES: 8, BGID: 12 } as const;
/** struct io_uring_recvmsg_out: what multishot RECVMSG writes in front of each buffer. */
export const RecvmsgOut = { SIZE: 16, NAMELEN: 0, CONTROLLEN: 4, PAYLOADLEN: 8, FLAGS: 12 } as const;

/** struct iovec as the fixed buffer registrations take it. */
export const RegisteredIovec = { SIZE: 16, BASE: 0, LEN: 8 } as const;

/** struct io_uring_rsrc_register (32 bytes), the argument of IORING_REGISTER_BUFFERS2. */
export const RsrcRegister = { SIZE: 32, NR: 0, FLAGS: 4, DATA: 16, TAGS: 24 } as const;
/** io_uring_rsrc_register.flags: a table of empty slots, filled later by updates. */
export const RSRC_REGISTER_SPARSE = 1 << 0;
/** struct io_uring_rsrc_update2 (32 bytes), the argument of IORING_REGISTER_BUFFERS_UPDATE. */
export const RsrcUpdate2 = { SIZE: 32, OFFSET: 0, DATA: 8, TAGS: 16, NR: 24 } as const;

/** Where the administrator can switch io_uring off (Linux 6.6+): 0 on, 1 root only, 2 off. */
export const IO_URING_DISABLED_SYSCTL = '/proc/sys/kernel/io_uring_disabled';
