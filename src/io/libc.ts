// The one place where fastd-ts reaches the kernel: libc functions bound through koffi.
//
// Hot-path functions take pointers as plain numbers (`intptr_t`): the callers compute
// addresses once (see native-memory.ts) and pass base + offset, so a call converts no
// objects and allocates nothing. koffi records errno right after each call; `errno()` reads
// it. koffi bindings are per thread, so importing this module in a worker_thread binds
// libc again there, which is what the datapath workers need.
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');

/** Linux x86_64 system call numbers that libc has no wrapper for. */
export const Syscall = {
  ioUringSetup: 425,
  ioUringEnter: 426,
  ioUringRegister: 427,
  // glibc's wrappers change every thread's ids (its setxid broadcast); these change the caller's only
  setgroups: 116,
  setresuid: 117,
  setresgid: 119,
} as const;

/** The errno values the io layer reacts to (asm-generic/errno-base.h, errno.h). */
export const Errno = {
  EINTR: 4,
  EIO: 5,
  EBADF: 9,
  EAGAIN: 11,
  EBUSY: 16,
  EINVAL: 22,
  ENOSYS: 38,
  EMSGSIZE: 90,
  ENETUNREACH: 101,
  ETIME: 62,
  ENOBUFS: 105,
  ECANCELED: 125,
} as const;

// glibc's syscall() is variadic; declaring it with six long arguments is what the x86_64
// calling convention passes anyway, and avoids koffi's slower per-call variadic typing.
const syscall6 = libc.func('long syscall(long number, long a, long b, long c, long d, long e, long f)');

/** Raw system call with up to six integer (or address) arguments; returns -1 and sets errno on failure. */
export function syscall(number: number, a = 0, b = 0, c = 0, d = 0, e = 0, f = 0): number {
  return syscall6(number, a, b, c, d, e, f) as number;
}

export const open = libc.func('int open(const char *path, int flags, int mode)') as (path: string, flags: number, mode: number) => number;
export const close = libc.func('int close(int fd)') as (fd: number) => number;
export const read = libc.func('intptr_t read(int fd, intptr_t buf, size_t count)') as (fd: number, buf: number, count: number) => number;
export const write = libc.func('intptr_t write(int fd, intptr_t buf, size_t count)') as (fd: number, buf: number, count: number) => number;
export const fcntl = libc.func('int fcntl(int fd, int cmd, long arg)') as (fd: number, cmd: number, arg: number) => number;
/** ioctl with its argument given as an address (a struct in native memory or an int). */
export const ioctl = libc.func('int ioctl(int fd, unsigned long request, intptr_t arg)') as (fd: number, request: number, arg: number) => number;
export const eventfd = libc.func('int eventfd(unsigned int initval, int flags)') as (initval: number, flags: number) => number;
/** poll(2) over a pollfd array in native memory (see linux-abi.ts Pollfd); blocks up to timeoutMs (-1: forever). */
export const poll = libc.func('int poll(intptr_t fds, unsigned long nfds, int timeout)') as (fds: number, nfds: number, timeoutMs: number) => number;

export const socket = libc.func('int socket(int domain, int type, int protocol)') as (domain: number, type: number, protocol: number) => number;
/** Fills `fds` (an Int32Array of 2) with a connected pair: the datapath warm-up's stand-in for a TUN/TAP queue. */
export const socketpair = libc.func('int socketpair(int domain, int type, int protocol, _Out_ int *fds)') as (domain: number, type: number, protocol: number, fds: Int32Array) => number;
export const bind = libc.func('int bind(int fd, intptr_t addr, uint32_t addrlen)') as (fd: number, addr: number, addrlen: number) => number;
export const getsockname = libc.func('int getsockname(int fd, intptr_t addr, intptr_t addrlen)') as (fd: number, addr: number, addrlenPtr: number) => number;
export const setsockopt = libc.func('int setsockopt(int fd, int level, int name, intptr_t value, uint32_t len)') as (fd: number, level: number, name: number, value: number, len: number) => number;
export const getsockopt = libc.func('int getsockopt(int fd, int level, int name, intptr_t value, intptr_t lenPtr)') as (fd: number, level: number, name: number, value: number, lenPtr: number) => number;
export const recvmmsg = libc.func('int recvmmsg(int fd, intptr_t msgvec, unsigned int vlen, int flags, intptr_t timeout)') as (fd: number, msgvec: number, vlen: number, flags: number, timeout: number) => number;
export const sendmmsg = libc.func('int sendmmsg(int fd, intptr_t msgvec, unsigned int vlen, int flags)') as (fd: number, msgvec: number, vlen: number, flags: number) => number;
// Off the hot path (one call at start-up), these take their buffer as a typed array that koffi passes for the call.
export const connectTo = libc.func('int connect(int fd, const uint8_t *addr, uint32_t addrlen)') as (fd: number, addr: Uint8Array, addrlen: number) => number;
export const sendBytes = libc.func('intptr_t send(int fd, const uint8_t *buf, size_t len, int flags)') as (fd: number, buf: Uint8Array, len: number, flags: number) => number;
export const ifNameToIndex = libc.func('unsigned int if_nametoindex(const char *name)') as (name: string) => number;
export const prctl = libc.func('int prctl(int option, unsigned long a, unsigned long b, unsigned long c, unsigned long d)') as (option: number, a: number, b: number, c: number, d: number) => number;
/** capset(2) and capget(2) with their header and data structs in native memory. */
export const capset = libc.func('int capset(intptr_t header, intptr_t data)') as (header: number, data: number) => number;
export const capget = libc.func('int capget(intptr_t header, intptr_t data)') as (header: number, data: number) => number;

