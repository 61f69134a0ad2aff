// The Node side of the RTT bench's wake floor: a UDP echo that blocks in recvfrom(2) through
// koffi and answers with sendto(2), nothing else — no event loop turn, no allocation per
// datagram. Its time per echo, against a native echo's, is what the runtime alone costs a
// cold wake-up. Run (inside a namespace): node dist/bench/rtt-echo.js <port>; ends on SIGTERM.
import koffi from 'koffi';
import { AddressFamily, Protocol, SOCKADDR_SLOT, SockaddrIn, SocketType } from '../io/linux-abi.js';
import { writeSockaddr } from '../io/sockaddr.js';

const LOOPBACK = '127.0.0.1';
/** Larger than any probe the bench sends. */
const DATAGRAM_ROOM = 2048;

const libc = koffi.load('libc.so.6');
const socket = libc.func('int socket(int domain, int type, int protocol)') as (domain: number, type: number, protocol: number) => number;
const bind = libc.func('int bind(int fd, void *addr, uint32_t addrlen)') as (fd: number, addr: Uint8Array, addrlen: number) => number;
const recvfrom = libc.func('intptr_t recvfrom(int fd, void *buf, size_t len, int flags, void *addr, void *addrlen)') as (
  fd: number,
  buf: Uint8Array,
  len: number,
  flags: number,
  addr: Uint8Array,
  addrlen: Uint32Array,
) => number;
const sendto = libc.func('intptr_t sendto(int fd, void *buf, size_t len, int flags, void *addr, uint32_t addrlen)') as (
  fd: number,
  buf: Uint8Array,
  len: number,
  flags: number,
  addr: Uint8Array,
  addrlen: number,
) => number;

function serve(port: number): never {
  const fd = socket(AddressFamily.INET, SocketType.DGRAM | SocketType.CLOEXEC, Protocol.UDP);
  const local = new Uint8Array(SOCKADDR_SLOT);
  writeSockaddr(local, 0, { address: LOOPBACK, port });
  if (fd < 0 || bind(fd, local, SockaddrIn.SIZE) !== 0) throw new Error(`cannot bind ${LOOPBACK}:${port} (errno ${koffi.errno()})`);
  const datagram = new Uint8Array(DATAGRAM_ROOM);
  const peer = new Uint8Array(SOCKADDR_SLOT);
  const peerLength = new Uint32Array(1);
  for (;;) {
    peerLength[0] = SOCKADDR_SLOT;
    const length = recvfrom(fd, datagram, DATAGRAM_ROOM, 0, peer, peerLength);
    if (length >= 0) sendto(fd, datagram, length, 0, peer, peerLength[0]!);
  }
}

// Not runAsScript: serve() holds this thread in recvfrom(2) for good, so no promise would
// ever settle, and its one failure (bind) throws, which node reports with exit code 1 itself.
const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 0xffff) {
  process.stderr.write('usage: node dist/bench/rtt-echo.js <port>\n');
  process.exitCode = 2;
} else {
  serve(port);
}
