// systemd's readiness protocol (sd_notify) as fastd's notify_systemd speaks it: one datagram
// "READY=1\nMAINPID=<pid>" on a unix datagram socket to $NOTIFY_SOCKET, a path or, with a
// leading '@', a name in the abstract namespace. Anything else in the variable is ignored.
import { close, connectTo, errno, sendBytes, socket, strerror } from '../../io/libc.js';
import { AddressFamily, SockaddrUn, SocketType } from '../../io/linux-abi.js';
import { log } from '../../log/logger.js';

/** struct sockaddr_un for `target` (already checked to start with '@' or '/'), and its length as fastd passes it. */
function notifyAddress(target: string): { address: Uint8Array; length: number } {
  const address = new Uint8Array(SockaddrUn.PATH + SockaddrUn.PATH_BYTES);
  new DataView(address.buffer).setUint16(SockaddrUn.FAMILY, AddressFamily.UNIX, true);
  // strncpy into sun_path, as fastd does: a longer name is cut off
  const path = Buffer.from(target, 'utf8').subarray(0, SockaddrUn.PATH_BYTES);
  address.set(path, SockaddrUn.PATH);
  if (target.startsWith('@')) address[SockaddrUn.PATH] = 0;
  return { address, length: SockaddrUn.PATH + path.length };
}

/**
 * Tells systemd that start-up is complete. `target` is $NOTIFY_SOCKET as the daemon found it;
 * a socket that is missing or refuses is logged and otherwise ignored, as in fastd.
 */
export function notifySystemd(target: string | undefined, pid: number): void {
  if (target === undefined || (target[0] !== '@' && target[0] !== '/') || target.length < 2) return;
  const fd = socket(AddressFamily.UNIX, SocketType.DGRAM | SocketType.CLOEXEC, 0);
  if (fd < 0) {
    log.warn(`unable to notify systemd: socket: ${strerror(errno())}`);
    return;
  }
  try {
    const { address, length } = notifyAddress(target);
    if (connectTo(fd, address, length) < 0) {
      log.warn(`unable to connect to notify socket: connect: ${strerror(errno())}`);
      return;
    }
    const message = Buffer.from(`READY=1\nMAINPID=${pid}`, 'utf8');
    if (sendBytes(fd, message, message.length, 0) < 0) {
      log.warn(`unable to notify systemd: send: ${strerror(errno())}`);
      return;
    }
    log.debug('sent startup notification to systemd');
  } finally {
    close(fd);
  }
}