const mallocTrimRaw = libc.func('int malloc_trim(size_t pad)');

/**
 * malloc_trim(3) with no padding, on koffi's thread pool (it walks every malloc arena under
 * its lock, tens of ms with a big heap: not on the calling thread); `done` comes back on it.
 */
export function mallocTrimAsync(done: () => void): void {
  mallocTrimRaw.async(0, () => done());
}

/** mallopt(3) parameters (glibc's malloc.h). */
const MallocParam = { TRIM_THRESHOLD: -1, MMAP_THRESHOLD: -3 } as const;
/** glibc's default for both thresholds, before its dynamic adjustment raises them. */
const MALLOC_THRESHOLD_BYTES = 128 * 1024;
const malloptRaw = libc.func('int mallopt(int param, int value)') as (param: number, value: number) => number;

/**
 * Fixes glibc's trim and mmap thresholds at their defaults. Left dynamic, each free of a large
 * mmapped block raises them (up to 32 / 64 MiB), and then the free top of a thread's arena is
 * never given back: free() trims an arena's top only past the trim threshold, and malloc_trim
 * does not trim the tops of threads' arenas at all. V8's compiler threads free their zones
 * there: with 1,000 idle routers four arenas held ~2 MiB resident each for 50-80 KB in use.
 * Fixed, blocks of 128 KiB or more are mmapped and unmapped at free, and a top past 128 KiB
 * is trimmed at once.
 */
export function keepMallocTrimmed(): void {
  malloptRaw(MallocParam.TRIM_THRESHOLD, MALLOC_THRESHOLD_BYTES);
  malloptRaw(MallocParam.MMAP_THRESHOLD, MALLOC_THRESHOLD_BYTES);
}

const mmapRaw = libc.func('void *mmap(intptr_t addr, size_t length, int prot, int flags, int fd, int64_t offset)');
const munmapRaw = libc.func('int munmap(void *addr, size_t length)');
const strerrorRaw = libc.func('const char *strerror(int errnum)');

/** A mapping returned by mmap: koffi's pointer (needed for views and munmap) and its address. */
export interface Mapping {
  readonly pointer: unknown;
  readonly address: number;
  readonly length: number;
}

const MAP_FAILED = -1n & 0xffffffffffffffffn;

/** mmap(2); throws a SystemError when the kernel refuses. */
export function mmap(length: number, prot: number, flags: number, fd: number, offset: number, what: string): Mapping {
  const pointer = mmapRaw(0, length, prot, flags, fd, offset);
  const address = pointer === null ? 0n : BigInt.asUintN(64, koffi.address(pointer));
  if (pointer === null || address === MAP_FAILED) throw new SystemError(`mmap ${what}`, errno());
  return { pointer, address: Number(address), length };
}

export function munmap(mapping: Mapping): void {
  munmapRaw(mapping.pointer, mapping.length);
}

/** An ArrayBuffer over native memory, without copying (the memory must outlive the view). */
export function viewOf(mapping: Mapping): ArrayBuffer {
  return koffi.view(mapping.pointer, mapping.length);
}

/** The errno of the last libc call made on this thread. */
export function errno(): number {
  return koffi.errno();
}

export function strerror(code: number): string {
  return (strerrorRaw(code) as string | null) ?? `errno ${code}`;
}

/**
 * Address of the first byte of a typed array's memory. Only stable for memory that never
 * moves: a SharedArrayBuffer (which includes a shared WebAssembly.Memory) or native memory.
 */
export function addressOf(view: ArrayBufferView): number {
  return Number(koffi.address(view));
}

/** A failed system call: what we tried, and the errno the kernel gave. */
export class SystemError extends Error {
  constructor(
    readonly operation: string,
    readonly code: number,
  ) {
    super(`${operation}: ${strerror(code)} (errno ${code})`);
    this.name = 'SystemError';
  }
}

/** Throws a SystemError for a -1 result of a libc call; returns the result otherwise. */
export function check(result: number, operation: string): number {
  if (result < 0) throw new SystemError(operation, errno());
  return result;
}
